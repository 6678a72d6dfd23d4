"""Indexing throughput (and where its time goes), incremental re-index cost, warm query latency and
peak memory, all in one run so the ratios are comparable.

    python benchmarks/index_and_query.py [--docs 120]

Indexing: a cold build (empty embedding cache) of the first N ncp-policies documents, then a rebuild with
nothing changed, then a rebuild after one document changed. Latency: `search` over the full ncp index
(built by benchmarks/retrieval_ncp.py) and offline `ask` over the shipped corpus, warm, one at a time.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from assistant.engine import Engine  # noqa: E402
from assistant.evaluation import DEFAULT_GOLDEN, load_golden  # noqa: E402
from assistant.indexer import build_index  # noqa: E402
from assistant.settings import PROJECT_ROOT, Settings  # noqa: E402
from benchmarks.common import WORK, ncp_corpus  # noqa: E402


def pct(values: list[float]) -> str:
    ms = np.array(values) * 1000
    return f"p50 {np.percentile(ms, 50):.1f} ms, p95 {np.percentile(ms, 95):.1f} ms"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=120)
    args = ap.parse_args()
    corpus, docs, questions = ncp_corpus()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sub = tmp / "ncp-subset"
        sub.mkdir()
        for path in sorted(corpus.glob("*.txt"))[: args.docs]:
            shutil.copy(path, sub / path.name)
        s = Settings(index_dir=tmp / "index", data_dir=tmp / "data")
        cold = build_index([sub], s.index_dir, s)
        warm = build_index([sub], s.index_dir, s)
        first = sorted(sub.glob("*.txt"))[0]
        first.write_text(first.read_text(encoding="utf-8") + " 本文件已于近日更新。", encoding="utf-8")
        incremental = build_index([sub], s.index_dir, s)

    print(f"## Indexing ({args.docs} ncp-policies documents, cold embedding cache)\n")
    print("| build | documents parsed | chunks | embedded | seconds | chunks/s | embedding share |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, r in (("cold", cold), ("nothing changed", warm), ("one document changed", incremental)):
        parsed = r.added + r.updated
        share = r.timings.get("embed", 0) / r.seconds if r.seconds else 0
        print(f"| {name} | {parsed} | {r.chunks} | {r.embedded} | {r.seconds:.1f} | {r.chunks / r.seconds:.1f} | {share:.0%} |")
    print("\ncold build stages: " + ", ".join(f"{k} {v:.1f} s" for k, v in cold.timings.items()))

    ncp = Engine(Settings(index_dir=WORK / "ncp-index"))
    ncp.load()
    for q in questions[:5]:
        ncp.search(q["question"], 10)
    lat = []
    for q in questions[:300]:
        t = time.perf_counter()
        ncp.search(q["question"], 10)
        lat.append(time.perf_counter() - t)
    print(f"\nsearch, full ncp index ({len(ncp.index.chunks)} chunks), {len(lat)} questions, warm: {pct(lat)}")

    with tempfile.TemporaryDirectory() as tmp:
        s = Settings(index_dir=Path(tmp) / "index", corpus_dirs=[PROJECT_ROOT / "corpus"],
                     embedding_cache=WORK / "shipped-embeddings.sqlite")
        build_index(s.corpus_dirs, s.index_dir, s)
        shipped = Engine(s)
        shipped.load()
        golden = [q["question"] for q in load_golden(DEFAULT_GOLDEN)["single"]]
        for q in golden[:5]:
            shipped.ask(q)
        lat = []
        for q in golden:
            t = time.perf_counter()
            shipped.ask(q)
            lat.append(time.perf_counter() - t)
        print(f"ask (offline composer), shipped corpus ({len(shipped.index.chunks)} chunks), {len(lat)} golden questions, warm: {pct(lat)}")
    print(f"peak memory (max RSS of this process): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
