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


def _in_force(status: str) -> bool:
    return status in ("", "现行")  # a document without a status is taken as in force, as the loaders do


def closest_documents(index: LoadedIndex, hits: list[Hit], service_region: str, limit: int = 3) -> list[dict]:
    """The best-ranked distinct documents that apply to the service region, those in force first: a refusal
    never points to a replaced version ahead of the rule that replaced it."""
    docs: list[dict] = []
    for h in sorted(hits, key=lambda h: not _in_force(h.status)):  # stable: rank order within each
        rec = index.docs.get(h.doc_id)
        if rec is None or any(d["doc_id"] == h.doc_id for d in docs) or not applies(rec.meta.region, service_region):
            continue
        docs.append({"doc_id": h.doc_id, "title": h.title, "source": h.source, "status": h.status,
                     "region": rec.meta.region})
        if len(docs) == limit:
            break
    return docs


def corpus_contact(index: LoadedIndex, question: str, doc_ids: list[str]) -> str:
    """The consultation line (咨询电话：0532-…) that a document on the question's topic — one whose title
    names part of the question's subject (not an FAQ) — gives itself; "" when none gives one."""
    from .compose import coverage, expansions, question_terms

    nouns = question_terms(index, question, topical_only=True)
    alias = expansions(question)
    for doc_id in doc_ids:
        rec = index.docs.get(doc_id)
        # An FAQ's numbers belong to its individual answers, not to the topic; a title naming about a third of
        # the subject (青岛优品 of 青岛优品…名单) is on the topic.
        if rec is None or rec.meta.doc_type == "常见问题" or not nouns \
                or coverage(nouns, rec.meta.title.lower(), alias) < 0.3:
            continue
        for s, e in rec.lines:
            for clause in re.split(r"[。；;]", rec.text[s:e]):
                m = _PHONE.search(clause)
                if m and _CONTACT_CUE.search(clause):
                    clause = re.sub(r"^(第[一二三四五六七八九十百]+条|[答问][:：])\s*", "", clause.strip())
                    return f"{clause}（见《{rec.meta.title}》）"
    return ""


def unmatched_words(index: LoadedIndex, question: str, hits: list[Hit], limit: int = 3) -> list[str]:
    """The question's weightiest words that none of the best passages uses (业务 of NQI一站式平台能办哪些业务,
    名单 of 青岛优品入选名单), when the passages do use some other word of it: what the refusal rests on, so the
    asker can tell a missing rule from other wording (the documents say 服务)."""
    from .compose import expansions, question_terms, uncovered

    terms = question_terms(index, question, topical_only=True)  # subject words, not 一般 / 怎么
    evidence = " ".join(f"{h.title} {h.section} {h.text}" for h in hits[:3]).lower()
    if not terms or not evidence:
        return []
    alias = expansions(question)
    vocab = index.bm25.vocab_dict if index.bm25 is not None else {}
    lacking = uncovered(terms, evidence, alias, vocab)
    if len(lacking) == len(terms):
        return []  # nothing of it matched: the documents are about something else altogether
    # Weight 1 and up: a word the question is about (业务, 密码), not a common one (全力, 建议) it also uses.
    missing = {t: terms[t] for t in lacking if len(t) >= 2 and terms[t] >= 1.0}
    return sorted(missing, key=lambda t: -missing[t])[:limit]


def refusal(index: LoadedIndex, question: str, intent: str, hits: list[Hit], helpdesk: str, service_region: str,
            other_region: str = "") -> Answer:
    """The not-found answer. `other_region`: the question names a region the corpus holds nothing for."""
    docs = closest_documents(index, hits, service_region)
    if other_region:
        text = f"本助手收录的是{describe_chain(service_region)}的政策，未收录{other_region}的相关规定。"
    else:
        text = f"{NOT_FOUND}与您的问题直接相关的规定。"
        words = unmatched_words(index, question, hits)
        if words:
            text += "最相关的文件都没有提到" + "".join(f"“{w}”" for w in words) + "；如果文件中另有说法，可换用其说法再问。"
    if docs:
        lead = "可供参考的本地文件：" if other_region else "现有文件涉及的是相近的内容，可能相关的文件："
        text += "\n" + lead + "、".join(f"《{d['title']}》" + ("" if _in_force(d["status"]) else f"（{d['status']}）")
                                      for d in docs) + "。"
    contact = corpus_contact(index, question, [d["doc_id"] for d in docs])
    text += f"\n如需进一步确认：{contact}。" if contact else f"\n如需进一步确认，请咨询{helpdesk}。"
    return Answer(answer=text, found=False, intent=intent, citations=[], question=question, suggestions=docs)
