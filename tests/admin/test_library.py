"""The document library: seeding, replace / retire / delete / edit flows and what they do to answers,
filters, the audit log, repair after a crash, and the `assistant docs` CLI."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
import sys
from pathlib import Path

import yaml

from assistant.admin.library import Library
from assistant.db import open_database
from assistant.store import LoadedIndex

from .conftest import IP_DOC, ROOT, SUBSET, policy_text, unique_tag, wait_job

IP_TITLE = "城阳区知识产权促进资助办法"
IP_QUESTION = "发明专利授权后可以获得多少资助？"


def doc_id(client, source: str) -> int:
    docs = client.get("/api/admin/documents", params={"include_deleted": True}).json()["documents"]
    return next(d["id"] for d in docs if d["source"] == source)


def reindex(client) -> dict:
    r = client.post("/api/admin/index/jobs")
    assert r.status_code == 202, r.text
    job = wait_job(client)
    assert job["state"] == "done", job
    return job


def ask(client, question: str) -> dict:
    r = client.post("/api/chat", json={"message": question, "stream": False})
    assert r.status_code == 200, r.text
    return r.json()


def test_seeded_library(admin_settings):
    db = open_database(Path(admin_settings.data_dir))
    try:
        docs = db.query("SELECT * FROM documents ORDER BY source")
        assert sorted(d["source"] for d in docs) == sorted(SUBSET)
        versions = db.query("SELECT * FROM document_versions")
        assert {v["version"] for v in versions} == {1} and {v["created_by"] for v in versions} == {"system"}
        assert len(db.query("SELECT * FROM audit_log WHERE action='seed'")) == len(SUBSET)
        old = next(d for d in docs if "2019" in d["source"])
        assert old["status"] == "已修订"
        library = Library(admin_settings, db)
        assert library.ensure_seeded(admin_settings.corpus_dirs) == 0  # only ever once
    finally:
        db.close()
    lib = Path(admin_settings.data_dir) / "library"
    # Front matter moves to the sidecar, so the sidecar alone decides the metadata.
    body = (lib / "policies/城阳区区长质量奖管理办法.md").read_text(encoding="utf-8")
    assert body.lstrip().startswith("# 城阳区区长质量奖管理办法")
    side = yaml.safe_load((lib / "policies/城阳区区长质量奖管理办法.meta.yaml").read_text(encoding="utf-8"))
    assert side["doc_number"] == "城政发〔2023〕12号" and side["status"] == "现行"
    # Every version's bytes are in the blob store, byte for byte the shipped file.
    for rel in SUBSET:
        original = (admin_settings.corpus_dirs[0] / rel).read_bytes()
        sha = hashlib.sha256(original).hexdigest()
        assert (Path(admin_settings.data_dir) / "blobs" / sha[:2] / sha).read_bytes() == original


def test_seed_resumes_after_interruption(tmp_path, make_settings, admin_corpus):
    corpus = tmp_path / "corpus"
    shutil.copytree(admin_corpus, corpus)
    later = corpus / "guides"
    parked = tmp_path / "parked"
    shutil.move(str(later), parked)  # the first run sees only policies/
    settings = make_settings(tmp_path, corpus_dirs=[corpus])
    db = open_database(Path(settings.data_dir))
    try:
        library = Library(settings, db)
        first = library.ensure_seeded([corpus])
        assert first == 3
        db.execute("UPDATE kv SET value='running' WHERE key='library_seed'")  # as if killed before the end
        shutil.move(str(parked), later)
        assert library.ensure_seeded([corpus]) == len(SUBSET) - 3
        assert len(db.query("SELECT * FROM documents")) == len(SUBSET)
    finally:
        db.close()


def test_retire_flow_and_answers(admin):
    before = ask(admin, IP_QUESTION)
    ip = [c for c in before["citations"] if c["title"] == IP_TITLE]
    assert ip and all(c["status"] == "现行" for c in ip)
    assert not any("已废止" in n for n in before.get("notices", []))

    ident = doc_id(admin, IP_DOC)
    r = admin.post(f"/api/admin/documents/{ident}/retire", json={"note": "已被新办法取代（测试）"})
    assert r.status_code == 200
    doc = r.json()["document"]
    assert doc["status"] == "已废止" and doc["metadata"]["note"] == "已被新办法取代（测试）"
    assert doc["indexed"] is False
    listed = admin.get("/api/admin/documents", params={"status": "已废止"}).json()["documents"]
    assert [d["source"] for d in listed] == [IP_DOC]

    job = reindex(admin)
    assert job["report"]["updated"] == 1 and job["report"]["embedded"] == 0
    after = ask(admin, IP_QUESTION)
    cited = [c for c in after["citations"] if c["title"] == IP_TITLE]
    # Still findable (so the assistant can say so), but never presented as current.
    assert cited and all(c["status"] == "已废止" for c in cited)
    assert any(f"注意：《{IP_TITLE}》已废止，不再作为现行依据" in n for n in after["notices"]), after
    hits = admin.post("/api/search", json={"query": IP_QUESTION}).json()["hits"]
    assert any(h["title"] == IP_TITLE and h["status"] == "已废止" for h in hits)  # still indexed, marked retired
    hits = admin.post("/api/search", json={"query": IP_QUESTION, "filters": {"current_only": True}}).json()["hits"]
    assert hits and all(h["title"] != IP_TITLE for h in hits)
    statuses = {d["title"]: d["status"] for d in admin.get("/api/documents").json()["documents"]}
    assert statuses[IP_TITLE] == "已废止"

    r = admin.post(f"/api/admin/documents/{ident}/reinstate")
    assert r.status_code == 200 and r.json()["document"]["status"] == "现行"
    actions = [i["action"] for i in admin.get("/api/admin/audit", params={"document_id": ident}).json()["items"]]
    assert actions[:2] == ["reinstate", "retire"]


def test_replace_flow_keeps_the_old_version(admin, admin_settings):
    tag = unique_tag()
    ident = doc_id(admin, IP_DOC)
    library = Path(admin_settings.data_dir) / "library"
    old_bytes = (library / IP_DOC).read_bytes()
    new_text = policy_text(tag, 3, title=f"{IP_TITLE}（{tag}修订）")
    r = admin.post(f"/api/admin/documents/{ident}/replace",
                   data={"metadata": json.dumps({"doc_number": "城市监发〔2024〕2号", "issue_date": "2024-03-01"})},
                   files={"file": (f"{IP_TITLE}（修订）.md", new_text.encode("utf-8"), "text/markdown")})
    assert r.status_code == 200, r.text
    doc = r.json()["document"]
    assert doc["id"] == ident and doc["version"] == 2 and doc["status"] == "现行"
    assert doc["source"] == f"policies/{IP_TITLE}（修订）.md" and doc["title"] == f"{IP_TITLE}（{tag}修订）"
    assert doc["metadata"]["doc_number"] == "城市监发〔2024〕2号"
    assert doc["metadata"]["programs"]  # kept from the previous version where the new text says nothing
    history = {v["version"]: v for v in admin.get(f"/api/admin/documents/{ident}").json()["history"]}
    assert history[1]["status"] == "已修订" and history[1]["replaced_by_version"] == 2
    assert history[1]["metadata"]["status"] == "已修订" and history[2]["status"] == "现行"
    # The library holds the new version only; the old bytes stay downloadable from the blob store.
    assert not (library / IP_DOC).exists() and not (library / IP_DOC).with_name(f"{IP_TITLE}.meta.yaml").exists()
    assert (library / doc["source"]).read_text(encoding="utf-8") == new_text
    r = admin.get(f"/api/admin/documents/{ident}/versions/1/file")
    assert r.status_code == 200 and r.content == old_bytes and "attachment" in r.headers["content-disposition"]
    audit = admin.get("/api/admin/audit", params={"action": "replace"}).json()["items"][0]
    assert audit["version"] == 2 and audit["detail"]["previous_version"] == 1

    # Replacing with identical content is refused; replacing with another document's name too.
    r = admin.post(f"/api/admin/documents/{ident}/replace",
                   files={"file": ("again.md", new_text.encode("utf-8"), "text/markdown")})
    assert r.status_code == 409 and r.json()["error"]["code"] == "same_content"
    r = admin.post(f"/api/admin/documents/{ident}/replace",
                   files={"file": ("城阳区区长质量奖管理办法.md", b"# x\n\nnew text here", "text/markdown")})
    assert r.status_code == 409 and r.json()["error"]["code"] == "duplicate_name"

    reindex(admin)
    answer = ask(admin, f"{tag}项目第3类申报主体可以获得多少奖励？")
    assert any(c["title"] == doc["title"] and c["status"] == "现行" for c in answer["citations"]), answer
    index = LoadedIndex.open(admin_settings.index_dir)
    old_phrase = old_bytes.decode("utf-8")[200:240].strip()
    assert old_phrase and not any(old_phrase in rec.text for rec in index.docs.values())


def test_delete_flow_and_revival(admin, admin_settings):
    source = "guides/青岛优品申报指南.md"
    ident = doc_id(admin, source)
    library = Path(admin_settings.data_dir) / "library"
    sha = admin.get(f"/api/admin/documents/{ident}").json()["sha256"]
    r = admin.delete(f"/api/admin/documents/{ident}")
    assert r.status_code == 200 and r.json()["document"]["deleted"] is True
    assert not (library / source).exists()
    assert (Path(admin_settings.data_dir) / "blobs" / sha[:2] / sha).exists()  # kept for the audit trail
    assert all(d["id"] != ident for d in admin.get("/api/admin/documents").json()["documents"])
    assert any(d["id"] == ident and d["deleted"] for d in
               admin.get("/api/admin/documents", params={"include_deleted": True}).json()["documents"])
    assert admin.post(f"/api/admin/documents/{ident}/retire").status_code == 404

    reindex(admin)
    assert all(d["source"] != source for d in admin.get("/api/documents").json()["documents"])

    # The same name can be uploaded again: the document comes back with a new version.
    r = admin.post("/api/admin/documents", data={"folder": "guides"},
                   files={"files": ("青岛优品申报指南.md", "# 青岛优品申报指南（新）\n\n第一条 新的申报要求。".encode(), "text/markdown")})
    assert r.status_code == 201, r.text
    revived = r.json()["documents"][0]
    assert revived["id"] == ident and revived["version"] == 2 and not revived["deleted"]


def test_edit_metadata_and_filters(admin, admin_settings):
    ident = doc_id(admin, "guides/区长质量奖申报指南.docx")
    r = admin.patch(f"/api/admin/documents/{ident}",
                    json={"metadata": {"issue_date": "2030-01-05", "programs": ["区长质量奖", "测试项目"], "region": ""}})
    assert r.status_code == 200
    meta = r.json()["document"]["metadata"]
    assert meta["issue_date"] == "2030-01-05" and meta["programs"] == ["区长质量奖", "测试项目"] and "region" not in meta
    side = yaml.safe_load((Path(admin_settings.data_dir) / "library/guides/区长质量奖申报指南.meta.yaml").read_text("utf-8"))
    assert side["issue_date"] == "2030-01-05" and "region" not in side

    def listed(**params):
        return sorted(d["source"] for d in admin.get("/api/admin/documents", params=params).json()["documents"])

    assert listed(program="测试项目") == ["guides/区长质量奖申报指南.docx"]
    assert listed(date_from="2030-01-01") == ["guides/区长质量奖申报指南.docx"]
    assert listed(status="已修订") == ["policies/城阳区区长质量奖管理办法（2019年）.md"]
    assert "policies/城阳区区长质量奖管理办法（2019年）.md" in listed(date_to="2020-12-31")
    assert IP_DOC in listed(program="知识产权")
    assert listed(q="城市监发〔2023〕7号") == [IP_DOC]
    audit = admin.get("/api/admin/audit", params={"action": "edit_metadata"}).json()["items"][0]
    assert audit["detail"]["changes"]["issue_date"][1] == "2030-01-05"
    assert admin.patch(f"/api/admin/documents/{ident}", json={"status": "失效"}).status_code == 400
    assert admin.patch("/api/admin/documents/99999", json={"title": "x"}).status_code == 404


def test_library_is_repaired_from_rows_and_blobs(admin_settings):
    lib = Path(admin_settings.data_dir) / "library"
    (lib / IP_DOC).unlink()  # e.g. killed between the commit and the file write
    side = lib / "policies" / f"{IP_TITLE}.meta.yaml"
    side.write_text("status: 已废止\n", encoding="utf-8")  # or edited by hand
    (lib / "policies" / ".tmp-deadbeef").write_bytes(b"half written")
    db = open_database(Path(admin_settings.data_dir))
    try:
        assert Library(admin_settings, db).reconcile()["changed"] == 2
    finally:
        db.close()
    assert (lib / IP_DOC).exists() and "status: 现行" in side.read_text(encoding="utf-8")
    assert not (lib / "policies" / ".tmp-deadbeef").exists()


def run_cli(settings, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "ASSISTANT_EMBEDDING_CACHE": str(settings.embedding_cache), "PYTHONPATH": str(ROOT)}
    common = ["--data", str(settings.data_dir), "--index", str(settings.index_dir), "--corpus", str(settings.corpus_dirs[0])]
    return subprocess.run([sys.executable, "-m", "assistant.cli", "docs", *args, *common], env=env, capture_output=True,
                          text=True, timeout=120)


def test_cli_add_retire_list(admin_settings, tmp_path):
    tag = unique_tag()
    path = tmp_path / f"{tag}办法.md"
    path.write_text(policy_text(tag, 2), encoding="utf-8")
    r = run_cli(admin_settings, "add", str(path), "--title", f"{tag}办法（CLI）", "--program", "质量提升",
                "--program", "认证", "--issue-date", "2024-06-01", "--actor", "ops-script")
    assert r.returncode == 0, r.stderr
    assert f"policies/{tag}办法.md" in r.stdout
    r = run_cli(admin_settings, "add", str(path))
    assert r.returncode == 1 and "同名" in r.stderr
    r = run_cli(admin_settings, "retire", f"policies/{tag}办法.md", "--note", "脚本废止")
    assert r.returncode == 0 and "已废止" in r.stdout
    r = run_cli(admin_settings, "list", "--status", "已废止", "--json")
    docs = json.loads(r.stdout)
    assert [d["title"] for d in docs] == [f"{tag}办法（CLI）"] and docs[0]["metadata"]["programs"] == ["质量提升", "认证"]
    r = run_cli(admin_settings, "list", "--program", "认证")
    assert f"{tag}办法（CLI）" in r.stdout
    db = open_database(Path(admin_settings.data_dir))
    try:
        actors = {row["action"]: row["actor"] for row in db.query("SELECT actor, action FROM audit_log")}
    finally:
        db.close()
    assert actors["upload"] == "ops-script" and actors["retire"].startswith("cli:")
    r = run_cli(admin_settings, "retire", "policies/没有这个文件.md")
    assert r.returncode == 1 and "不存在" in r.stderr


def test_change_during_reindex_queues_one_more_run(admin):
    tag = unique_tag()
    r = admin.post("/api/admin/documents",
                   files={"files": (f"{tag}.md", policy_text(tag, 12).encode("utf-8"), "text/markdown")})
    assert r.status_code == 201
    first = admin.post("/api/admin/index/jobs").json()  # embeds the new document: takes a few seconds
    ident = doc_id(admin, IP_DOC)
    r = admin.post(f"/api/admin/documents/{ident}/retire", json={"reindex": True})
    assert r.status_code == 200
    assert r.json()["reindex"]["queued"] is True and "自动再索引" in r.json()["reindex"]["message"]
    assert admin.post("/api/admin/index/jobs").status_code == 409  # an explicit second request is refused
    last = wait_job(admin)
    assert last["state"] == "done" and last["id"] == first["id"] + 1
    assert admin.get(f"/api/admin/index/jobs/{first['id']}").json()["state"] == "done"
    statuses = {d["title"]: d["status"] for d in admin.get("/api/documents").json()["documents"]}
    assert statuses[IP_TITLE] == "已废止"
    assert all(d["indexed"] for d in admin.get("/api/admin/documents").json()["documents"])


def test_running_service_serves_an_index_built_by_the_cli(admin_settings, tmp_path):
    from fastapi.testclient import TestClient

    from assistant.server.app import create_app

    settings = admin_settings.model_copy(update={"index_watch_s": 0.2})
    with TestClient(create_app(settings)) as client:
        old_build = client.get("/readyz").json()["build_id"]
        tag = unique_tag()
        path = tmp_path / f"{tag}通知.md"
        path.write_text(policy_text(tag, 3, title=f"关于{tag}申报的通知"), encoding="utf-8")
        r = run_cli(settings, "add", str(path), "--folder", "guides", "--doc-type", "申报指南", "--reindex")
        assert r.returncode == 0, r.stderr
        assert "索引完成" in r.stdout
        deadline = time.time() + 20
        while client.get("/readyz").json()["build_id"] == old_build:
            assert time.time() < deadline, "the service did not switch to the new index"
            time.sleep(0.2)
        hits = client.post("/api/search", json={"query": f"{tag}项目第2类申报主体奖励多少", "k": 3}).json()["hits"]
        assert hits[0]["title"] == f"关于{tag}申报的通知" and hits[0]["source"] == f"guides/{tag}通知.md"
