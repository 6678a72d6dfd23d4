"""Where a question becomes an answer: resolve follow-ups, detect the intent, retrieve, then compose
(offline composer by default, an OpenAI-compatible LLM when configured, falling back to offline)."""

from __future__ import annotations

import logging
import re
from typing import Iterator

from ..models import Answer, Hit, SearchFilters
from ..search import Searcher
from ..settings import Settings
from ..ingest.region import applies, chain, mentioned_regions
from .compose import OfflineComposer, question_terms
from .refusal import refusal
from .scope import POLICY, SURE, UNCLEAR, request_kind, scope_reply
from ..tokenize import normalize_query
from .followup import readings
from .intent import detect_intent
from .parts import answer_in_parts, split_question
from .spelling import correct

log = logging.getLogger(__name__)
RETRIEVE_K = 8
# A follow-up that keeps its own words (范围是怎样规定的？ names 范围, which some title has) is also read as about
# the conversation's subject; when both readings are answerable, the one the answerability model is surer of by
# FOLLOWUP_MARGIN wins. Never a refusal turned into an answer by carrying the subject. On 103 real two-turn
# dialogues (benchmarks/followups_ncp.py): margin 0.2 cites the gold document 0.786 → 0.796, gold span and the
# golden dialogues unchanged; margin 0 loses a golden dialogue and a real gold span (docs/benchmarks.md).
FOLLOWUP_READINGS = True
FOLLOWUP_MARGIN = 0.2
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
    """Events: {"type": "delta", "text"} as the answer is produced, then one {"type": "final", "answer"}.

    Steps: what kind of request it is (a policy question, a greeting, a task the assistant does not do;
    declined at once when the classifier is sure, else only when the corpus does not answer it either) →
    retrieval (applicable regions first) → whether the question names a region the corpus does not cover →
    whether the evidence answers it (the trained answerability model) → compose (LLM or offline)."""
    q = clean_question(question, settings.max_question_chars)
    index = searcher.index
    asked, spelled = q, []
    if not chunk_ids:  # typos and English names read as the domain terms meant; long questions in parts
        q, spelled = correct(index, q)
        if len(parts := split_question(q)) > 1:
            # Each part takes the whole path below, so a part carrying profile facts gets the self-check.
            answer = answer_in_parts(lambda p, h: answer_question(searcher, p, settings, h, filters), parts, history)
            yield from _finish(answer, asked, q, spelled)
            return
        from ..eligibility.chat import eligibility_answer

        checked = eligibility_answer(index, q, history)  # profile facts + "能报吗": the self-check answers
        if checked is not None:
            yield from _finish(checked, asked, q, spelled)
            return
    resolved, *alternatives = readings(index, q, history) if not chunk_ids else [q]
    intent = detect_intent(normalize_query(resolved))
    kind, sure = request_kind(resolved) if not chunk_ids else (POLICY, 1.0)
    declined = kind != POLICY and sure >= SURE
    if not declined and not chunk_ids and not question_terms(index, resolved):
        # It names nothing a policy could be about: whatever passages come back, their fit says nothing
        # (the answerability features have no terms to check). Unless the classifier is sure it is a greeting
        # or a task (declined above), it is asked what it is about: 怎么申请？ asked first, 你好，我想咨询一下.
        kind, declined = UNCLEAR, True
    if declined:
        answer = Answer(answer=scope_reply(kind, intent), found=False, intent=intent, kind=kind)
        yield from _emit(answer)
    else:
        hits = passages_by_id(searcher, chunk_ids) if chunk_ids else searcher.search(resolved, RETRIEVE_K, filters)
        # Help-desk staff picked the passages themselves: no relevance refusal.
        answer, probability = _judge(searcher, resolved, intent, hits, settings) if not chunk_ids else (None, None)
        for reading in alternatives if answer is None and probability is not None and FOLLOWUP_READINGS else []:
            # A follow-up read both on its own and as about the conversation's subject (both answerable):
            # the reading whose evidence the answerability model finds surer to answer it wins.
            r_intent = detect_intent(normalize_query(reading))
            r_hits = searcher.search(reading, RETRIEVE_K, filters)
            r_answer, r_probability = _judge(searcher, reading, r_intent, r_hits, settings)
            if r_answer is None and r_probability is not None and r_probability > probability + FOLLOWUP_MARGIN:
                resolved, intent, hits, answer, probability = reading, r_intent, r_hits, r_answer, r_probability
        if answer is not None and kind != POLICY:
            # Probably not a policy question, and the corpus does not answer it: the scope reply.
            answer = Answer(answer=scope_reply(kind), found=False, intent=intent, kind=kind, answerability=probability)
        if answer is not None:
            yield from _emit(answer)
        else:
            answer = yield from _compose(searcher, resolved, intent, hits, settings, history, forced=True)
            answer.answerability = probability
            _name_regions(searcher, resolved, answer, settings)
    yield from _finish(answer, asked, resolved, spelled, streamed=True)


