"""Chat latency for ordinary clients with and without a long-question attacker, before and after the
issue-11 changes (bounded work per question, per-client rate limit), on loopback.

For each code tree given (`--root NAME=PATH`, e.g. the current tree and a `git worktree` of the commit
before), starts `assistant serve` from that tree on a free loopback port over the same index, then for 8 and
32 concurrent clients sends a bounded number of ordinary questions (`POST /api/chat`, JSON answer) and
reports p50/p95 latency and failures (non-200 or no answer within the timeout), first alone, then while
4 attacker threads send 2,000-character questions of distinct CJK characters as fast as they are answered.

Every client has its own loopback source address (fresh ones for each scenario: 127.N.1.10, .11 …; the
attacker 127.N.0.2), so the per-client rate limit sees them as the different clients they would be.

    git worktree add --detach /tmp/base 425987c
    python benchmarks/attack_load.py --root before=/tmp/base --root after=. [--index DIR]
    # the per-client limit at a lower setting, so that it engages within these short runs:
    python benchmarks/attack_load.py --root limit6=. --env limit6:ASSISTANT_RATE_LIMIT_REQUESTS=6
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT / "benchmarks"))
from chat_load import QUESTIONS  # noqa: E402
from serving import pct, running_server  # noqa: E402

ATTACK_CHARS = 2000
CJK = [chr(c) for c in range(0x4E00, 0x9FA5)]


def client_for(base: str, address: str, timeout: float) -> httpx.Client:
    return httpx.Client(base_url=base, timeout=timeout, transport=httpx.HTTPTransport(local_address=address))


def ask(client: httpx.Client, question: str) -> tuple[int, float]:
    started = time.perf_counter()
    try:
        r = client.post("/api/chat", json={"message": question, "stream": False})
        status = r.status_code if r.status_code != 200 or r.json().get("answer") else -1
    except httpx.HTTPError:
        status = 0  # timeout or connection error
    return status, time.perf_counter() - started


def attacker(base: str, address: str, stop: threading.Event, seed: int, counts: dict, lock: threading.Lock) -> None:
    rng = random.Random(seed)
    with client_for(base, address, 120) as client:
        while not stop.is_set():
            status, _ = ask(client, "".join(rng.sample(CJK, ATTACK_CHARS)))
            with lock:
                counts[status] = counts.get(status, 0) + 1
            if status == 429:
                time.sleep(0.2)  # a client told to wait would retry a little later; still more than the limit allows


def scenario(base: str, net: int, clients: int, per_client: int, attack: bool, timeout: float) -> dict:
    """`net`: this scenario's own loopback addresses (127.net.0.2 attacks, 127.net.1.x ask), so no client
    arrives with requests counted against it in an earlier scenario."""
    stop, lock = threading.Event(), threading.Lock()
    attack_counts: dict = {}
    attackers = [threading.Thread(target=attacker, args=(base, f"127.{net}.0.2", stop, n, attack_counts, lock),
                                  daemon=True)
                 for n in range(4 if attack else 0)]
    for t in attackers:
        t.start()
    if attack:
        time.sleep(3)  # the attack is under way when the ordinary clients arrive
    latencies: list[float] = []
    failures: dict = {}

    def user(n: int) -> None:
        with client_for(base, f"127.{net}.1.{10 + n}", timeout) as client:
            for i in range(per_client):
                q = QUESTIONS[(n + i) % len(QUESTIONS)] + f"（编号{n}-{i}）"
                status, seconds = ask(client, q)
                with lock:
                    if status == 200:
                        latencies.append(seconds)
                    else:
                        failures[status] = failures.get(status, 0) + 1

    users = [threading.Thread(target=user, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for t in users:
        t.start()
    for t in users:
        t.join()
    wall = time.perf_counter() - started
    stop.set()
    for t in attackers:
        t.join(150)
    return {"clients": clients, "attack": attack, "requests": clients * per_client, "ok": len(latencies),
            "failures": sum(failures.values()), "failure_kinds": failures, "wall_s": round(wall, 1),
            "p50_ms": pct(latencies, 50, None), "p95_ms": pct(latencies, 95, None), "attacker": attack_counts}


def settle(base: str, net: int, limit_s: float = 90) -> None:
    """Wait until the server answers an ordinary question quickly again (work left by an attack drained)."""
    deadline = time.monotonic() + limit_s
    with client_for(base, f"127.{net}.2.1", 60) as client:
        while time.monotonic() < deadline:
            _, seconds = ask(client, QUESTIONS[0])
            if seconds < 1.0:
                return
            time.sleep(1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", action="append", default=[], help="NAME=PATH of a code tree to serve")
    parser.add_argument("--env", action="append", default=[], help="NAME:KEY=VALUE, server environment for one root")
    parser.add_argument("--index", type=Path, default=RESULTS / "attack-load-index")
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--requests", type=int, default=64, help="ordinary requests per scenario")
    parser.add_argument("--timeout", type=float, default=60.0, help="an answer slower than this is a failure")
    parser.add_argument("--json", type=Path, default=RESULTS / "attack_load.json")
    args = parser.parse_args()
    roots = [(r.split("=", 1)[0], Path(r.split("=", 1)[1]).resolve()) for r in (args.root or [f"current={ROOT}"])]
    if not (args.index / "CURRENT").exists():
        subprocess.run([sys.executable, "-m", "assistant.cli", "index", "--corpus", str(ROOT / "corpus"), "--index",
                        str(args.index)], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"},
                       check=True)
    results = []
    for name, root in roots:
        with tempfile.TemporaryDirectory(prefix="attack-load-") as data:
            extra = dict(e.split(":", 1)[1].split("=", 1) for e in args.env if e.split(":", 1)[0] == name)
            with running_server(args.index, Path(data), root=root, extra_env=extra) as (base, _):
                with client_for(base, "127.0.0.3", 120) as warm:
                    for q in QUESTIONS[:4]:
                        ask(warm, q)
                net = 0
                for clients in args.clients:
                    for attack in (False, True):
                        net += 1
                        r = {"code": name, **scenario(base, net, clients, max(1, args.requests // clients), attack,
                                                      args.timeout)}
                        results.append(r)
                        print(json.dumps(r, ensure_ascii=False), file=sys.stderr, flush=True)
                        if attack:
                            settle(base, net)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    print("| code | clients | attacker | requests | p50 | p95 | failures | attacker requests (answered / 429) |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | --- |")
    for r in results:
        a = r["attacker"]
        attacked = f"{sum(v for k, v in a.items() if k in (200, -1))} / {a.get(429, 0)}" if r["attack"] else "—"
        print(f"| {r['code']} | {r['clients']} | {'yes' if r['attack'] else 'no'} | {r['requests']} | {r['p50_ms']} ms "
              f"| {r['p95_ms']} ms | {r['failures']} | {attacked} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
