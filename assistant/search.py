"""Hybrid retrieval: BM25 (jieba) and dense (e5) candidates fused by weighted reciprocal rank,
documents ranked by the evidence of all their chunks, optional CrossEncoder reranking, metadata filters."""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from .models import Hit, SearchFilters
from .settings import Settings
from .store import LoadedIndex, context_text
from .tokenize import normalize_query, query_tokens


@dataclass
class FusionParams:
    rrf_k: int = 60
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    doc_weight: float = 0.5  # how much a document's overall evidence lifts each of its chunks
    candidates: int = 60


class Searcher:
    """Searches one loaded index. Cheap to create; the heavy parts (models, index) are shared."""

    def __init__(self, index: LoadedIndex, embeddings: Embeddings | None, settings: Settings,
                 params: FusionParams | None = None) -> None:
        self.index = index
        self.embeddings = embeddings
        self.settings = settings
        self.params = params or FusionParams(rrf_k=settings.rrf_k, dense_weight=settings.dense_weight,
                                             lexical_weight=settings.lexical_weight,
                                             candidates=settings.candidate_k)
        self._reranker = None
        self._reranker_lock = threading.Lock()

    # --- filters ---------------------------------------------------------------------------------

    def allowed_docs(self, filters: SearchFilters | None) -> list[str] | None:
        if filters is None:
            return None
        f = filters
        if not (f.status or f.region or f.program or f.doc_ids is not None or f.current_only):
            return None
        out = []
        for doc_id, rec in self.index.docs.items():
            m = rec.meta
            if f.status and m.status not in f.status:
                continue
            if f.current_only and m.status != "现行":
                continue
            if f.region and f.region not in m.region:
                continue
            if f.program and f.program not in m.programs:
                continue
            if f.doc_ids is not None and doc_id not in f.doc_ids:
                continue
            out.append(doc_id)
        return out

    def _mask(self, doc_ids: list[str] | None) -> np.ndarray | None:
        if doc_ids is None:
            return None
        mask = np.zeros(len(self.index.chunks), dtype=bool)
        for d in doc_ids:
            mask[self.index.doc_chunks.get(d, [])] = True
        return mask

    # --- search ----------------------------------------------------------------------------------

    def search(self, question: str, k: int = 10, filters: SearchFilters | None = None) -> list[Hit]:
        q = normalize_query(question)
        if not q or not self.index.chunks:
            return []
        p = self.params
        allowed = self.allowed_docs(filters)
        if allowed is not None and not allowed:
            return []
        lexical = self.index.lexical(query_tokens(q), p.candidates, self._mask(allowed))
        dense = []
        if self.embeddings is not None and p.dense_weight > 0:
            dense = self.index.dense(self.embeddings.embed_query(q), p.candidates, allowed)
        fused: dict[int, float] = defaultdict(float)
        ranks: dict[int, dict[str, int]] = defaultdict(dict)
        for name, results, weight in (("lexical", lexical, p.lexical_weight), ("dense", dense, p.dense_weight)):
            for rank, (pos, _score) in enumerate(results, 1):
                fused[pos] += weight / (p.rrf_k + rank)
                ranks[pos][name] = rank
        # Document evidence: the best chunk counts fully, further chunks of the same document a little.
        per_doc: dict[str, list[float]] = defaultdict(list)
        for pos, s in fused.items():
            per_doc[self.index.chunks[pos].doc_id].append(s)
        doc_score = {d: sorted(v, reverse=True)[0] + 0.3 * sum(sorted(v, reverse=True)[1:3]) for d, v in per_doc.items()}
        scored = sorted(((s + p.doc_weight * doc_score[self.index.chunks[pos].doc_id], pos) for pos, s in fused.items()),
                        reverse=True)
        if self.settings.reranker_model:
            scored = self._rerank(q, scored)
        hits = []
        for rank, (score, pos) in enumerate(scored[:k], 1):
            c = self.index.chunks[pos]
            meta = self.index.docs[c.doc_id].meta
            hits.append(Hit(rank=rank, score=round(float(score), 6), doc_id=c.doc_id, source=meta.source,
                            title=meta.title, section=c.section, text=c.text, start=c.start, end=c.end,
                            status=meta.status, doc_number=meta.doc_number, chunk_id=c.chunk_id,
                            dense_rank=ranks[pos].get("dense"), lexical_rank=ranks[pos].get("lexical")))
        return hits

    def _rerank(self, q: str, scored: list[tuple[float, int]]) -> list[tuple[float, int]]:
        with self._reranker_lock:
            if self._reranker is None:
                from sentence_transformers import CrossEncoder

                self._reranker = CrossEncoder(self.settings.reranker_model, device="cpu")
        head = scored[: self.settings.reranker_top_n]
        pairs = [(q, context_text(self.index.docs[self.index.chunks[pos].doc_id].meta, self.index.chunks[pos]))
                 for _, pos in head]
        scores = self._reranker.predict(pairs, show_progress_bar=False)
        reranked = sorted(zip((float(s) for s in scores), (pos for _, pos in head)), reverse=True)
        return reranked + scored[len(head):]