def _emit(answer: Answer) -> Iterator[dict]:
    for line in answer.answer.split("\n"):
        yield {"type": "delta", "text": line + "\n"}


def _judge(searcher: Searcher, question: str, intent: str, hits: list[Hit],
           settings: Settings) -> tuple[Answer | None, float | None]:
    """(refusal, probability): the refusal when the question names a region the corpus does not cover or
    when the evidence cannot answer it, else None; and the answerability probability when computed."""
    index = searcher.index
    service = settings.service_region
    foreign = [r for r in mentioned_regions(question) if r not in chain(service)]
    uncovered = [r for r in foreign if not searcher.held_regions([r])]
    if uncovered:
        # Nothing of that region's own rules is here: say so rather than pass Chengyang's rules off as its.
        return refusal(index, question, intent, hits, settings.helpdesk_contact, service,
                       other_region=uncovered[0]), None
    from ..learn.answerability import decide  # features reuse the composer's term weighting: import late

    decision = decide(index, question, intent, hits, settings.answerability_threshold, dense=searcher.dense_enabled)
    probability = round(decision.probability, 4)
    if not decision.answerable:
        answer = refusal(index, question, intent, hits, settings.helpdesk_contact, service)
        answer.answerability = probability
        return answer, probability
    return None, probability


def _compose(searcher: Searcher, resolved: str, intent: str, hits: list[Hit], settings: Settings,
             history: list[tuple[str, Answer]], forced: bool) -> Iterator[dict]:
    """The answer from evidence already judged sufficient: the LLM when configured, else (or on failure)
    the offline composer. Returns the Answer (generator return value)."""
    index = searcher.index
    composer = OfflineComposer(index, settings.helpdesk_contact, settings.answer_min_coverage)
    query_vector = searcher.query_vector(resolved)  # search's own embedding of the question, if it made one
    target = searcher.target_region(resolved)
    applicable = lambda doc_id: searcher.applies_to(doc_id, target)  # noqa: E731  (whose rules apply)
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
                answer = refusal(index, resolved, intent, hits, settings.helpdesk_contact, settings.service_region)
                answer.mode = "llm"  # the model found no support either
            else:
                log.warning("LLM answer had no supported sentence; using the offline composer")
        except Exception as exc:  # endpoint down, timeout, bad response: the user still gets an answer
            log.warning("LLM endpoint failed (%s); using the offline composer", type(exc).__name__)
        if answer is None:
            answer = composer.compose(resolved, intent, hits, forced=forced, query_vector=query_vector, applies=applicable)
            answer.notices.append("大模型服务未能给出有依据的回答，以下为原文摘录。")
        return answer
    answer = composer.compose(resolved, intent, hits, forced=forced, query_vector=query_vector, applies=applicable)
    yield from _emit(answer)
    return answer


def _name_regions(searcher: Searcher, question: str, answer: Answer, settings: Settings) -> None:
    """An answer that cites another region's document says so in words: once per region, naming the citations
    by number (their titles are in the sources already), or 以上 when every citation is that region's."""
    if not answer.found:
        return
    index = searcher.index
    target = searcher.target_region(question)
    numbers: dict[str, list[int]] = {}
    for c in answer.citations:
        rec = index.docs.get(c.doc_id)
        region = rec.meta.region if rec is not None else ""
        if region and not applies(region, settings.service_region) and c.n not in numbers.get(region, []):
            numbers.setdefault(region, []).append(c.n)
    cited = {c.n for c in answer.citations}
    for region, ns in numbers.items():
        which = "以上" if set(ns) == cited else "".join(f"[{n}]" for n in ns)
        if target != settings.service_region and (region == target or applies(region, target)):
            # The asked place in brackets only when it is not the region itself (北京市 for 北京市海淀区).
            asked = "" if region == target else f"（您询问的是{target}）"
            note = f"注意：{which}是{region}的规定{asked}，本助手的服务地区为{settings.service_region}。"
        else:
            note = f"注意：{which}是{region}的规定，不一定适用于{settings.service_region}的企业。"
        answer.notices.append(note)
        answer.answer += "\n" + note


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
