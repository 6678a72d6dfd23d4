"""Search and the documents behind the citations: POST /api/search, GET /api/documents[/{doc_id}]."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from ..models import SearchFilters
from ..store import LoadedIndex
from .rate_limit import rate_limit
from .errors import ApiError, check_id, check_text
from .routes_chat import require_engine

router = APIRouter(tags=["search"])

SUMMARY_FIELDS = ("doc_id", "source", "title", "doc_number", "issuer", "issue_date", "effective_date",
                  "expiry_date", "status", "region", "programs", "doc_type", "sample")


class SearchRequest(BaseModel):
    query: str = Field(description="检索内容")
    k: int = Field(10, ge=1, le=50, description="返回的段落数")
    filters: SearchFilters | None = None


def _titles_by_source(index: LoadedIndex) -> dict[str, tuple[str, str]]:
    return {rec.meta.source: (doc_id, rec.meta.title) for doc_id, rec in index.docs.items()}


@router.post("/api/search", dependencies=[Depends(rate_limit)], summary="检索相关条款（带分数）")
def search(body: SearchRequest, request: Request):
    query = check_text(body.query, "query", request.app.state.settings.max_question_chars)
    engine = require_engine(request)
    docs = engine.index.docs
    hits = []
    for hit in engine.search(query, body.k, body.filters):
        item = hit.model_dump()
        rec = docs.get(hit.doc_id)
        item["sample"] = bool(rec and rec.meta.sample)
        hits.append(item)
    return {"query": query, "hits": hits}


@router.get("/api/documents", summary="已索引的文件列表")
def documents(request: Request, status: str | None = Query(None, max_length=10, description="现行 / 已修订 / 已废止")):
    engine = require_engine(request)
    out = []
    for rec in engine.index.docs.values():
        if status and rec.meta.status != status:
            continue
        meta = rec.meta.model_dump(include=set(SUMMARY_FIELDS))
        meta["length"] = len(rec.text)
        out.append(meta)
    out.sort(key=lambda m: (m["status"] != "现行", m["title"]))
    return {"count": len(out), "documents": out}


@router.get("/api/documents/{doc_id}", summary="文件的规范化全文与元数据（引用的 start/end 指向此全文）")
def document(doc_id: str, request: Request):
    check_id(doc_id, "doc_id")
    engine = require_engine(request)
    index = engine.index
    rec = index.docs.get(doc_id)
    if rec is None:
        raise ApiError(404, "document_not_found", "未找到该文件，索引可能已更新，请重新提问",
                       f"document {doc_id} is not in the loaded index")
    by_source = _titles_by_source(index)
    related = {}
    for field in ("replaced_by", "replaces"):
        source = getattr(rec.meta, field)
        if source and source in by_source:
            related[field] = {"doc_id": by_source[source][0], "title": by_source[source][1], "source": source}
    return {"meta": rec.meta.model_dump(exclude={"corpus", "content_hash"}), "text": rec.text,
            "related": related, "build_id": index.build_id}

