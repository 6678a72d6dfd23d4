"""A long question that asks several things (a paragraph with three or four questions in it) is answered
part by part instead of as one blurred query: each part is asked on its own — a part that names no
subject leans on the part before it, as a follow-up does — and the answers are joined, citations
renumbered once across the parts.

Short compound questions (能报吗？需要什么条件、什么材料、在哪里报？) stay whole: the composer answers them
by intent in one pass."""

from __future__ import annotations

import re
from typing import Callable

from ..models import Answer
from .intent import INTENT_WORDS

LONG_QUESTION = 80  # characters; below this a compound question is answered in one pass
MAX_PARTS = 4
MIN_QUESTION_MARKS = 3  # three separate questions are split even when short (奖多少？多久评？还能报吗？)
_SENTENCE = re.compile(r"[^？?！!。；;\n]+[？?！!。；;]*")
_CLAUSE = re.compile(r"[^？?！!。；;，,\n]+[？?！!。；;，,]*")
_ASKS = re.compile(r"[？?]|吗|呢|么|如何|怎么|怎样|哪|什么|多少|几|是否|能否|可否|有没有|是不是")
_MARK = re.compile(r"\[(\d+)\]")


def split_question(question: str) -> list[str]:
    """The parts of a long question that each ask something; statements before a part (我们是做食品的)
    ride along with it. One part (the question itself) when it is short or asks one thing."""
    sentences = _SENTENCE
    if len(question) < LONG_QUESTION and len(re.findall(r"[？?]+", question)) < MIN_QUESTION_MARKS:
        # 请问需要满足哪些条件，要准备哪些材料，截止时间是什么时候，有没有奖励: questions written with commas
        if sum(1 for c in _CLAUSE.findall(question) if _ASKS.search(c)) < MIN_QUESTION_MARKS:
            return [question]
        sentences = _CLAUSE
    parts: list[str] = []
    pending = ""
    for m in sentences.finditer(question):
        sentence = m.group(0).strip()
        if not sentence:
            continue
        if _ASKS.search(sentence) or INTENT_WORDS.search(sentence):
            parts.append((pending + sentence).strip())
            pending = ""
        else:
            pending += sentence
    if pending and parts:
        parts[-1] += pending
    parts = [p.rstrip("，,") for p in parts]
    if len(parts) < 2:
        return [question]
    if len(parts) > MAX_PARTS:
        parts = parts[: MAX_PARTS - 1] + ["".join(parts[MAX_PARTS - 1:])]
    return parts


def answer_in_parts(ask: Callable[[str, list[tuple[str, Answer]]], Answer], parts: list[str],
                    history: list[tuple[str, Answer]]) -> Answer:
    """Ask each part (with the parts before it as its conversation) and join the answers."""
    answers: list[tuple[str, Answer]] = []
    for part in parts:
        answers.append((part, ask(part, history + answers)))
    lines: list[str] = []
    citations = []
    notices: list[str] = []
    number: dict[tuple[str, int, int], int] = {}
    for i, (part, answer) in enumerate(answers, 1):
        lines.append(f"【问题{i}】{part}")
        if not answer.found:
            lines.append("未在现行政策中找到与这一问直接相关的规定。")
            continue
        renumber: dict[int, int] = {}
        for c in answer.citations:
            key = (c.doc_id, c.start, c.end)
            if key not in number:
                number[key] = len(citations) + 1
                citations.append(c.model_copy(update={"n": number[key]}))
            renumber[c.n] = number[key]
        body = [ln for ln in answer.answer.split("\n") if ln not in answer.notices]
        lines.extend(_MARK.sub(lambda m: f"[{renumber.get(int(m.group(1)), m.group(1))}]", ln) for ln in body)
        notices.extend(n for n in answer.notices if n not in notices)
    found = [a for _, a in answers if a.found]
    first = found[0] if found else answers[0][1]
    return Answer(answer="\n".join(lines + notices), found=bool(found), intent=first.intent, citations=citations,
                  mode=first.mode, notices=notices, suggestions=first.suggestions if not found else [])
