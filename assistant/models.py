"""Data shapes that cross module and HTTP boundaries."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Status = Literal["现行", "已修订", "已废止"]
STATUSES: tuple[str, ...] = ("现行", "已修订", "已废止")


class DocumentMeta(BaseModel):
    """What we know about one policy document or one service guide."""

    doc_id: str
    source: str  # path relative to the corpus folder it was indexed from (+ "#record" for JSON lines)
    corpus: str = ""  # the corpus folder it came from
    format: str = ""
    title: str = ""
    doc_number: str = ""  # 文号, e.g. 青城政发〔2023〕12号
    issuer: str = ""
    issue_date: str = ""
    effective_date: str = ""
    expiry_date: str = ""
    status: str = "现行"
    replaced_by: str = ""
    replaces: str = ""
    region: str = ""
    programs: list[str] = Field(default_factory=list)
    doc_type: str = ""
    sample: bool = False
    note: str = ""
    content_hash: str = ""


class ParsedDocument(BaseModel):
    meta: DocumentMeta
    text: str  # normalized text; every offset refers to it
    headings: list[tuple[int, int]] = Field(default_factory=list)  # (offset, level) of explicit headings


class Chunk(BaseModel):
    chunk_id: str
    doc_id: str
    section: str  # heading path, e.g. "第三章 申报条件 > 第十条"
    text: str  # exactly meta-text[start:end]
    start: int
    end: int
    ordinal: int


class Hit(BaseModel):
    rank: int
    score: float
    doc_id: str
    source: str
    title: str
    section: str
    text: str
    start: int
    end: int
    status: str
    doc_number: str = ""
    chunk_id: str = ""
    dense_rank: int | None = None
    lexical_rank: int | None = None
    # Raw cosine of the question's and the passage's e5 vectors when the passage was among the dense
    # candidates (the answerability model's dense features read it; the same model for every corpus, so the
    # raw value means the same everywhere, unlike the fused score).
    dense_score: float | None = None


class SearchFilters(BaseModel):
    status: list[str] | None = None
    region: str | None = None
    program: str | None = None
    doc_ids: list[str] | None = None
    current_only: bool = False


class Citation(BaseModel):
    n: int
    doc_id: str
    source: str
    title: str
    doc_number: str = ""
    section: str = ""
    quote: str
    start: int
    end: int
    status: str = "现行"
    replaced_by_title: str = ""


class Answer(BaseModel):
    answer: str
    found: bool
    intent: str
    citations: list[Citation] = Field(default_factory=list)
    question: str = ""
    resolved_question: str = ""
    mode: Literal["offline", "llm"] = "offline"
    notices: list[str] = Field(default_factory=list)
    suggestions: list[dict] = Field(default_factory=list)  # closest documents when nothing was found
    eligibility: list[dict] = Field(default_factory=list)  # self-check results (assistant/eligibility), one per programme
    # policy_question / out_of_scope / greeting / unclear (assistant/answer/scope.py)
    kind: str = "policy_question"
    # Probability that the evidence answers the question (assistant/learn/answerability.py); None when
    # not computed (help-desk picked passages, not a policy question).
    answerability: float | None = None
