"""A real `assistant serve` process for the load benchmarks: start it on a free loopback port, wait until it
answers /readyz, stop it; and the percentile the tables report."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(index: Path, data: Path, port: int, log: Path, *, root: Path = ROOT,
                 extra_env: dict | None = None) -> subprocess.Popen:
    """`assistant serve` from the code tree `root` (another checkout gives a before / after in one run)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": str(root),
           "ASSISTANT_INDEX_WATCH_S": "0", **(extra_env or {})}
    cmd = [sys.executable, "-m", "assistant.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
           "--index", str(index), "--data", str(data)]
    return subprocess.Popen(cmd, env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=open(log, "w"))


def wait_ready(base: str, proc: subprocess.Popen, log: Path, timeout_s: float = 600) -> dict:
    """/readyz's body once the server answers (a first start may build the index, hence the long wait)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}")
        try:
            r = httpx.get(base + "/readyz", timeout=2)
            if r.status_code == 200:
                return r.json()
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise SystemExit("server did not become ready")


@contextmanager
def running_server(index: Path, data: Path, *, root: Path = ROOT, extra_env: dict | None = None):
    """(base URL, /readyz body) of a started server, stopped on leaving."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = data / "server.log"
    proc = start_server(index, data, port, log, root=root, extra_env=extra_env)
    try:
        yield base, wait_ready(base, proc, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def pct(values: list[float], q: int, digits: int | None = 1) -> float:
    """The q-th percentile of `values` (seconds) in milliseconds (whole ones when digits is None)."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return round(values[0] * 1000, digits)
    return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000, digits)
