"""A built index on disk: layout, the CURRENT pointer, and the loaded form that search reads.

index_dir/
  CURRENT                  name of the build being served (replaced atomically)
  builds/<build_id>/       manifest.json, docs.jsonl, chunks.jsonl, bm25/, chroma/,
                           sentence_vectors.npz (optional: e5 vectors of the answer's candidate sentences)
  cache/embeddings.sqlite  passage vectors keyed by model and text hash
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urlparse
from pathlib import Path

import numpy as np

from .fileio import write_atomic
from .ingest.chunking import OutlineEntry, section_at
from .models import Chunk, DocumentMeta

COLLECTION = "chunks"


class IndexNotFound(Exception):
    pass


def builds_dir(index_dir: Path) -> Path:
    return index_dir / "builds"


def current_build_dir(index_dir: Path) -> Path | None:
    pointer = index_dir / "CURRENT"
    if not pointer.exists():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    path = builds_dir(index_dir) / name
    return path if name and (path / "manifest.json").exists() else None


def set_current(index_dir: Path, build_id: str) -> None:
    """Point CURRENT at a finished build: written aside and renamed over (atomic on POSIX)."""
    write_atomic(index_dir / "CURRENT", build_id.encode("utf-8"))


def context_text(meta: DocumentMeta, chunk: Chunk) -> str:
    """What is embedded and lexically indexed for a chunk: title and heading path give it context."""
    head = meta.title if not chunk.section else f"{meta.title} {chunk.section}"
    return f"{head}\n{chunk.text}"


def chroma_client(path: Path, url: str = ""):
    """Embedded Chroma under the build folder, or a `chroma run` server (several workers or machines
    sharing one vector store) when a URL is configured."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False)
    if url:
        parsed = urlparse(url)
        return chromadb.HttpClient(host=parsed.hostname or "127.0.0.1", port=parsed.port or 8000,
                                   ssl=parsed.scheme == "https", settings=settings)
    return chromadb.PersistentClient(path=str(path), settings=settings)


def vector_store_for(build_id: str, url: str) -> dict:
    """Where a build keeps its vectors: its own folder, or its own collection on the shared server
    (one collection per build, so a new build never disturbs the one being served)."""
    if url:
        return {"kind": "server", "url": url, "collection": f"{COLLECTION}_{build_id}"}
    return {"kind": "embedded", "collection": COLLECTION}


def open_collection(build: Path, store: dict):
    client = chroma_client(build / "chroma", store.get("url", "") if store.get("kind") == "server" else "")
    return client.get_collection(store["collection"], embedding_function=None)


@dataclass
class DocRecord:
    meta: DocumentMeta
    text: str
    outline: list[OutlineEntry]
    lines: list[tuple[int, int]]

    def section_for(self, start: int, end: int) -> str:
        return section_at(self.outline, self.lines, start, end)

    def to_json(self) -> dict:
        return {"meta": self.meta.model_dump(), "text": self.text,
                "outline": [[o.start, o.end, o.rank, o.path] for o in self.outline], "lines": self.lines}

    @classmethod
    def from_json(cls, data: dict) -> "DocRecord":
        return cls(meta=DocumentMeta(**data["meta"]), text=data["text"],
                   outline=[OutlineEntry(*o) for o in data["outline"]], lines=[tuple(x) for x in data["lines"]])


def read_build(build: Path) -> tuple[dict, dict[str, DocRecord], list[Chunk]]:
    """The manifest, documents and chunks a finished build holds."""
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    docs: dict[str, DocRecord] = {}
    with open(build / "docs.jsonl", encoding="utf-8") as fh:
        for line in fh:
            rec = DocRecord.from_json(json.loads(line))
            docs[rec.meta.doc_id] = rec
    with open(build / "chunks.jsonl", encoding="utf-8") as fh:
        chunks = [Chunk(**json.loads(line)) for line in fh]
    return manifest, docs, chunks


SENTENCE_VECTORS = "sentence_vectors.npz"


