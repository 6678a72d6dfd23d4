"""Vectors on a `chroma run` server on loopback (several workers share one store): a build writes its own
collection there, two engines (two workers) search it, and replaced builds' collections are removed."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from assistant.engine import Engine
from assistant.indexer import build_index
from assistant.store import chroma_client

from support import CORPUS

CHROMA = Path(sys.executable).parent / "chroma"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path):
    if not CHROMA.exists():
        pytest.skip("the chroma CLI (from the chromadb package) is not installed")
    port = free_port()
    proc = subprocess.Popen([str(CHROMA), "run", "--path", str(tmp_path / "chroma-data"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.time() < deadline and proc.poll() is None, "chroma server did not start"
        time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(10)


def test_index_on_a_shared_chroma_server(chroma_server, tmp_path, make_settings):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS / "guides", corpus / "guides")
    settings = make_settings(tmp_path, corpus_dirs=[corpus], chroma_url=chroma_server)
    report = build_index(settings.corpus_dirs, settings.index_dir, settings)
    assert not (settings.index_dir / "builds" / report.build_id / "chroma").exists()  # vectors live on the server

    workers = [Engine(settings), Engine(settings)]
    for w in workers:
        w.load()
    answers = [w.search("青岛优品申报条件", 3) for w in workers]
    assert answers[0] == answers[1] and answers[0][0].source == "guides/青岛优品申报指南.md"
    assert answers[0][0].dense_rank is not None  # the dense side really came from the server

    (corpus / "guides" / "青岛优品申报指南.md").write_text("# 青岛优品\n\n一、申报条件\n注册满3年。\n", encoding="utf-8")
    build_index(settings.corpus_dirs, settings.index_dir, settings)
    build_index(settings.corpus_dirs, settings.index_dir, settings)
    names = sorted(c if isinstance(c, str) else c.name for c in chroma_client(Path("."), chroma_server).list_collections())
    kept = sorted(p.name for p in (settings.index_dir / "builds").iterdir())
    assert names == [f"chunks_{b}" for b in kept] and len(kept) == 2
    workers[0].load()
    assert "注册满3年" in workers[0].search("青岛优品申报条件", 1)[0].text
