"""The candidate sentences of a passage (its sentences, and the clauses of a very long one) and their e5
vectors, computed once at index time. Imports nothing of the answering side, so the index builder can use
it; assistant/learn/sentences.py builds the ranker's candidates and features on the same spans."""

from __future__ import annotations

import re
from typing import Callable

import numpy as np

from ..store import SentenceVectors
from ..text import split_sentences

LONG_SENTENCE = 160  # a longer "sentence" is split into its clauses (；，) so a short span can lead
# A sentence this short is a candidate too: a guide's one-line field (【收费标准】 不收费) answers in three
# characters; the composer drops short lines that are not such a field's whole body (compose.field_value).
MIN_SENTENCE = 2
_CLAUSE = re.compile(r"[^；;，,]*(?:[；;，,]|$)")


def _clauses(text: str, s: int) -> list[tuple[int, int]]:
    out = []
    for m in _CLAUSE.finditer(text):
        a, b = m.start(), m.end()
        while a < b and text[a].isspace():
            a += 1
        if b - a >= 4:
            out.append((s + a, s + b))
    return out


def passage_spans(text: str, start: int, end: int) -> list[tuple[int, int, bool, int, int]]:
    """(start, end, is_clause, sentence index, sentences in passage) of the candidate pieces of the passage
    text[start:end]: its sentences, and the clauses of a very long one. The index builder embeds exactly
    these spans per chunk, so a candidate of a retrieved chunk finds its vector by (doc, start, end)."""
    spans = split_sentences(text[start:end], base=start)
    out = []
    for i, (s, e) in enumerate(spans):
        pieces = [(s, e, False)]
        if e - s > LONG_SENTENCE:
            pieces += [(a, b, True) for a, b in _clauses(text[s:e], s)]
        out.extend((a, b, is_clause, i, len(spans)) for a, b, is_clause in pieces
                   if len(text[a:b].strip()) >= (4 if is_clause else MIN_SENTENCE))
    return out


def sentence_vectors(docs: dict, chunks: list, embed_documents: Callable[[list[str]], list]) -> SentenceVectors:
    """The e5 passage vectors of every chunk's candidate spans (index time; the embedding cache makes an
    unchanged sentence free on the next build). Equal texts are embedded once."""
    rows: dict[tuple[str, int, int], int] = {}
    text_row: dict[str, int] = {}
    for c in chunks:
        text = docs[c.doc_id].text
        for a, b, *_ in passage_spans(text, c.start, c.end):
            piece = text[a:b].strip()
            rows[(c.doc_id, a, b)] = text_row.setdefault(piece, len(text_row))
    texts = list(text_row)
    matrix = np.asarray(embed_documents(texts), dtype=np.float32).reshape(len(texts), -1) if texts else np.zeros((0, 0))
    if len(matrix):
        matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    return SentenceVectors(rows=rows, matrix=matrix)
