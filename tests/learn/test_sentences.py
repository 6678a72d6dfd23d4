"""The sentence ranker: candidates and features on the shipped corpus, and the shipped model trained on
real questions (training/train_sentence_ranker.py) beating the hand-weighted score it replaced."""

from __future__ import annotations

import numpy as np

from assistant.answer.compose import coverage, expansions, question_terms
from assistant.learn.sentences import FEATURES, candidates, features, is_purpose_clause, load_ranker
from assistant.tokenize import normalize_query


def test_candidates_and_features_on_retrieved_passages(engine):
    question = "区长质量奖最多奖多少钱？"
    hits = engine.search(question, 8)
    cands = candidates(engine.index, hits)
    assert cands and len({(c.doc_id, c.start, c.end) for c in cands}) == len(cands)  # each sentence once
    for c in cands:
        assert engine.index.docs[c.doc_id].text[c.start:c.end] == c.text
    terms, alias = question_terms(engine.index, question), expansions(question)
    x = features(engine.index, normalize_query(question), cands, hits, lambda t: coverage(terms, t, alias),
                 engine.searcher.query_vector(question))
    assert x.shape == (len(cands), len(FEATURES)) and np.isfinite(x).all()
    ranker = load_ranker()
    best = cands[int(np.argmax(ranker.score(x)))]
    assert "50万元" in best.text


def test_the_shipped_model_was_validated_on_held_back_questions():
    ranker = load_ranker()
    assert ranker is not None and set(ranker.spec["features"]) <= set(FEATURES)
    v = ranker.spec["validation"]
    assert v["validation_questions"] >= 100 and v["train_questions"] >= 300
    assert v["validation_shipped_top1"] > v["validation_legacy_top1"]  # better than the score it replaced
    assert 0 < ranker.threshold < 1


def test_purpose_clauses_are_recognised():
    assert is_purpose_clause("为整合计量、标准、认证认可、检验检测等国家质量基础设施（NQI）资源，规范平台运行，制定本办法。")
    assert is_purpose_clause("为做好疫情防控期间企业复工复产工作，现就有关事项通知如下：")
    assert not is_purpose_clause("企业可以通过微信小程序在线提交服务需求，平台在1个工作日内响应。")


def test_passage_ranks_of_both_search_sides_are_features_and_older_artifacts_read_their_own_columns(engine):
    import pytest

    from assistant.learn.sentences import SentenceRanker

    question = "区长质量奖最多奖多少钱？"
    hits = engine.search(question, 8)
    cands = candidates(engine.index, hits)
    terms, alias = question_terms(engine.index, question), expansions(question)
    x = features(engine.index, normalize_query(question), cands, hits, lambda t: coverage(terms, t, alias))
    dense, lexical = FEATURES.index("hit_dense_inv_rank"), FEATURES.index("hit_lexical_inv_rank")
    for row, c in zip(x, cands):
        hit = hits[c.hit_rank - 1]
        assert row[dense] == (1.0 / hit.dense_rank if hit.dense_rank else 0.0)
        assert row[lexical] == (1.0 / hit.lexical_rank if hit.lexical_rank else 0.0)
    assert x[:, dense].max() > 0  # the shipped index is hybrid: the dense side ranked some passage
    # An artifact trained on fewer features (sentences-2 has no per-side ranks) reads its own columns by name.
    ranker = load_ranker()
    spec = ranker.spec
    if "hit_dense_inv_rank" not in spec["features"]:
        shuffled = x.copy()
        shuffled[:, [dense, lexical]] = 7.0
        assert np.allclose(ranker.raw(x), ranker.raw(shuffled))
    with pytest.raises(ValueError):
        SentenceRanker({**spec, "features": [*spec["features"], "no_such_feature"]})
