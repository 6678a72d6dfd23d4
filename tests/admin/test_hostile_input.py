"""Admin requests that used to crash with a 500 (issue 11, item 6): ids beyond SQLite's 64-bit integers
and a metadata field of 50,000 nested '['. Each gets a clear 4xx and changes nothing."""

from __future__ import annotations

import pytest

from hostile_files import flate_bomb_pdf, lying_docx

from .conftest import policy_text, snapshot, unique_tag

HUGE = 2**63 + 5


@pytest.mark.parametrize("method,path", [
    ("GET", f"/api/admin/documents/{HUGE}"),
    ("GET", f"/api/admin/documents/{HUGE}/versions/1/file"),
    ("GET", f"/api/admin/documents/1/versions/{HUGE}/file"),
    ("POST", f"/api/admin/documents/{HUGE}/retire"),
    ("POST", f"/api/admin/documents/{HUGE}/reinstate"),
    ("PATCH", f"/api/admin/documents/{HUGE}"),
    ("DELETE", f"/api/admin/documents/{HUGE}"),
    ("GET", f"/api/admin/index/jobs/{HUGE}"),
    ("GET", f"/api/admin/audit?document_id={HUGE}"),
    ("GET", f"/api/admin/audit?offset={HUGE}"),
    ("GET", f"/api/admin/documents/{-HUGE}"),
    ("GET", "/api/admin/documents/0"),
])
def test_ids_out_of_range_are_422(admin, admin_settings, method, path):
    before = snapshot(admin_settings)
    r = admin.request(method, path, json={} if method in ("POST", "PATCH") else None)
    assert r.status_code == 422, (r.status_code, r.text)
    assert r.json()["error"]["code"] == "validation_error"
    assert snapshot(admin_settings) == before


def test_ids_in_range_still_work(admin):
    doc_id = admin.get("/api/admin/documents").json()["documents"][0]["id"]
    assert admin.get(f"/api/admin/documents/{doc_id}").status_code == 200
    assert admin.get(f"/api/admin/audit?document_id={doc_id}").status_code == 200
    assert admin.get(f"/api/admin/documents/{2**63 - 1}").status_code == 404


@pytest.mark.parametrize("metadata", ["[" * 50_000, "{\"a\":" * 50_000, "\"\\ud800\"x", "[1,]"])
def test_metadata_that_is_not_json_is_400(admin, admin_settings, metadata):
    before = snapshot(admin_settings)
    tag = unique_tag()
    files = {"files": (f"{tag}.md", policy_text(tag).encode(), "text/markdown")}
    r = admin.post("/api/admin/documents", files=files, data={"metadata": metadata})
    assert r.status_code == 400, (r.status_code, r.text)
    assert r.json()["error"]["code"] == "invalid_metadata"
    assert snapshot(admin_settings) == before


def test_deeply_nested_json_body_is_400(admin):
    r = admin.patch("/api/admin/documents/1", content=b"[" * 50_000, headers={"content-type": "application/json"})
    assert r.status_code == 400, r.text


@pytest.mark.parametrize("name,make", [("政策.docx", lambda: lying_docx(300, 2048)), ("指南.pdf", lambda: flate_bomb_pdf(100))])
def test_compression_bombs_are_refused_at_upload_and_inspect(admin, admin_settings, name, make):
    """Small files whose compressed parts claim little and inflate to hundreds of MB (issue 11, item 2)."""
    before = snapshot(admin_settings)
    tag = unique_tag()
    good = (f"{tag}.md", policy_text(tag).encode(), "text/markdown")
    for path in ("/api/admin/uploads/inspect", "/api/admin/documents"):
        r = admin.post(path, files=[("files", (name, make(), "application/octet-stream")), ("files", good)])
        assert r.status_code == 422, (path, r.status_code, r.text[:300])
        assert "压缩炸弹" in r.text
    assert snapshot(admin_settings) == before
