"""After a re-index the golden evaluation runs; the admin sees the figures beside the previous run's and
the questions that got worse."""

from __future__ import annotations

from fastapi.testclient import TestClient

from assistant.admin.reindex import compare_eval
from assistant.server.app import create_app

from .conftest import ADMIN_TOKEN, IP_DOC, wait_job

GOLDEN = """
single:
  - id: t1
    question: 区长质量奖最多奖多少钱？
    intent: amount
    expect_docs: [policies/城阳区区长质量奖管理办法.md, guides/区长质量奖申报指南.docx]
    key_facts: ["50万元"]
  - id: t2
    question: 新获得国内发明专利授权的，每件资助多少钱？
    intent: amount
    expect_docs: [policies/城阳区知识产权促进资助办法.txt]
    key_facts: ["3000元"]
  - id: t3
    question: 区里对火星基地建设有什么补贴？
    answerable: false
"""


def test_evaluation_after_reindex_shows_regressions(admin_settings, tmp_path):
    golden = tmp_path / "golden.yaml"
    golden.write_text(GOLDEN, encoding="utf-8")
    settings = admin_settings.model_copy(update={"reindex_eval": True, "eval_golden": golden})
    with TestClient(create_app(settings)) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        assert client.post("/api/admin/index/jobs").status_code == 202
        first = wait_job(client)
        assert first["state"] == "done", first
        ev = first["eval"]
        assert ev["has_previous"] is False and ev["questions"] == 3 and not ev["regressions"]
        names = {m["name"]: m for m in ev["metrics"]}
        assert names["recall@5"]["value"] == 1.0 and names["recall@5"]["previous"] is None

        # Deleting the document that answers t2 makes t2 fail: the next run lists it as a regression.
        ip = next(d for d in client.get("/api/admin/documents").json()["documents"] if d["source"] == IP_DOC)
        assert client.delete(f"/api/admin/documents/{ip['id']}").status_code == 200
        assert client.post("/api/admin/index/jobs").status_code == 202
        second = wait_job(client)
        assert second["state"] == "done", second
        ev = second["eval"]
        assert ev["has_previous"] is True
        assert [q["id"] for q in ev["regressions"]] == ["t2"]
        assert ev["regressions"][0]["question"].startswith("新获得国内发明专利授权")
        recall = {m["name"]: m for m in ev["metrics"]}["recall@5"]
        assert recall["previous"] == 1.0 and recall["value"] < 1.0 and recall["delta"] < 0
        # The job history keeps both runs.
        jobs = client.get("/api/admin/index/jobs").json()["jobs"]
        assert [j["id"] for j in jobs[:2]] == [second["id"], first["id"]]
        assert client.get(f"/api/admin/index/jobs/{first['id']}").json()["eval"]["metrics"]


def test_compare_eval():
    previous = {"metrics": {"recall@5": 0.9, "key_fact_coverage": 0.8},
                "questions": [{"id": "a", "ok": True}, {"id": "b", "ok": False}, {"id": "c", "ok": True}]}
    current = {"metrics": {"recall@5": 0.95, "key_fact_coverage": 0.7, "new_metric": 1.0},
               "questions": [{"id": "a", "ok": False}, {"id": "b", "ok": True}, {"id": "c", "ok": True},
                             {"id": "d", "ok": False}]}
    out = compare_eval(current, previous)
    rows = {m["name"]: m for m in out["metrics"]}
    assert rows["recall@5"]["delta"] == 0.05 and rows["key_fact_coverage"]["delta"] == -0.1
    assert rows["new_metric"]["previous"] is None and rows["new_metric"]["delta"] is None
    assert [q["id"] for q in out["regressions"]] == ["a"] and [q["id"] for q in out["improved"]] == ["b"]
    assert compare_eval(current, None)["has_previous"] is False
