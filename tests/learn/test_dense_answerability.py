"""The dense side of the answerability decision: search attaches each hit's raw e5 cosine, the features read
it without embedding anything again, the served model (answerability-v2) uses them, and a search with no
dense side is judged by the lexical model (answerability-v1)."""

from __future__ import annotations

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.answer import answer_question
from assistant.answer.intent import detect_intent
from assistant.learn.answerability import LEXICAL_MODEL_PATH, MODEL_PATH, AnswerabilityModel, decide
from assistant.learn.features import DENSE, FEATURES, dense_features
from assistant.search import Searcher
from assistant.tokenize import normalize_query

IN_SCOPE = ("区长质量奖最多奖多少钱？", "申报青岛优品需要什么条件？")
OFF_DOMAIN = ("微众银行“不还本只还息”政策延期了多长时间？", "员工社保怎么缴纳")


class CountingEmbeddings(Embeddings):
    """The real embedding model, counting the calls made to it (the thing under test is who calls it)."""

    def __init__(self, inner: Embeddings) -> None:
        self.inner = inner
        self.queries = 0
        self.documents = 0

    def embed_query(self, text: str) -> list[float]:
        self.queries += 1
        return self.inner.embed_query(text)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.documents += len(texts)
        return self.inner.embed_documents(texts)


def _decide(searcher: Searcher, question: str):
    hits = searcher.search(question, 8)
    return decide(searcher.index, question, detect_intent(normalize_query(question)), hits,
                  dense=searcher.dense_enabled)


def test_hits_carry_the_raw_cosine_of_the_served_vectors(engine):
    counting = CountingEmbeddings(engine.embeddings)
    searcher = Searcher(engine.index, counting, engine.settings)
    question = "区长质量奖最多奖多少钱？"
    hits = searcher.search(question, 8)
    assert counting.queries == 1 and counting.documents == 0
    scored = [h for h in hits if h.dense_score is not None]
    assert scored and all(h.dense_rank is not None for h in scored)
    # The cosine is the one between the question's vector and the chunk's stored vector.
    q = np.asarray(engine.embeddings.embed_query(normalize_query(question)))
    stored = engine.index.collection.get(ids=[h.chunk_id for h in scored], include=["embeddings"])
    by_id = dict(zip(stored["ids"], stored["embeddings"]))
    for h in scored:
        v = np.asarray(by_id[h.chunk_id])
        assert abs(float(q @ v / np.linalg.norm(q) / np.linalg.norm(v)) - h.dense_score) < 2e-3


def test_the_whole_answer_embeds_the_question_once(engine):
    counting = CountingEmbeddings(engine.embeddings)
    searcher = Searcher(engine.index, counting, engine.settings)
    answer = answer_question(searcher, "区长质量奖最多奖多少钱？", engine.settings, [])
    assert answer.found and answer.answerability is not None
    assert counting.queries == 1 and counting.documents == 0  # the dense features reused search's vector


def test_dense_features_follow_the_hits_cosines(engine):
    hits = engine.search("申报青岛优品需要什么条件？", 8)
    feats = dense_features(hits)
    cos = [h.dense_score or 0.0 for h in hits]
    assert feats["dense_top1"] == cos[0] and feats["dense_best"] == max(cos)
    assert 0.5 < feats["dense_best"] <= 1.0 and 0 <= feats["dense_gap"] <= feats["dense_best"]
    assert dense_features([])["dense_best"] == 0.0


def test_served_model_uses_dense_features_and_tells_in_scope_from_off_domain(engine):
    model = AnswerabilityModel.load(MODEL_PATH)
    assert model.needs_dense and model.version == 2 and set(DENSE) <= set(model.features)
    assert set(model.features) <= set(FEATURES + DENSE)
    for q in IN_SCOPE:
        d = _decide(engine.searcher, q)
        assert d.model_version == 2 and d.answerable, (q, d.probability, d.threshold)
    for q in OFF_DOMAIN:
        d = _decide(engine.searcher, q)
        assert d.model_version == 2 and not d.answerable, (q, d.probability, d.threshold)


def test_a_search_without_a_dense_side_is_judged_by_the_lexical_model(engine):
    lexical = Searcher(engine.index, None, engine.settings)
    assert not lexical.dense_enabled and engine.searcher.dense_enabled
    assert all(h.dense_score is None for h in lexical.search(IN_SCOPE[0], 8))
    v1 = AnswerabilityModel.load(LEXICAL_MODEL_PATH)
    assert not v1.needs_dense
    for q in IN_SCOPE:
        d = _decide(lexical, q)
        assert d.model_version == 1 and d.threshold == v1.threshold and d.answerable, (q, d.probability)
    for q in OFF_DOMAIN:
        d = _decide(lexical, q)
        assert d.model_version == 1 and not d.answerable, (q, d.probability)
    answer = answer_question(lexical, OFF_DOMAIN[0], engine.settings, [])
    assert not answer.found and answer.answerability is not None


def test_training_hybrid_index_gives_the_served_evidence(engine):
    """training/corpora.py's in-memory hybrid index (what the model is trained on) returns the hits, dense
    cosines and features the served index does."""
    from assistant.embeddings import CachedEmbeddings, EmbeddingCache
    from assistant.learn.features import evidence_features
    from support import CORPUS
    from training.corpora import hybrid_index

    cached = CachedEmbeddings(engine.embeddings, EmbeddingCache(engine.settings.embedding_cache))
    memory = Searcher(hybrid_index([CORPUS], cached, engine.settings), engine.embeddings, engine.settings)
    assert memory.dense_enabled and cached.stats["computed"] == 0  # the served index's vectors, from the cache
    for q in IN_SCOPE + OFF_DOMAIN:
        served, trained = engine.search(q, 8), memory.search(q, 8)
        assert [h.chunk_id for h in served[:5]] == [h.chunk_id for h in trained[:5]], q
        for a, b in zip(served[:5], trained[:5]):
            assert (a.dense_score is None) == (b.dense_score is None), (q, a.chunk_id)  # outside the candidates
            assert abs((a.dense_score or 0) - (b.dense_score or 0)) < 1e-3, (q, a.chunk_id)
        intent = detect_intent(normalize_query(q))
        fs, ft = evidence_features(engine.index, q, intent, served), evidence_features(memory.index, q, intent, trained)
        assert all(abs(fs[k] - ft[k]) < 0.02 for k in DENSE + ("cover_top1", "bm25_top1")), q
