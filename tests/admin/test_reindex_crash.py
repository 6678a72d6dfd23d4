"""A re-index killed with SIGKILL part way leaves the last good index served, the next re-index completes,
and no uploaded document is lost — for a CLI build and for a re-index inside the running service."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from assistant.admin.library import Library
from assistant.admin.uploads import check_upload
from assistant.db import open_database
from assistant.engine import Engine
from assistant.indexer import build_index
from assistant.store import LoadedIndex, builds_dir, current_build_dir

from .conftest import ROOT, policy_text, unique_tag

EMBED_PROGRESS = re.compile(r"计算向量:\s*\d+%\|[^|]*\|\s*(\d+)/(\d+)")


def add_document(settings, text: str, name: str) -> dict:
    db = open_database(Path(settings.data_dir))
    try:
        library = Library(settings, db)
        checked = check_upload(text.encode("utf-8"), name, settings.upload_max_bytes)
        return library.add_documents([(checked, "policies", {})], "test")[0]
    finally:
        db.close()


def unfinished_builds(index_dir: Path) -> list[Path]:
    return [p for p in builds_dir(index_dir).iterdir() if not (p / "manifest.json").exists()]


def test_cli_build_killed_while_embedding(admin_settings):
    index_dir = admin_settings.index_dir
    old_build = current_build_dir(index_dir).name
    tag = unique_tag()
    doc = add_document(admin_settings, policy_text(tag, 20), f"{tag}办法.md")

    env = {**os.environ, "ASSISTANT_PROGRESS": "1", "ASSISTANT_EMBEDDING_BATCH_SIZE": "4",
           "ASSISTANT_EMBEDDING_CACHE": str(admin_settings.embedding_cache), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "assistant.cli", "index", "--corpus", str(admin_settings.library_dir),
                             "--index", str(index_dir)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    output = bytearray()

    def read() -> None:
        while chunk := os.read(proc.stderr.fileno(), 4096):
            output.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.time() + 120
    killed_at = None
    while time.time() < deadline and proc.poll() is None:
        matches = EMBED_PROGRESS.findall(output.decode("utf-8", errors="ignore"))
        if matches and 0 < int(matches[-1][0]) < int(matches[-1][1]):
            proc.kill()  # SIGKILL: no cleanup handler runs
            killed_at = matches[-1]
            break
        time.sleep(0.05)
    proc.wait(10)
    reader.join(5)
    assert killed_at, f"the build never reached the embedding stage: {output.decode(errors='replace')[-500:]}"
    assert proc.returncode == -9

    # The pointer still names the old, complete build; the half-written one is never served.
    assert current_build_dir(index_dir).name == old_build
    assert unfinished_builds(index_dir), "the kill should have left a half-written build behind"
    index = LoadedIndex.open(index_dir)
    assert index.build_id == old_build and all(tag not in rec.meta.title for rec in index.docs.values())
    engine = Engine(admin_settings)
    engine.load()
    assert engine.search("区长质量奖奖金是多少", 3)

    # The lock died with the process: the next build runs, completes and clears the debris.
    report = build_index([admin_settings.library_dir], index_dir, admin_settings)
    assert not report.skipped and report.added == 1
    assert current_build_dir(index_dir).name == report.build_id != old_build
    assert not unfinished_builds(index_dir)
    engine.load()
    hits = engine.search(f"{tag}项目第5类申报主体奖励多少", 3)
    assert hits[0].title == doc["title"]


def test_service_killed_during_reindex(admin_settings, service_factory):
    svc = service_factory(admin_settings, ASSISTANT_REINDEX_EMBEDDING_BATCH_SIZE="4")
    client = svc.admin_client()
    old_build = client.get("/readyz").json()["build_id"]
    tag = unique_tag()
    r = client.post("/api/admin/documents",
                    files={"files": (f"{tag}办法.md", policy_text(tag, 20).encode("utf-8"), "text/markdown")})
    assert r.status_code == 201, r.text
    doc = r.json()["documents"][0]
    assert client.post("/api/admin/index/jobs").status_code == 202

    deadline = time.time() + 120
    while time.time() < deadline:
        current = client.get("/api/admin/index/jobs/current").json()
        job = current["job"]
        assert current["running"], job
        if job["stage"] == "embed" and 0 < job["done"] < job["total"]:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the re-index never reached the embedding stage")
    client.close()
    svc.kill()

    assert current_build_dir(admin_settings.index_dir).name == old_build
    assert unfinished_builds(admin_settings.index_dir)

    svc2 = service_factory(admin_settings, ASSISTANT_REINDEX_EMBEDDING_BATCH_SIZE="4")
    client = svc2.admin_client()
    assert client.get("/readyz").json()["build_id"] == old_build  # the last good index is served
    chat = client.post("/api/chat", json={"message": "区长质量奖的奖励标准是多少？", "stream": False})
    assert chat.status_code == 200 and chat.json()["citations"]
    # Nothing uploaded was lost: the row, the library file and the blob are all there.
    listed = {d["id"]: d for d in client.get("/api/admin/documents").json()["documents"]}
    assert listed[doc["id"]]["title"] == doc["title"] and listed[doc["id"]]["indexed"] is False
    assert (admin_settings.library_dir / doc["source"]).exists()
    assert (Path(admin_settings.data_dir) / "blobs" / doc["sha256"][:2] / doc["sha256"]).exists()
    job = client.get("/api/admin/index/jobs/current").json()["job"]
    assert job["state"] == "interrupted" and job["stage_label"] == "已中断"

    assert client.post("/api/admin/index/jobs").status_code == 202
    deadline = time.time() + 180
    while client.get("/api/admin/index/jobs/current").json()["running"]:
        assert time.time() < deadline
        time.sleep(0.3)
    job = client.get("/api/admin/index/jobs/current").json()["job"]
    assert job["state"] == "done", job
    assert client.get("/readyz").json()["build_id"] == job["report"]["build_id"] != old_build
    assert not unfinished_builds(admin_settings.index_dir)
    hits = client.post("/api/search", json={"query": f"{tag}项目第5类申报主体奖励多少", "k": 3}).json()["hits"]
    assert hits[0]["title"] == doc["title"]
