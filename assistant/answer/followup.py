"""Follow-up questions (它的材料呢？那区长质量奖呢？) resolved against the earlier turns."""

from __future__ import annotations

import re

from ..models import Answer
from ..store import LoadedIndex
from .compose import question_terms
from .intent import INTENT_WORDS, detect_intent, intent_phrase

ANAPHORA = re.compile(r"^(那|那么|它|它的|这个|那个|该|其|还有|另外|再问|此外|这|那它)|(呢|呐)[？?！!。]*$")
TOPIC_MIN_WEIGHT = 2.0  # a question whose content terms weigh less than this names no topic of its own


def topic_weight(index: LoadedIndex, question: str) -> float:
    return sum(question_terms(index, question).values())


def resolve(index: LoadedIndex, question: str, history: list[tuple[str, Answer]]) -> str:
    """The question as it would be asked on its own, using the last turn when it leans on it."""
    if not history:
        return question
    previous = history[-1][1].resolved_question or history[-1][0]
    own_topic = topic_weight(index, question) >= TOPIC_MIN_WEIGHT
    own_intent = detect_intent(question) != "general"
    leans = bool(ANAPHORA.search(question.strip())) or len(question.strip()) <= 8
    if own_topic and own_intent and not leans:
        return question
    if own_topic and not own_intent:
        # 那区长质量奖呢？ -> the new topic with the previous question's ask.
        ask = intent_phrase(previous)
        return f"{question.strip()} {ask}".strip() if ask else question
    if not own_topic:
        # 它的材料呢？ -> the previous topic with the new ask.
        topic = INTENT_WORDS.sub(" ", previous)
        topic = re.sub(r"[？?！!。，,]", " ", topic)
        return re.sub(r"\s+", " ", f"{topic} {question.strip()}").strip()
    return question
