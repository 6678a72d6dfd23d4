"""Turning spans of retrieved documents into numbered citations, and the notices a citation needs
(a superseded or expired policy is never presented as current)."""

from __future__ import annotations

from datetime import date

from ..ingest.metadata import display_title
from ..models import Citation
from ..store import LoadedIndex

QUOTE_MAX = 300


def is_expired(expiry: str, today: date | None = None) -> bool:
    try:
        return bool(expiry) and date.fromisoformat(expiry) < (today or date.today())
    except ValueError:
        return False


def replacement_title(index: LoadedIndex, doc_id: str) -> str:
    meta = index.docs[doc_id].meta
    if not meta.replaced_by:
        return ""
    target = meta.replaced_by.split("#")[0]
    for rec in index.docs.values():
        if rec.meta.source == meta.replaced_by or rec.meta.source == target or rec.meta.title == meta.replaced_by:
            return rec.meta.title
    return meta.replaced_by


def is_current(index: LoadedIndex, doc_id: str) -> bool:
    meta = index.docs[doc_id].meta
    return meta.status == "现行" and not is_expired(meta.expiry_date)


class CitationList:
    """Numbers citations in the order they are first used; the same span is cited once."""

    def __init__(self, index: LoadedIndex) -> None:
        self.index = index
        self.items: list[Citation] = []
        self._by_span: dict[tuple[str, int, int], int] = {}

    def cite(self, doc_id: str, start: int, end: int) -> int:
        key = (doc_id, start, end)
        if key in self._by_span:
            return self._by_span[key]
        rec = self.index.docs[doc_id]
        quote = rec.text[start:end]
        if len(quote) > QUOTE_MAX:
            quote = quote[:QUOTE_MAX] + "…"
        n = len(self.items) + 1
        self.items.append(Citation(
            n=n, doc_id=doc_id, source=rec.meta.source, title=display_title(rec.meta.title), doc_number=rec.meta.doc_number,
            section=rec.section_for(start, end), quote=quote, start=start, end=end, status=rec.meta.status,
            replaced_by_title=replacement_title(self.index, doc_id),
        ))
        self._by_span[key] = n
        return n

    def notices(self) -> list[str]:
        out, seen = [], set()
        for c in self.items:
            if c.doc_id in seen:
                continue
            seen.add(c.doc_id)
            meta = self.index.docs[c.doc_id].meta
            if meta.status in ("已废止", "已修订"):
                text = f"注意：《{display_title(meta.title)}》{meta.status}，不再作为现行依据"
                if c.replaced_by_title:
                    text += f"，现行文件为《{c.replaced_by_title}》"
                out.append(text + "。")
            elif is_expired(meta.expiry_date):
                out.append(f"注意：《{display_title(meta.title)}》有效期至 {meta.expiry_date}，已过期，请以最新文件为准。")
        return out
