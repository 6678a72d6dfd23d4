"""Helpful refusals: say plainly that the policies do not answer, name what the closest applicable
documents do cover, and give the contact the corpus itself names for the topic."""

from __future__ import annotations

import re

from ..ingest.region import applies, describe_chain
from ..models import Answer, Hit
from ..store import LoadedIndex

NOT_FOUND = "未在现行政策中找到"
_PHONE = re.compile(r"\d{3,4}-\d{7,8}")
_CONTACT_CUE = re.compile(r"咨询|联系|服务电话|受理")


def closest_documents(index: LoadedIndex, hits: list[Hit], service_region: str, limit: int = 3) -> list[dict]:
    """The best-ranked distinct documents that apply to the service region."""
    docs: list[dict] = []
    for h in hits:
        rec = index.docs.get(h.doc_id)
        if rec is None or any(d["doc_id"] == h.doc_id for d in docs) or not applies(rec.meta.region, service_region):
            continue
        docs.append({"doc_id": h.doc_id, "title": h.title, "source": h.source, "status": h.status,
                     "region": rec.meta.region})
        if len(docs) == limit:
            break
    return docs


def corpus_contact(index: LoadedIndex, doc_ids: list[str]) -> str:
    """The consultation line the documents on the topic give themselves (咨询电话：0532-…), best document first."""
    for doc_id in doc_ids:
        rec = index.docs.get(doc_id)
        if rec is None:
            continue
        for s, e in rec.lines:
            line = rec.text[s:e]
            m = _PHONE.search(line)
            if m and _CONTACT_CUE.search(line[:m.start()][-30:] + line[m.end():][:20]):
                head = re.sub(r"^第[一二三四五六七八九十百]+条\s*", "", line[max(0, m.start() - 40):m.end()].strip())
                head = head.split("。")[-1].split("；")[-1].lstrip("，、 ")
                return f"{head}（见《{rec.meta.title}》）"
    return ""


def refusal(index: LoadedIndex, question: str, intent: str, hits: list[Hit], helpdesk: str, service_region: str,
            other_region: str = "") -> Answer:
    """The not-found answer. `other_region`: the question names a region the corpus holds nothing for."""
    docs = closest_documents(index, hits, service_region)
    if other_region:
        text = f"本助手收录的是{describe_chain(service_region)}的政策，未收录{other_region}的相关规定。"
    else:
        text = f"{NOT_FOUND}与您的问题直接相关的规定。"
    if docs:
        lead = "可供参考的本地文件：" if other_region else "现有文件涉及的是相近的内容，可能相关的文件："
        text += "\n" + lead + "、".join(f"《{d['title']}》" for d in docs) + "。"
    contact = corpus_contact(index, [d["doc_id"] for d in docs])
    text += f"\n如需进一步确认，请咨询{contact or helpdesk}。"
    return Answer(answer=text, found=False, intent=intent, citations=[], question=question, suggestions=docs)
