"""Upload validation: names, types by content, size, corrupt files and zip bombs, duplicates — a refused
upload changes nothing (no row, no library file, no blob)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
import yaml

from assistant.admin.errors import AdminError
from assistant.admin.uploads import check_upload, sanitize_filename

from .conftest import IP_DOC, policy_text, snapshot, unique_tag


# --- names -------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw,expected", [
    ("../../../etc/evil.md", "evil.md"),
    ("/etc/abs.md", "abs.md"),
    ("..\\..\\windows\\win.txt", "win.txt"),
    (".hidden.md", "hidden.md"),
    ("__init__.md", "init__.md"),
    ("a\x00b\x1fc\u202e.md", "abc.md"),
    ('政策<一>:"二"|?.MD', "政策_一___二___.md"),
    ("  城阳区 办法  .txt ", "城阳区 办法.txt"),
    ("…/..%2F.docx", "%2F.docx"),
])
def test_sanitize_filename(raw, expected):
    assert sanitize_filename(raw) == expected


@pytest.mark.parametrize("raw,code", [
    ("noextension", "unsupported_type"),
    ("tool.exe", "unsupported_type"),
    ("x.meta.yaml", "reserved_name"),
    ("README.md", "reserved_name"),
    ("../..", "unsupported_type"),
    ("....md", "unsupported_type"),
])
def test_unusable_names_are_refused(raw, code):
    with pytest.raises(AdminError) as info:
        sanitize_filename(raw)
    assert info.value.code == code and info.value.message


def test_long_names_are_capped():
    name = sanitize_filename("长" * 300 + ".md")
    assert name.endswith(".md") and len(name.encode("utf-8")) <= 190


# --- content -----------------------------------------------------------------------------------

def docx_bytes(paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def zip_bomb_docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", b"<w:document>" + b"\0" * 30_000_000 + b"</w:document>")
    return buf.getvalue()


def xlsx_like() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
    return buf.getvalue()


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x01" * 200
MD = "# 测试办法\n\n第一条 企业申请测试补助资金五万元，应当提交申请表。\n".encode("utf-8")

BAD_UPLOADS = [
    ("exe", "tool.exe", b"MZ\x90\x00" + b"\x00" * 500, 415, "unsupported_type"),
    ("png-as-pdf", "政策.pdf", PNG, 415, "type_mismatch"),
    ("png-as-md", "政策.md", PNG, 415, "type_mismatch"),
    ("text-as-docx", "政策.docx", MD, 415, "type_mismatch"),
    ("pdf-as-md", "政策.md", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n" + b"x" * 200, 415, "type_mismatch"),
    ("xlsx-as-docx", "表格.docx", xlsx_like(), 415, "type_mismatch"),
    ("binary-as-txt", "数据.txt", bytes(range(1, 32)) * 40, 415, "type_mismatch"),
    ("corrupt-pdf", "损坏.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 20, 422, "unreadable"),
    ("truncated-pdf", "截断.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >>", 422, "unreadable"),
    ("corrupt-docx", "损坏.docx", b"PK\x03\x04" + b"\x14\x00garbage" * 50, 422, "corrupt_file"),
    ("docx-no-body", "空壳.docx", None, 415, "type_mismatch"),
    ("zip-bomb", "炸弹.docx", zip_bomb_docx(), 422, "zip_bomb"),
    ("empty", "空白.md", b"   \n\n", 400, "empty_file"),
    ("bad-jsonl", "指南.jsonl", b'{"id": 1, "title": "x"}\nnot json\n', 422, "unreadable"),
    ("reserved", "办法.meta.yaml", b"title: x\n", 400, "reserved_name"),
]


@pytest.mark.parametrize("case,name,data,status,code", BAD_UPLOADS, ids=[c[0] for c in BAD_UPLOADS])
def test_bad_uploads_are_refused_and_change_nothing(admin, admin_settings, case, name, data, status, code):
    if data is None:  # a zip that is not a Word document
        data = xlsx_like()
    before = snapshot(admin_settings)
    r = admin.post("/api/admin/documents", files={"files": (name, data, "application/octet-stream")})
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code and error["message"] and error["detail"]
    assert not error["message"].isascii()  # Chinese for the admin
    assert snapshot(admin_settings) == before
    # The inspection endpoint reports the same problem for the same file, per file; a compression bomb
    # refuses the whole inspection (issue 11).
    r = admin.post("/api/admin/uploads/inspect", files={"files": (name, data, "application/octet-stream")})
    if code == "zip_bomb":
        assert r.status_code == 422 and r.json()["error"]["code"] == code
        return
    assert r.status_code == 200 and r.json()["files"][0]["ok"] is False
    assert r.json()["files"][0]["error"]["code"] == code


def test_size_limit(admin_settings):
    from fastapi.testclient import TestClient

    from assistant.server.app import create_app

    settings = admin_settings.model_copy(update={"upload_max_bytes": 100_000})
    with TestClient(create_app(settings)) as client:
        client.headers["Authorization"] = f"Bearer {settings.admin_token}"
        before = snapshot(settings)
        big = ("# 大文件\n\n" + "第一条 企业可以申请补助。\n" * 8000).encode("utf-8")
        assert 100_000 < len(big) < 1_000_000
        r = client.post("/api/admin/documents", files={"files": ("大文件.md", big, "text/markdown")})
        assert r.status_code == 413 and r.json()["error"]["code"] == "file_too_large"
        # Far over the limit: refused by Content-Length before the body is read.
        r = client.post("/api/admin/documents", files={"files": ("巨大.md", big * 5, "text/markdown")})
        assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"
        assert snapshot(settings) == before


def test_traversal_names_stay_inside_the_library(admin, admin_settings, tmp_path):
    tag = unique_tag()
    names = ["../../../../evil.md", "/tmp/abs.md", "..\\..\\win.md", ".hidden.md"]
    files = [("files", (n, policy_text(f"{tag}{i}", 2).encode(), "text/markdown")) for i, n in enumerate(names)]
    r = admin.post("/api/admin/documents", files=files)
    assert r.status_code == 201, r.text
    sources = sorted(d["source"] for d in r.json()["documents"])
    assert sources == ["policies/abs.md", "policies/evil.md", "policies/hidden.md", "policies/win.md"]
    library = Path(admin_settings.data_dir) / "library"
    for source in sources:
        assert (library / source).is_file()
    for p in Path(admin_settings.data_dir).rglob("*"):
        assert p.resolve().is_relative_to(Path(admin_settings.data_dir).resolve())
    assert not list(tmp_path.glob("evil.md")) and not list(Path(admin_settings.data_dir).glob("evil.md"))


def test_duplicates_are_refused(admin, admin_settings):
    library = Path(admin_settings.data_dir) / "library"
    existing = (library / IP_DOC).read_bytes()
    before = snapshot(admin_settings)
    # Same name in the same folder (a new version must go through "replace").
    r = admin.post("/api/admin/documents", data={"folder": "policies"},
                   files={"files": ("城阳区知识产权促进资助办法.txt", "第一条 新内容，与原文不同。".encode(), "text/plain")})
    assert r.status_code == 409 and r.json()["error"]["code"] == "duplicate_name"
    assert r.json()["error"]["document_id"] > 0
    # Same stem, other extension: its metadata file would overwrite the other's.
    r = admin.post("/api/admin/documents", data={"folder": "policies"},
                   files={"files": ("城阳区知识产权促进资助办法.md", "# 另一个\n\n第一条 不同内容。".encode(), "text/markdown")})
    assert r.status_code == 409 and r.json()["error"]["code"] == "duplicate_name"
    # Same bytes under another name.
    r = admin.post("/api/admin/documents", files={"files": ("副本.txt", existing, "text/plain")})
    assert r.status_code == 409 and r.json()["error"]["code"] == "duplicate_content"
    # Twice in one upload.
    r = admin.post("/api/admin/documents", files=[("files", ("甲.md", MD, "text/markdown")),
                                                  ("files", ("乙.md", MD, "text/markdown"))])
    assert r.status_code == 409 and r.json()["error"]["code"] == "duplicate_in_batch"
    assert snapshot(admin_settings) == before


def test_one_bad_file_refuses_the_whole_upload(admin, admin_settings):
    before = snapshot(admin_settings)
    r = admin.post("/api/admin/documents", files=[
        ("files", ("好的.md", MD, "text/markdown")),
        ("files", ("坏的.pdf", PNG, "application/pdf")),
    ])
    assert r.status_code == 415
    error = r.json()["error"]
    assert error["code"] == "upload_rejected" and "均未保存" in error["message"]
    assert [f["filename"] for f in error["files"]] == ["坏的.pdf"]
    assert snapshot(admin_settings) == before


def test_invalid_metadata_is_refused(admin, admin_settings):
    before = snapshot(admin_settings)
    r = admin.post("/api/admin/documents", data={"metadata": json.dumps([{"issue_date": "去年春天"}])},
                   files={"files": ("新办法.md", MD, "text/markdown")})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_metadata"
    assert "发布日期" in r.json()["error"]["message"]
    r = admin.post("/api/admin/documents", data={"metadata": json.dumps([{"status": "作废"}])},
                   files={"files": ("新办法.md", MD, "text/markdown")})
    assert r.status_code == 400
    assert snapshot(admin_settings) == before


def test_inspect_infers_metadata_without_saving(admin, admin_settings):
    tag = unique_tag()
    before = snapshot(admin_settings)
    r = admin.post("/api/admin/uploads/inspect", files={"files": ("新政策.md", policy_text(tag, 3).encode(), "text/markdown")})
    assert r.status_code == 200
    result = r.json()["files"][0]
    assert result["ok"] and result["name"] == "新政策.md" and result["folder"] == "policies"
    meta = result["metadata"]
    assert meta["title"] == f"城阳区{tag}专项扶持办法"
    assert meta["doc_number"].startswith("青城测发〔2024〕")
    assert meta["issuer"] == "青岛市城阳区人民政府办公室"
    assert meta["issue_date"] == "2024-03-01"
    assert meta["region"] == "青岛市城阳区"
    assert snapshot(admin_settings) == before


def test_upload_with_edited_metadata(admin, admin_settings):
    tag = unique_tag()
    data = docx_bytes([f"城阳区{tag}奖励办法", f"第一条 对{tag}企业给予奖励十万元。", "第二条 本办法自2024年5月1日起施行。"])
    edits = {"title": f"城阳区{tag}奖励办法（试行）", "doc_number": "城政发〔2024〕3号", "issuer": "城阳区人民政府",
             "issue_date": "2024-04-20", "programs": ["质量提升", "青岛优品"], "doc_type": "政策文件", "folder": "policies"}
    r = admin.post("/api/admin/documents", data={"metadata": json.dumps([edits])},
                   files={"files": (f"{tag}奖励办法.docx", data, "application/vnd.openxmlformats-officedocument.wordprocessingml.document")})
    assert r.status_code == 201, r.text
    doc = r.json()["documents"][0]
    assert doc["source"] == f"policies/{tag}奖励办法.docx" and doc["version"] == 1 and doc["status"] == "现行"
    assert doc["title"] == edits["title"] and doc["metadata"]["effective_date"] == "2024-05-01"  # inferred, kept
    library = Path(admin_settings.data_dir) / "library"
    assert (library / doc["source"]).read_bytes() == data
    side = yaml.safe_load((library / f"policies/{tag}奖励办法.meta.yaml").read_text(encoding="utf-8"))
    assert side["title"] == edits["title"] and side["programs"] == ["质量提升", "青岛优品"] and side["issue_date"] == "2024-04-20"
    blob = Path(admin_settings.data_dir) / "blobs" / doc["sha256"][:2] / doc["sha256"]
    assert blob.read_bytes() == data
    audit = admin.get("/api/admin/audit", params={"action": "upload"}).json()["items"]
    assert audit[0]["actor"] == "admin" and audit[0]["document_id"] == doc["id"] and audit[0]["version"] == 1
    # The upload is not served until a re-index; the list says so.
    listed = {d["id"]: d for d in admin.get("/api/admin/documents").json()["documents"]}
    assert listed[doc["id"]]["indexed"] is False
    assert all(d["indexed"] for i, d in listed.items() if i != doc["id"])


def test_check_upload_directly():
    checked = check_upload(MD, "../测试.md", 1_000_000)
    assert checked.name == "测试.md" and checked.metadata["title"] == "测试办法" and checked.warnings
    with pytest.raises(AdminError) as info:
        check_upload(MD, "x.md", 10)
    assert info.value.status == 413
