"""The trained answerability model: the artifact loads, and on the shipped corpus it tells a question the
policies answer from real questions of other domains and from questions whose object is absent."""

from __future__ import annotations

from assistant.answer.intent import detect_intent
from assistant.learn.answerability import LEXICAL_MODEL_PATH, MODEL_PATH, AnswerabilityModel, decide
from assistant.learn.features import DENSE, FEATURES
from assistant.tokenize import normalize_query


def _decide(engine, question):
    hits = engine.search(question, 8)
    return decide(engine.index, question, detect_intent(normalize_query(question)), hits)


def test_artifacts_match_the_features_and_state_their_validation():
    model = AnswerabilityModel.load(MODEL_PATH)
    assert model.features == list(FEATURES + DENSE) and 0 < model.threshold < 1
    assert model.meta["validation"]["after"]["refusal_recall"] >= 0.9
    lexical = AnswerabilityModel.load(LEXICAL_MODEL_PATH)
    assert lexical.features == list(FEATURES) and 0 < lexical.threshold < 1


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


def test_a_model_on_fewer_features_applies_by_feature_name_and_an_unknown_feature_is_refused(tmp_path):
    import json

    import pytest

    data = json.loads(LEXICAL_MODEL_PATH.read_text(encoding="utf-8"))
    older = dict(data, features=data["features"][:17], kind="linear", mean=[0.0] * 17, scale=[1.0] * 17,
                 coef=[0.0] * 16 + [1.0], intercept=0.0)
    (tmp_path / "older.json").write_text(json.dumps(older), encoding="utf-8")
    model = AnswerabilityModel.load(tmp_path / "older.json")
    feats = dict.fromkeys(FEATURES, 0.0) | {FEATURES[16]: 2.0, FEATURES[17]: 99.0}
    assert abs(model.log_odds(feats) - 2.0) < 1e-9  # a feature the older model lacks is ignored
    (tmp_path / "newer.json").write_text(json.dumps(dict(data, features=data["features"] + ["no_such"])), "utf-8")
    with pytest.raises(ValueError, match="no_such"):
        AnswerabilityModel.load(tmp_path / "newer.json")


def test_focus_features_tell_a_match_spread_over_terms_from_one_carried_by_a_single_term(engine):
    from assistant.learn.features import evidence_features  # FOCUS features are computed too

    def feats(q):
        hits = engine.search(q, 8)
        return evidence_features(engine.index, q, detect_intent(normalize_query(q)), hits, focus=True)

    broad = feats("申报区长质量奖需要提交哪些材料")
    assert broad["top_term_share"] < 1.0 and broad["cover_without_top"] > 0.3 and broad["cover_best_sentence"] > 0
    single = feats("公司注销")  # one content word: it carries the whole match
    assert single["top_term_share"] == 1.0 and single["cover_without_top"] == 0.0
