"""Eligibility rules on the admin side: stored per document version on re-index, corrected or marked
`review` through the admin API (audited), a correction surviving re-index of an unchanged article and
flagged (not applied) once the article changed."""

from __future__ import annotations

from pathlib import Path

from .conftest import wait_job

GUIDE = "guides/青岛优品申报指南.md"
MARK = "申报产品拥有有效注册商标"
NO_MARK = {"region": "青岛市城阳区", "registered_on": "2018-05-10", "independent_legal_person": True,
           "business_type": "product", "annual_sales_wan": 2600, "registered_trademark": False,
           "standard_self_declared": True, "accidents": [], "serious_dishonesty_listed": False, "spot_check_failures": []}


def _library_id(client, source: str) -> int:
    docs = client.get("/api/admin/documents").json()["documents"]
    return next(d["id"] for d in docs if d["source"] == source)


def _reindex(client) -> dict:
    assert client.post("/api/admin/index/jobs").status_code == 202
    job = wait_job(client)
    assert job["state"] == "done", job
    return job


def _trademark(client) -> dict:
    r = client.post("/api/eligibility", json={"profile": NO_MARK, "as_of": "2026-11-24", "program": "青岛优品"})
    assert r.status_code == 200, r.text
    prog = r.json()["programs"][0]
    return prog, next(c for c in prog["conditions"] if c["text"] == MARK)


def test_rules_corrections_survive_reindex_and_flag_changes(admin, admin_settings):
    ident = _library_id(admin, GUIDE)
    data = admin.get(f"/api/admin/eligibility/documents/{ident}/rules").json()
    doc = data["documents"][0]
    assert doc["text"] and doc["rules"]
    rule = next(r for r in doc["rules"] if r["text"] == MARK)
    assert rule["field"] == "registered_trademark" and doc["text"][rule["span"]["start"]:rule["span"]["end"]] == MARK

    prog, cond = _trademark(admin)
    assert cond["status"] == "unmet" and prog["verdict"] == "not_eligible"

    # An admin marks the condition as judged by the panel: it no longer blocks the verdict.
    r = admin.post(f"/api/admin/eligibility/rules/{rule['key']}/review", json={"note": "以评审为准"})
    assert r.status_code == 200, r.text
    prog, cond = _trademark(admin)
    assert cond["status"] == "review" and cond["corrected"] and prog["verdict"] == "eligible"
    audit = admin.get("/api/admin/audit", params={"action": "eligibility_rule_corrected"}).json()["items"]
    assert audit and audit[0]["detail"]["rule_key"] == rule["key"] and audit[0]["detail"]["after"]["kind"] == "review"

    # A bad correction is refused with a clear message and changes nothing.
    r = admin.put(f"/api/admin/eligibility/rules/{rule['key']}", json={"changes": {"operator": "约等于"}})
    assert r.status_code == 400 and "operator" in r.json()["error"]["message"]

    # Re-index with the article unchanged: the rules are stored for the version, the correction holds.
    job = _reindex(admin)
    assert "eligibility" in job["report"]
    prog, cond = _trademark(admin)
    assert cond["status"] == "review" and cond["corrected"] and not cond["flag"]
    from assistant.db import open_database

    db = open_database(Path(admin_settings.data_dir))
    try:
        stored = db.query("SELECT rule FROM eligibility_rules WHERE rule_key=?", (rule["key"],))
    finally:
        db.close()
    assert stored

    # The article changes (another item of 二、申报条件): the correction is flagged, not applied.
    library = Path(admin_settings.data_dir) / "library" / GUIDE
    changed = library.read_text(encoding="utf-8").replace("（五）近2年内未发生质量安全事故", "（五）近3年内未发生质量安全事故")
    r = admin.post(f"/api/admin/documents/{ident}/replace",
                   files={"file": ("青岛优品申报指南.md", changed.encode("utf-8"), "text/markdown")})
    assert r.status_code == 200, r.text
    _reindex(admin)
    prog, cond = _trademark(admin)
    assert cond["status"] == "unmet" and cond["flag"] and not cond["corrected"]
    rules = admin.get(f"/api/admin/eligibility/documents/{ident}/rules").json()["documents"][0]["rules"]
    flagged = next(r for r in rules if r["key"] == rule["key"])
    assert flagged["correction"]["flag"]
    assert admin.get("/api/admin/audit", params={"action": "eligibility_rule_flagged"}).json()["items"]

    # Reverting is audited too.
    assert admin.delete(f"/api/admin/eligibility/rules/{rule['key']}/correction").status_code == 200
    assert admin.get("/api/admin/audit", params={"action": "eligibility_rule_reverted"}).json()["items"]


def test_admin_rules_need_sign_in(app_client):
    r = app_client.get("/api/admin/eligibility/documents/1/rules")
    assert r.status_code in (401, 403)
    r = app_client.post("/api/admin/eligibility/rules/x:y/review", json={})
    assert r.status_code in (401, 403)
