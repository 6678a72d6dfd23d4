"""The work one question costs is bounded (issue 11, item 3): the HMM reads a bounded head, the composer
weighs a bounded number of terms, and a 2,000-character question is still answered (figures by length:
benchmarks/question_cost.py)."""

from __future__ import annotations

import random

from assistant.answer.compose import MAX_QUESTION_TERMS, question_terms
from assistant.tokenize import HMM_MAX_CHARS, _pos_tagger, is_dictionary_word, tagged_words


def distinct_cjk(n: int, seed: int = 1) -> str:
    chars = [chr(c) for c in range(0x4E00, 0x9FA5)]
    random.Random(seed).shuffle(chars)
    return "".join(chars[:n])


def test_past_the_head_the_dictionary_alone_segments():
    text = distinct_cjk(2000)
    # On its own the HMM joins unknown characters into guessed words anywhere in a text ...
    guessed = [p.word for p in _pos_tagger().lcut(text[1000:1300]) if len(p.word) > 1 and not is_dictionary_word(p.word)]
    assert guessed
    # ... in a question it only does so in the head: the rest costs dictionary look-ups only.
    for word, _ in tagged_words(text):
        if len(word) > 1 and not is_dictionary_word(word):
            assert word in text[:HMM_MAX_CHARS], word


def test_long_questions_weigh_a_bounded_number_of_terms(engine):
    policy_like = "申报区长质量奖、青岛优品、标准化试点、首席质量官、企业标准自我声明公开、管理体系认证补贴、知识产权资助" * 20
    for question in (distinct_cjk(2000), policy_like[:2000]):
        terms = question_terms(engine.index, question)
        assert 0 < len(terms) <= MAX_QUESTION_TERMS
    short = question_terms(engine.index, "区长质量奖最多奖多少钱？")
    assert short and len(short) < MAX_QUESTION_TERMS  # ordinary questions are not cut


def test_a_2000_character_question_is_answered(engine):
    answer = engine.ask(distinct_cjk(2000, seed=2))
    assert answer.answer  # refused or answered, in bounded time (see the benchmark), never an error
