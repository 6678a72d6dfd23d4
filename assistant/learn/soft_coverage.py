"""Soft coverage: how close the best passages come to the question's terms they do not contain.

Term coverage counts a question term only on an exact match, so a colloquial question whose words are
paraphrases of the corpus's (科室 / 质量发展科, 营收 / 营业收入, 盘子 / 规模) looks as uncovered as an off-domain
one (个人所得税). Two measures of the gap, for the terms the passages lack:

- character level (free): the IDF-weighted share of an uncovered term's characters that one sentence of the
  best passages holds — characters rare in the corpus weigh most, so 科 of 科室 in 质量发展科 counts, the 子 of
  盘子 hardly;
- embedding level (one batched query embedding of the few uncovered terms, `query:` prefix, through the same
  model search uses): each term's best cosine to the best passages' stored chunk vectors, and how that cosine
  compares with the term's best cosine anywhere in the corpus (0: the evidence is what the term itself finds).
"""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np

from ..models import Hit
from ..store import LoadedIndex

SENTENCE = re.compile(r"[^。；！？!?;\n]+")
MAX_EMBEDDED_TERMS = 4  # the heaviest uncovered terms; a question rarely has more


def char_idf(index: LoadedIndex) -> dict[str, float]:
    """Inverse document frequency of every character over the index's chunks (computed once per index)."""
    cached = index.__dict__.get("_char_idf")
    if cached is not None:
        return cached
    df: Counter[str] = Counter()
    for c in index.chunks:
        df.update(set(c.text.lower()))
    n = max(len(index.chunks), 1)
    idf = {ch: math.log(1 + (n - d + 0.5) / (d + 0.5)) for ch, d in df.items()}
    idf[""] = math.log(1 + (n + 0.5) / 0.5)  # the weight of a character the corpus never uses
    index.__dict__["_char_idf"] = idf
    return idf


def char_share(term: str, text: str, idf: dict[str, float]) -> float:
    """IDF-weighted share of the term's distinct characters that `text` holds."""
    chars = set(term.lower())
    weight = {ch: idf.get(ch, idf[""]) for ch in chars if not ch.isspace()}
    total = sum(weight.values())
    return sum(w for ch, w in weight.items() if ch in text) / total if total > 0 else 0.0


def sentences(hits: list[Hit]) -> list[str]:
    """The best passages cut into sentences, each title and heading one of them."""
    out = []
    for h in hits:
        out.extend(s for s in (h.title.lower(), h.section.lower()) if s)
        out.extend(m.group(0) for m in SENTENCE.finditer(h.text.lower()))
    return out


def char_shares(index: LoadedIndex, uncovered: list[str], hits: list[Hit]) -> dict[str, float]:
    """Each uncovered term's best character share over the sentences of `hits`."""
    idf = char_idf(index)
    parts = sentences(hits)
    return {t: max((char_share(t, s, idf) for s in parts), default=0.0) for t in uncovered}


def chunk_vectors(index: LoadedIndex, hits: list[Hit]) -> np.ndarray | None:
    """The stored (unit-length) vectors of the hits' chunks, in hit order; None without a vector store."""
    if index.collection is None or not hits:
        return None
    ids = [h.chunk_id for h in hits]
    got = index.collection.get(ids=ids, include=["embeddings"])
    by_id = dict(zip(got["ids"], got["embeddings"]))
    if any(i not in by_id for i in ids):
        return None
    m = np.asarray([by_id[i] for i in ids], dtype=np.float32)
    return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)


def embed_terms(embeddings, terms: list[str]) -> np.ndarray:
    """Unit query vectors of `terms` (one batch when the model offers it)."""
    batch = getattr(embeddings, "embed_queries", None)
    vectors = batch(terms) if batch is not None else [embeddings.embed_query(t) for t in terms]
    m = np.asarray(vectors, dtype=np.float32)
    return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)


def embedding_closeness(index: LoadedIndex, uncovered: dict[str, float], hits: list[Hit], embeddings,
                        candidates: int = 100) -> tuple[float, float] | None:
    """(weighted mean over the heaviest uncovered terms of their best cosine to the hits' chunks, weighted mean
    of that cosine minus the term's best cosine over the whole corpus); None when vectors are not available."""
    if not uncovered or embeddings is None:
        return None
    vectors = chunk_vectors(index, hits)
    if vectors is None:
        return None
    terms = sorted(uncovered, key=lambda t: -uncovered[t])[:MAX_EMBEDDED_TERMS]
    tv = embed_terms(embeddings, terms)
    best = (tv @ vectors.T).max(axis=1)
    gaps = []
    for t, v, b in zip(terms, tv, best):
        nearest = index.dense(v.tolist(), 1)
        gaps.append(float(b) - (nearest[0][1] if nearest else float(b)))
    w = np.asarray([uncovered[t] for t in terms], dtype=np.float64)
    w = w / w.sum() if w.sum() > 0 else np.full(len(terms), 1 / len(terms))
    return float(w @ best), float(w @ np.asarray(gaps))
