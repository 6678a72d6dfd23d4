"""The trained answerability model: the artifact loads, and on the shipped corpus it tells a question the
policies answer from real questions of other domains and from questions whose object is absent."""

from __future__ import annotations

from assistant.answer.intent import detect_intent
from assistant.learn.answerability import MODEL_PATH, AnswerabilityModel, decide
from assistant.learn.features import FEATURES
from assistant.tokenize import normalize_query


def _decide(engine, question):
    hits = engine.search(question, 8)
    return decide(engine.index, question, detect_intent(normalize_query(question)), hits)


def test_artifact_matches_the_features_and_states_its_validation():
    model = AnswerabilityModel.load(MODEL_PATH)
    assert model.features == list(FEATURES) and 0 < model.threshold < 1
    assert model.meta["validation"]["after"]["refusal_recall"] >= 0.9


def test_answerable_questions_pass(engine):
    for q in ("区长质量奖最多奖多少钱？", "申报青岛优品需要什么条件？"):
        d = _decide(engine, q)
        assert d.answerable, (q, d.probability)


def test_off_domain_and_absent_object_questions_are_refused(engine):
    for q in ("微众银行“不还本只还息”政策延期了多长时间？", "员工社保怎么缴纳", "青岛优品2024年入选名单有哪些"):
        d = _decide(engine, q)
        assert not d.answerable, (q, d.probability, d.features)


def test_refusal_names_the_corpus_contact_for_the_topic(engine):
    answer = engine.ask("青岛优品2024年入选名单有哪些")
    assert not answer.found and answer.answerability is not None
    assert "0532-87651206" in answer.answer  # the 青岛优品 guide's own line, not a generic number