@dataclass
class SentenceVectors:
    """Unit e5 passage vectors of the candidate sentences of every chunk (assistant/learn/sentences.py
    enumerates them), keyed by (doc_id, start, end); equal texts share one row. Builds made before these
    existed have none: the sentence ranker then falls back to its model without dense features."""

    rows: dict[tuple[str, int, int], int]
    matrix: np.ndarray  # float32, one unit vector a row

    def save(self, path: Path) -> None:
        keys = list(self.rows)
        doc_ids = sorted({k[0] for k in keys})
        pos = {d: i for i, d in enumerate(doc_ids)}
        np.savez_compressed(path, doc_ids=np.array(doc_ids, dtype=object).astype(str),
                            doc=np.array([pos[k[0]] for k in keys], dtype=np.int32),
                            start=np.array([k[1] for k in keys], dtype=np.int32),
                            end=np.array([k[2] for k in keys], dtype=np.int32),
                            row=np.array([self.rows[k] for k in keys], dtype=np.int32),
                            matrix=self.matrix.astype(np.float16))

    @classmethod
    def load(cls, path: Path) -> "SentenceVectors | None":
        if not path.exists():
            return None
        with np.load(path) as data:
            doc_ids = [str(d) for d in data["doc_ids"]]
            rows = {(doc_ids[d], int(a), int(b)): int(r)
                    for d, a, b, r in zip(data["doc"], data["start"], data["end"], data["row"])}
            return cls(rows=rows, matrix=data["matrix"].astype(np.float32))

    def cosines(self, query: np.ndarray, spans: list[tuple[str, int, int]]) -> np.ndarray:
        """Cosine of each span's vector to the query vector; NaN where a span has none."""
        q = np.asarray(query, dtype=np.float32)
        q = q / (np.linalg.norm(q) or 1.0)
        out = np.full(len(spans), np.nan)
        found = [(i, self.rows[s]) for i, s in enumerate(spans) if s in self.rows]
        if found:
            idx, rows = zip(*found)
            out[list(idx)] = self.matrix[list(rows)] @ q
        return out


@dataclass
class LoadedIndex:
    """Everything search needs, read from one build; immutable once loaded (swapped whole)."""

    build_dir: Path
    manifest: dict
    docs: dict[str, DocRecord]
    chunks: list[Chunk]
    bm25: object
    collection: object | None
    chunk_pos: dict[str, int] = field(default_factory=dict)
    doc_chunks: dict[str, list[int]] = field(default_factory=dict)
    sentence_vectors: SentenceVectors | None = None

    @property
    def build_id(self) -> str:
        return self.manifest["build_id"]

    @cached_property
    def programmes(self) -> frozenset[str]:
        """Every programme the documents' `programs` metadata names (青岛优品, 区长质量奖 …)."""
        return frozenset(p for rec in self.docs.values() for p in rec.meta.programs)

    @classmethod
    def open(cls, index_dir: Path) -> "LoadedIndex":
        build = current_build_dir(index_dir)
        if build is None:
            raise IndexNotFound(f"索引不存在：{index_dir}（请先运行 assistant index）")
        return cls.open_build(build)

    @classmethod
    def open_build(cls, build: Path) -> "LoadedIndex":
        import bm25s

        manifest, docs, chunks = read_build(build)
        bm25 = bm25s.BM25.load(str(build / "bm25")) if chunks else None
        store = manifest.get("vector_store", {"kind": "embedded", "collection": COLLECTION})
        collection = open_collection(build, store) if chunks else None
        index = cls(build_dir=build, manifest=manifest, docs=docs, chunks=chunks, bm25=bm25, collection=collection)
        index.sentence_vectors = SentenceVectors.load(build / SENTENCE_VECTORS)
        index.chunk_pos = {c.chunk_id: i for i, c in enumerate(chunks)}
        for i, c in enumerate(chunks):
            index.doc_chunks.setdefault(c.doc_id, []).append(i)
        return index

    def idf(self, token: str) -> float:
        """Inverse document frequency over chunks; a token the corpus never uses gets the maximum."""
        n = len(self.chunks)
        if self.bm25 is None or n == 0:
            return 0.0
        tid = self.bm25.vocab_dict.get(token)
        indptr = self.bm25.scores["indptr"]
        df = 0 if tid is None else int(indptr[tid + 1] - indptr[tid])
        return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))

    def dense(self, vector: list[float], k: int, doc_ids: list[str] | None = None) -> list[tuple[int, float]]:
        """(chunk position, cosine similarity), best first."""
        if self.collection is None or k <= 0:
            return []
        where = {"doc_id": {"$in": doc_ids}} if doc_ids is not None else None
        if doc_ids is not None and not doc_ids:
            return []
        n = min(k, len(self.chunks))
        res = self.collection.query(query_embeddings=[vector], n_results=n, where=where, include=["distances"])
        return [(self.chunk_pos[i], 1.0 - float(d)) for i, d in zip(res["ids"][0], res["distances"][0])
                if i in self.chunk_pos]

    def lexical(self, tokens: list[str], k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        if self.bm25 is None or not tokens:
            return []
        vocab = self.bm25.vocab_dict
        known = [t for t in tokens if t in vocab]
        if not known:
            return []
        scores = self.bm25.get_scores(known)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]
