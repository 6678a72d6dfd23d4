"""Where a question becomes an answer: resolve follow-ups, detect the intent, retrieve, then compose
(offline composer by default, an OpenAI-compatible LLM when configured, falling back to offline)."""

from __future__ import annotations

import logging
import re
from typing import Iterator

from ..models import Answer, Hit, SearchFilters
from ..search import Searcher
from ..settings import Settings
from .compose import OfflineComposer
from ..tokenize import normalize_query
from .followup import resolve
from .intent import detect_intent
from .parts import answer_in_parts, split_question
from .spelling import correct

log = logging.getLogger(__name__)
RETRIEVE_K = 8
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class QuestionError(ValueError):
    """A question that cannot be answered as given (empty, too long); the message is Chinese."""


def clean_question(question: str, max_chars: int) -> str:
    if question is None:
        raise QuestionError("问题不能为空")
    q = _CONTROL.sub("", str(question)).strip()
    if not q:
        raise QuestionError("问题不能为空")
    if len(q) > max_chars:
        raise QuestionError(f"问题过长（{len(q)} 字），请控制在 {max_chars} 字以内")
    return q


def passages_by_id(searcher: Searcher, chunk_ids: list[str]) -> list[Hit]:
    """The passages a person picked (help-desk), in their order, as hits."""
    index = searcher.index
    hits = []
    for cid in chunk_ids:
        pos = index.chunk_pos.get(cid)
        if pos is None:
            raise QuestionError(f"所选片段不存在或索引已更新：{cid}")
        c = index.chunks[pos]
        meta = index.docs[c.doc_id].meta
        hits.append(Hit(rank=len(hits) + 1, score=0.0, doc_id=c.doc_id, source=meta.source, title=meta.title,
                        section=c.section, text=c.text, start=c.start, end=c.end, status=meta.status,
                        doc_number=meta.doc_number, chunk_id=c.chunk_id))
    return hits


def stream_answer(searcher: Searcher, question: str, settings: Settings, history: list[tuple[str, Answer]],
                  filters: SearchFilters | None = None, chunk_ids: list[str] | None = None) -> Iterator[dict]:
    """Events: {"type": "delta", "text"} as the answer is produced, then one {"type": "final", "answer"}."""
    q = clean_question(question, settings.max_question_chars)
    index = searcher.index
    asked, spelled = q, []
    if not chunk_ids:  # typos and English names read as the domain terms meant; long questions in parts
        q, spelled = correct(index, q)
        if len(parts := split_question(q)) > 1:
            answer = answer_in_parts(lambda p, h: answer_question(searcher, p, settings, h, filters), parts, history)
            yield from _finish(answer, asked, q, spelled)
            return
    resolved = resolve(index, q, history)
    intent = detect_intent(normalize_query(resolved))
    hits = passages_by_id(searcher, chunk_ids) if chunk_ids else searcher.search(resolved, RETRIEVE_K, filters)
    composer = OfflineComposer(index, settings.helpdesk_contact, settings.answer_min_coverage)
    answer: Answer | None = None
    if settings.llm_base_url and hits:
        from .llm import stream_llm, validate

        raw = ""
        try:
            for token in stream_llm(settings, resolved, hits, history):
                raw += token
                yield {"type": "delta", "text": token}
            text, citations, dropped, found = validate(raw, hits, index)
            if found:
                notices = [n for n in text.split("\n") if n.startswith("注意：")]
                if dropped:
                    notices.append(f"已删除 {dropped} 句没有资料依据的内容。")
                answer = Answer(answer=text, found=True, intent=intent, citations=citations, mode="llm",
                                notices=notices)
            elif "未在现行政策中找到" in raw:
                answer = composer.not_found(resolved, intent, hits)  # the model found no support either
                answer.mode = "llm"
            else:
                log.warning("LLM answer had no supported sentence; using the offline composer")
        except Exception as exc:  # endpoint down, timeout, bad response: the user still gets an answer
            log.warning("LLM endpoint failed (%s); using the offline composer", type(exc).__name__)
        if answer is None:
            answer = composer.compose(resolved, intent, hits, forced=bool(chunk_ids))
            answer.notices.append("大模型服务未能给出有依据的回答，以下为原文摘录。")
    if answer is None:
        answer = composer.compose(resolved, intent, hits, forced=bool(chunk_ids))
        for line in answer.answer.split("\n"):
            yield {"type": "delta", "text": line + "\n"}
    yield from _finish(answer, asked, resolved, spelled, streamed=True)


def _finish(answer: Answer, asked: str, resolved: str, spelled: list[str], streamed: bool = False) -> Iterator[dict]:
    """The spelling notices joined to the answer; the text streamed unless it already was; the final event."""
    if spelled:
        answer.notices = spelled + answer.notices
        answer.answer += "\n" + "\n".join(spelled)
    lines = spelled if streamed else answer.answer.split("\n")
    for line in lines:
        yield {"type": "delta", "text": line + "\n"}
    answer.question = asked
    answer.resolved_question = resolved
    yield {"type": "final", "answer": answer}


def answer_question(searcher: Searcher, question: str, settings: Settings, history: list[tuple[str, Answer]],
                    filters: SearchFilters | None = None, chunk_ids: list[str] | None = None) -> Answer:
    final = None
    for event in stream_answer(searcher, question, settings, history, filters, chunk_ids):
        if event["type"] == "final":
            final = event["answer"]
    assert final is not None
    return final


def render_plain(answer: Answer) -> str:
    """An answer with its numbered sources, for the terminal."""
    lines = [answer.answer, ""]
    for c in answer.citations:
        number = f"（{c.doc_number}）" if c.doc_number else ""
        status = "" if c.status == "现行" else f"【{c.status}】"
        lines.append(f"[{c.n}] 《{c.title}》{number}{status} {c.section}")
        lines.append(f"    “{c.quote}”")
    return "\n".join(lines).rstrip()
