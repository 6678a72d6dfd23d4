"""Dense sentence-question similarity for the answer's sentence choice: sentence vectors computed at index time,
the question's vector reused from search, the features they give, and the fallback when an index has none."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np

from assistant.answer.compose import OfflineComposer, coverage, expansions, question_terms
from assistant.answer.intent import detect_intent
from assistant.learn.sentence_spans import passage_spans, sentence_vectors
from assistant.learn.sentences import (DENSE_SENTENCE, FEATURES, Candidate, SentenceRanker, candidates,
                                       dense_sentence_features, features, load_ranker)
from assistant.models import Chunk
from assistant.tokenize import normalize_query

COS, GAP, RANK = (FEATURES.index(f) for f in ("sent_cos", "sent_cos_gap", "sent_cos_inv_rank"))


def _tiny(text: str, embeddings):
    """One document, one chunk, its sentence vectors and candidates (real spans, real embedding model)."""
    docs = {"d": SimpleNamespace(text=text)}
    chunk = Chunk(chunk_id="d#0", doc_id="d", section="", text=text, start=0, end=len(text), ordinal=0)
    vectors = sentence_vectors(docs, [chunk], embeddings.embed_documents)
    cands = [Candidate("d", a, b, text[a:b], 1, "", i, n, clause)
             for a, b, clause, i, n in passage_spans(text, 0, len(text))]
    return SimpleNamespace(sentence_vectors=vectors), cands


def test_a_sentence_that_says_what_is_asked_outranks_one_that_merely_shares_its_word(engine):
    # 无力支付职工薪酬 says 工资发不出来 without its words; the other sentence shares 员工 and nothing else.
    question = "员工工资发不出来怎么办？"
    shares_word, says_it = "员工培训由人力资源部门统一组织。", "企业暂时无力支付职工薪酬的，可与职工协商延期发放。"
    index, cands = _tiny(shares_word + says_it, engine.embeddings)
    assert [c.text for c in cands] == [shares_word, says_it]
    dense = dense_sentence_features(index, cands, engine.embeddings.embed_query(question))
    shares_word, paraphrase = dense
    assert paraphrase[0] > shares_word[0]  # cosine
    assert paraphrase[1] == 0.0 and shares_word[1] < 0  # gap to the best
    assert paraphrase[2] == 1.0 and shares_word[2] == 0.5  # 1 / rank among the candidates
    assert paraphrase[3] > 0 > shares_word[3]  # z-score among them


def test_sentence_vectors_cover_every_candidate_of_retrieved_passages_and_match_the_model(engine):
    question = "区长质量奖最多奖多少钱？"
    searcher = engine.searcher
    hits = searcher.search(question, 8)
    vector = searcher.query_vector(question)
    assert vector is not None and searcher.query_vector("另一个从未检索过的问题") is None
    cands = candidates(engine.index, hits)
    terms, alias = question_terms(engine.index, question), expansions(question)
    x = features(engine.index, normalize_query(question), cands, hits, lambda t: coverage(terms, t, alias), vector)
    assert np.isfinite(x).all()  # the built index holds a vector for every candidate span
    # The stored (float16) vector's cosine is the one of the sentence embedded now.
    some = cands[:3]
    fresh = np.asarray(engine.embeddings.embed_documents([c.text.strip() for c in some]))
    q = np.asarray(vector)
    expected = fresh @ q / np.linalg.norm(fresh, axis=1) / np.linalg.norm(q)
    assert np.allclose(x[:3, COS], expected, atol=2e-3)
    assert x[:, GAP].max() == 0.0 and sorted(x[:, RANK])[-1] == 1.0


def test_an_index_without_sentence_vectors_falls_back_to_the_model_without_them(engine):
    question = "区长质量奖最多奖多少钱？"
    hits = engine.search(question, 8)
    vector = engine.searcher.query_vector(question)
    old = dataclasses.replace(engine.index, sentence_vectors=None)  # a build made before sentence vectors
    cands = candidates(old, hits)
    terms, alias = question_terms(old, question), expansions(question)
    x = features(old, normalize_query(question), cands, hits, lambda t: coverage(terms, t, alias), vector)
    dense = [FEATURES.index(f) for f in DENSE_SENTENCE]
    assert np.isnan(x[:, dense]).all() and np.isfinite(np.delete(x, dense, axis=1)).all()
    ranker = load_ranker()
    chosen = ranker.for_rows(x)
    assert not any(f in DENSE_SENTENCE for f in chosen.spec["features"])
    probs = ranker.score(x)
    # Its pick is an amount of the prize asked about (which of the amounts, 50万元 or the 提名奖's 10万元, turns on
    # cosines that differ in the fourth decimal between machines: the fallback ranks without sentence vectors).
    best = cands[int(np.argmax(probs))].text
    assert np.isfinite(probs).all() and "万元" in best and "区长质量奖" in best
    # The answer over the old index is what the fallback model alone composes.
    intent = detect_intent(question)
    alone = OfflineComposer(old, "", ranker=chosen).compose(question, intent, hits, query_vector=vector)
    served = OfflineComposer(old, "").compose(question, intent, hits, query_vector=vector)
    assert served.found and served.answer == alone.answer


def test_a_span_an_older_build_did_not_embed_counts_as_least_similar(engine):
    # Builds before short field values (不收费) became candidates hold no vector for them: that one row must not
    # send the whole question to the model without dense features.
    question = "员工工资发不出来怎么办？"
    text = "员工培训由人力资源部门统一组织。企业暂时无力支付职工薪酬的，可与职工协商延期发放。"
    index, cands = _tiny(text, engine.embeddings)
    extra = Candidate("d", len(text), len(text) + 3, "不收费", 1, "", 2, 3, False)  # no vector stored for it
    dense = dense_sentence_features(index, cands + [extra], engine.embeddings.embed_query(question))
    assert np.isfinite(dense).all()
    assert dense[2, 0] == dense[:2, 0].min() and dense[2, 2] == 1 / 3 and dense[2, 3] < 0


def test_a_dense_model_without_a_fallback_refuses_rows_without_vectors():
    import pytest

    spec = {"version": "t", "features": ["cov", "sent_cos"], "kind": "logistic", "mean": [0, 0], "scale": [1, 1],
            "coef": [1.0, 2.0], "intercept": 0.0}
    x = np.zeros((2, len(FEATURES)))
    x[:, FEATURES.index("sent_cos")] = [0.9, 0.8]
    probs = SentenceRanker(spec).score(x)
    assert probs[0] > probs[1]  # the dense column is read
    x[:, FEATURES.index("sent_cos")] = np.nan
    with pytest.raises(ValueError):
        SentenceRanker(spec).score(x)
    fallback = SentenceRanker({**spec, "features": ["cov"], "mean": [0], "scale": [1], "coef": [1.0]})
    assert np.allclose(SentenceRanker(spec, fallback).score(x), 0.5)



def test_a_sentence_is_credited_with_how_well_its_own_article_covers_the_question(engine):
    question = "区长质量奖最多奖多少钱？"
    hits = engine.search(question, 8)
    cands = candidates(engine.index, hits)
    terms, alias = question_terms(engine.index, question), expansions(question)
    x = features(engine.index, normalize_query(question), cands, hits, lambda t: coverage(terms, t, alias),
                 engine.searcher.query_vector(question))
    unit, rel = FEATURES.index("unit_cov"), FEATURES.index("unit_cov_rel")
    checked = 0
    for row, c in zip(x, cands):
        rec = engine.index.docs[c.doc_id]
        inner = [e for e in rec.outline if e.start <= c.start and c.end <= e.end]
        if not inner or "条" not in c.section:
            continue
        article = max(inner, key=lambda e: e.start)  # the innermost section: the sentence's article
        assert row[unit] == coverage(terms, rec.text[article.start:article.end].lower(), alias)
        checked += 1
    assert checked >= 3
    assert x[:, rel].max() == 1.0 and len(set(x[:, unit])) > 1  # articles differ in how well they cover it
