"""Follow-up questions (它的材料呢？那区长质量奖呢？评审流程是怎样的？) resolved against the earlier turns.

The subject of a conversation is what its documents are about: a word of the question that appears in
some document titles (区长质量奖, 青岛优品) names one; process words (评审, 流程, 证书, 有效期) that
run through every programme do not. A follow-up that names no subject keeps the conversation's."""

from __future__ import annotations

import re

from ..ingest.region import mentioned_regions
from ..models import Answer
from ..store import LoadedIndex
from ..tokenize import normalize_query, tagged_words
from .compose import question_terms
from .intent import INTENT_WORDS, detect_intent, intent_phrase

ANAPHORA = re.compile(r"^(那|那么|它|它的|这个|那个|该|其|还有|另外|再问|此外|这|那它)|(呢|呐)[？?！!。]*$")
TOPIC_MIN_WEIGHT = 1.0  # a question whose content terms weigh less than this names no topic of its own
SUBJECT_MAX_TITLE_SHARE = 0.3  # a word in more titles than this (办法, 指南) does not single out a subject
_titles_cache: dict[int, tuple[str, list[str]]] = {}


def _titles(index: LoadedIndex) -> list[str]:
    cached = _titles_cache.get(id(index))
    if cached is None or cached[0] != index.build_id:
        cached = (index.build_id, [rec.meta.title.lower() for rec in index.docs.values()])
        _titles_cache.clear()
        _titles_cache[id(index)] = cached
    return cached[1]


def subject_words(index: LoadedIndex, question: str, untitled: bool = False) -> list[str]:
    """The question's words that name what some documents are about (in their titles, but not in most).
    `untitled`: also the plain nouns the corpus uses but no title names (国家标准 in 参与制定国家标准有没有奖励),
    which narrow a title word (奖励) to what was asked: carried from a turn the corpus answered, a follow-up
    (一年最多能拿多少) stays on the standardization rewards instead of the first 奖励 document found. Not from
    a refused turn: its untitled noun (业务) is often what the corpus lacks. Measured: docs/benchmarks.md."""
    titles = _titles(index)
    limit = max(3, SUBJECT_MAX_TITLE_SHARE * len(titles))
    out = []
    # Nouns, and the distinguishing words that narrow them (一站式 in NQI一站式平台, 大型 in 大型企业): without
    # them the carried subject is "nqi", and a follow-up lands on another NQI document.
    words = question_terms(index, question)
    tags = dict(tagged_words(normalize_query(question)))
    narrowing = {w for w, pos in tags.items() if pos == "b" and w in words}
    topical = question_terms(index, question, topical_only=True)
    vocab = index.bm25.vocab_dict if index.bm25 is not None else {}
    for term in [t for t in words if t in narrowing or t in topical]:
        if INTENT_WORDS.search(term):
            continue  # 申报条件, 办理流程: what that turn asked, not what it was about (the follow-up asks its own)
        n = sum(term in t for t in titles)
        if 0 < n <= limit:
            out.append(term)
        elif untitled and n == 0 and tags.get(term) == "n" and term in vocab:
            out.append(term)
    return out


def topic_weight(index: LoadedIndex, question: str) -> float:
    """How much a question names a subject of its own (nouns only: 满足, 批下来 name nothing)."""
    return sum(question_terms(index, question, topical_only=True).values())


def topic_of(index: LoadedIndex, question: str) -> str:
    """The subject words of a question, in their order (企业标准自我声明公开在哪个平台做 -> 企业标准自我声明公开)."""
    terms = question_terms(index, question, topical_only=True)
    q = normalize_query(question)
    low = q.lower()
    found = sorted((low.find(t), q[low.find(t):low.find(t) + len(t)]) for t in terms if t in low)
    words = [w for _, w in found]
    return " ".join(w for i, w in enumerate(words) if not any(w in other for other in words[:i] + words[i + 1:] if other != w))


def resolve(index: LoadedIndex, question: str, history: list[tuple[str, Answer]]) -> str:
    """The question as it would be asked on its own, using the last turn when it leans on it."""
    if not history:
        return question
    previous = history[-1][1].resolved_question or history[-1][0]
    return _keep_region(_resolve(index, question, previous, history[-1][1].found), previous)


def readings(index: LoadedIndex, question: str, history: list[tuple[str, Answer]]) -> list[str]:
    """The ways to read a turn: as resolved, and — when that kept the follow-up's own words (执法队员要如何监督
    未开业经营的商户？ names a subject of its own) — also as about the conversation's subject. Which one the
    corpus answers better is for the answerability model to say (assistant/answer/__init__.py)."""
    resolved = resolve(index, question, history)
    if not history:
        return [resolved]
    previous = history[-1][1].resolved_question or history[-1][0]
    if resolved != _keep_region(question, previous):
        return [resolved]  # the conversation's subject is carried already
    topic = " ".join(subject_words(index, previous, untitled=history[-1][1].found)) or topic_of(index, previous)
    if not topic:
        return [resolved]
    carried = _keep_region(_about(topic, question), previous)
    return [resolved] if carried == resolved else [resolved, carried]


def _keep_region(question: str, previous: str) -> str:
    """A follow-up that names no region is asked about the conversation's region (泰州市海陵区审批服务热线是
    多少？ → 建议市民选择哪些线上办理途径？ is still about 海陵区): whose rules apply carries over like the subject."""
    if mentioned_regions(question):
        return question
    regions = mentioned_regions(previous)
    return f"{' '.join(regions)} {question}" if regions else question


def _resolve(index: LoadedIndex, question: str, previous: str, answered: bool = True) -> str:
    carried = subject_words(index, previous, untitled=answered)
    # A question that names no subject while the conversation has one (评审流程是怎样的？ after a
    # 区长质量奖 question) is about the conversation's subject.
    own_topic = topic_weight(index, question) >= TOPIC_MIN_WEIGHT and (not carried or bool(subject_words(index, question)))
    # Naming another region is naming a subject of its own (那山东省呢？ asks the same of Shandong).
    own_topic = own_topic or bool(set(mentioned_regions(question)) - set(mentioned_regions(previous)))
    own_intent = detect_intent(question) != "general"
    leans = bool(ANAPHORA.search(question.strip())) or len(question.strip()) <= 8
    if own_topic and own_intent and not leans:
        return question
    if own_topic and not own_intent:
        # 那区长质量奖呢？ -> the new topic with the previous question's ask (only when the question
        # asks nothing beyond its topic: 那周排查具体要做什么 stands on its own).
        ask = intent_phrase(previous)
        topic = ANAPHORA.sub("", question.strip()).strip(" ？?！!。，,")
        rest = topic
        for t in question_terms(index, question, topical_only=True):
            rest = rest.lower().replace(t, "")
        if ask and len(rest) <= 3:
            return f"{topic} {ask}".strip()
        return question
    if not own_topic:
        # 它的材料呢？ -> the previous topic with the new ask.
        topic = (" ".join(carried) or topic_of(index, previous)
                 or re.sub(r"[？?！!。，,]", " ", INTENT_WORDS.sub(" ", previous)))
        return _about(topic, question)
    return question


def _about(topic: str, question: str) -> str:
    """The question asked about `topic` (the conversation's subject words in front)."""
    return re.sub(r"\s+", " ", f"{topic} {question.strip()}").strip()
