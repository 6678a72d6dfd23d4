"""Chat service latency under concurrent clients, on loopback.

Starts `assistant serve` on a free loopback port (its own data folder; the index given, built from the shipped
corpus when missing), then for 1, 8 and 32 concurrent clients sends a bounded number of streaming
POST /api/chat requests and measures, per request, the time to the first SSE `delta` event (first streamed
text) and to the `done` event (answer, citations and the stored turn). Prints p50/p95 and writes JSON.

Two question mixes: `new` makes every question text unique (each one pays for a query embedding: the worst
case), `repeated` rotates twelve common questions (the service's query-vector cache answers those).

    python benchmarks/chat_load.py [--index DIR] [--clients 1 8 32] [--requests 64] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT / "benchmarks"))
from serving import pct, running_server  # noqa: E402

# Questions an enterprise asks, across the shipped corpus.
QUESTIONS = [
    "区长质量奖的奖励标准是多少？",
    "申报区长质量奖需要什么条件？",
    "首席质量官有哪些职责？",
    "青岛优品怎么申报？",
    "管理体系认证补贴怎么申领？",
    "企业标准自我声明公开怎么办理？",
    "市级标准化试点申报需要哪些材料？",
    "质量安全总监备案怎么办理？",
    "商标注册便利化服务有哪些？",
    "知识产权资助的标准是什么？",
    "卓越绩效管理模式怎么导入？",
    "质量月活动有哪些安排？",
]


async def one_request(client: httpx.AsyncClient, question: str) -> tuple[float, float]:
    """(seconds to the first delta, seconds to done) for one streamed answer."""
    start = time.perf_counter()
    first = None
    async with client.stream("POST", "/api/chat", json={"message": question, "stream": True}) as response:
        response.raise_for_status()
        event = ""
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                now = time.perf_counter()
                if event == "delta" and first is None:
                    first = now - start
                elif event == "error":
                    raise RuntimeError(line)
                elif event == "done":
                    return (first if first is not None else now - start), now - start
    raise RuntimeError("stream ended without done")


async def run_level(base: str, clients: int, total: int, mix: str, seq: list[int]) -> dict:
    per_client = max(1, total // clients)
    ttft: list[float] = []
    full: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    def question(k: int) -> str:
        q = QUESTIONS[k % len(QUESTIONS)]
        if mix == "new":  # a text never asked before: no cached query vector
            seq[0] += 1
            q = f"{q}（咨询编号{seq[0]}）"
        return q

    async with httpx.AsyncClient(base_url=base, timeout=300, limits=limits) as client:
        async def worker(w: int) -> None:
            nonlocal errors
            for i in range(per_client):
                try:
                    a, b = await one_request(client, question(w * per_client + i))
                    ttft.append(a)
                    full.append(b)
                except Exception:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(clients)))
        wall = time.perf_counter() - started
    return {"questions": mix, "clients": clients, "requests": len(full), "errors": errors, "wall_s": round(wall, 3),
            "throughput_rps": round(len(full) / wall, 2) if wall else 0.0,
            "ttft_p50_ms": pct(ttft, 50), "ttft_p95_ms": pct(ttft, 95),
            "total_p50_ms": pct(full, 50), "total_p95_ms": pct(full, 95)}


def markdown(results: list[dict]) -> str:
    head = ["questions", "concurrent clients", "requests", "first token p50", "first token p95", "full answer p50",
            "full answer p95", "throughput", "errors"]
    lines = ["| " + " | ".join(head) + " |", "| --- |" + " ---: |" * (len(head) - 1)]
    for r in results:
        cells = [r["questions"], r["clients"], r["requests"], f"{r['ttft_p50_ms']:.0f} ms", f"{r['ttft_p95_ms']:.0f} ms",
                 f"{r['total_p50_ms']:.0f} ms", f"{r['total_p95_ms']:.0f} ms", f"{r['throughput_rps']:.1f} req/s",
                 r["errors"]]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=ROOT / "index", help="index folder (built when missing)")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--requests", type=int, default=64, help="requests per concurrency level (bounded)")
    parser.add_argument("--mix", choices=["new", "repeated"], nargs="+", default=["new", "repeated"])
    parser.add_argument("--warmup", type=int, default=6)
    parser.add_argument("--json", type=Path, default=RESULTS / "chat_load.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="chat-load-") as data:
        with running_server(args.index, Path(data)) as (base, ready):
            print(f"server ready: {ready['documents']} documents, {ready['chunks']} chunks", file=sys.stderr)
            seq = [0]
            asyncio.run(run_level(base, 1, args.warmup, "repeated", seq))  # load models, cache the common questions
            asyncio.run(run_level(base, 1, len(QUESTIONS), "repeated", seq))
            results = []
            for mix in args.mix:
                for n in args.clients:
                    r = asyncio.run(run_level(base, n, max(args.requests, n), mix, seq))
                    results.append(r)
                    print(json.dumps(r), file=sys.stderr)

    meta = {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
            "documents": ready["documents"], "chunks": ready["chunks"], "mode": "offline composer"}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"meta": meta, "results": results}, ensure_ascii=False, indent=1), encoding="utf-8")
    print(markdown(results))
    return 0 if all(r["errors"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
