"""Hybrid retrieval: BM25 (jieba words + character bigrams) and dense (e5) candidates, each score
normalized over its candidate list and mixed convexly; optional CrossEncoder reranking; metadata filters.

Convex score fusion beat reciprocal-rank fusion and every document-level boost we tried on the real
ncp-policies questions (docs/benchmarks.md): the scores carry how much better the best hit is, ranks do not."""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from .models import Hit, SearchFilters
from .settings import Settings
from .store import LoadedIndex, context_text
from .ingest.region import applies, chain, mentioned_regions, within
from .text import ARTICLE_NUMBER
from .tokenize import normalize_query, query_tokens


ARTICLE_BOOST = 0.5


@dataclass
class FusionParams:
    lexical_weight: float = 0.7  # the dense side gets the rest
    candidates: int = 100


class Searcher:
    """Searches one loaded index. Cheap to create; the heavy parts (models, index) are shared."""

    def __init__(self, index: LoadedIndex, embeddings: Embeddings | None, settings: Settings,
                 params: FusionParams | None = None) -> None:
        self.index = index
        self.embeddings = embeddings
        self.settings = settings
        self.params = params or FusionParams(lexical_weight=settings.lexical_weight, candidates=settings.candidate_k)
        self._reranker = None
        self._reranker_lock = threading.Lock()
        # The last questions' query vectors, so the composer's dense sentence features reuse the one
        # embedding search made (an answer embeds its question once).
        self._query_vectors: OrderedDict[str, list[float]] = OrderedDict()
        self._query_lock = threading.Lock()

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
        if self.embeddings is not None and p.lexical_weight < 1:
            dense = self.index.dense(self._embed_query(q), p.candidates, allowed)
        fused: dict[int, float] = defaultdict(float)
        ranks: dict[int, dict[str, int]] = defaultdict(dict)
        cosines = dict(dense)
        if lexical:
            top = lexical[0][1] or 1.0
            for rank, (pos, score) in enumerate(lexical, 1):
                fused[pos] += p.lexical_weight * score / top
                ranks[pos]["lexical"] = rank
        if dense:
            hi, lo = dense[0][1], dense[-1][1]
            for rank, (pos, score) in enumerate(dense, 1):
                fused[pos] += (1 - p.lexical_weight) * (score - lo) / (hi - lo + 1e-9)
                ranks[pos]["dense"] = rank
        article = ARTICLE_NUMBER.search(q)
        if article:
            # "第十四条说了什么": the chunk that holds the named article is what was asked for.
            label = article.group(0)
            for pos in fused:
                c = self.index.chunks[pos]
                if label in c.section or c.text.startswith(label) or f"\n{label}" in c.text:
                    fused[pos] += ARTICLE_BOOST
        penalty = self.settings.region_penalty
        if penalty < 1:
            # Documents that apply to the asker rank first: the service region's chain, or the region the
            # question names when the corpus holds documents for it.
            target = self.target_region(q)
            for pos in fused:
                if not self.applies_to(self.index.chunks[pos].doc_id, target):
                    fused[pos] *= penalty
        scored = sorted(((s, pos) for pos, s in fused.items()), key=lambda x: (-x[0], x[1]))
        if self.settings.reranker_model:
            scored = self._rerank(q, scored)
        hits = []
        for rank, (score, pos) in enumerate(scored[:k], 1):
            c = self.index.chunks[pos]
            meta = self.index.docs[c.doc_id].meta
            hits.append(Hit(rank=rank, score=round(float(score), 6), doc_id=c.doc_id, source=meta.source,
                            title=meta.title, section=c.section, text=c.text, start=c.start, end=c.end,
                            status=meta.status, doc_number=meta.doc_number, chunk_id=c.chunk_id,
                            dense_rank=ranks[pos].get("dense"), lexical_rank=ranks[pos].get("lexical"),
                            dense_score=round(cosines[pos], 6) if pos in cosines else None))
        return hits

    def _embed_query(self, q: str) -> list[float]:
        # The encoder's cost grows faster than linearly with length; a question's head carries its topic.
        text = q[: self.settings.dense_query_max_chars]
        vector = self.embeddings.embed_query(text)
        with self._query_lock:
            self._query_vectors[text] = vector
            self._query_vectors.move_to_end(text)
            while len(self._query_vectors) > 64:
                self._query_vectors.popitem(last=False)
        return vector

    def query_vector(self, question: str) -> list[float] | None:
        """The query vector search embedded for this question, if it searched it recently with its dense
        side on; never embeds anything itself (None: the caller goes without)."""
        text = normalize_query(question)[: self.settings.dense_query_max_chars]
        with self._query_lock:
            return self._query_vectors.get(text)

    @property
    def dense_enabled(self) -> bool:
        """Whether search runs the dense side (an embedding model, vectors in the index, a dense weight)."""
        return self.embeddings is not None and self.index.collection is not None and self.params.lexical_weight < 1

    # --- jurisdiction ----------------------------------------------------------------------------

    def held_regions(self, regions: list[str]) -> list[str]:
        """Of the regions a question names, those the corpus holds documents for (the region itself, a
        region inside it, or a province above it — not 全国, which every region has)."""
        doc_regions = {rec.meta.region for rec in self.index.docs.values() if rec.meta.region}
        return [r for r in regions if any(d != "全国" and (within(d, r) or within(r, d)) for d in doc_regions)]

    def target_region(self, question: str) -> str:
        """The region whose documents apply to this question: the one it names (when the corpus holds it
        and it is not already on the service chain), else the configured service region."""
        service = self.settings.service_region
        named = [r for r in mentioned_regions(question) if r not in chain(service)]
        held = self.held_regions(named) if named else []
        return held[0] if held else service

    def applies_to(self, doc_id: str, target: str) -> bool:
        """Whether a document's rules apply in `target` (its region is on the chain, or inside it)."""
        region = self.index.docs[doc_id].meta.region
        return applies(region, target) or within(region, target)

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
