"""Upload validation: safe file names, type checked by content, size limits, and a trial parse with the
same loaders the indexer uses (on a temporary copy), so nothing that would fail indexing is accepted."""

from __future__ import annotations

import hashlib
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..ingest.injection import find_injections
from ..ingest.loaders import SUPPORTED_SUFFIXES, CompressionBombError, LoadError, check_zip, decode_text, load_file, read_sidecar
from ..models import STATUSES
from .errors import AdminError

# Metadata an admin can see and edit; written to the library sidecar (NAME.meta.yaml).
META_KEYS: tuple[str, ...] = ("title", "doc_number", "issuer", "issue_date", "effective_date", "expiry_date",
                              "status", "replaced_by", "replaces", "region", "programs", "doc_type", "sample", "note")
DATE_KEYS = ("issue_date", "effective_date", "expiry_date")
DOC_TYPES = ("政策文件", "申报指南", "办事指南", "常见问题", "工作方案")
TEXT_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".jsonl")
MAX_STEM_BYTES = 180  # leaves room for ".meta.yaml" within the usual 255-byte file-name limit
MAX_ZIP_ENTRIES = 5000
_FIELD_LIMITS = {"title": 200, "note": 2000}
_DEFAULT_LIMIT = 200

# Magic numbers of formats people upload by mistake (or on purpose, renamed).
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xd0\xcf\x11\xe0", "旧版 Office 文件（DOC/XLS）"),
    (b"\x89PNG", "PNG 图片"),
    (b"\xff\xd8\xff", "JPEG 图片"),
    (b"GIF8", "GIF 图片"),
    (b"MZ", "可执行文件"),
    (b"\x7fELF", "可执行文件"),
    (b"Rar!", "RAR 压缩包"),
    (b"7z\xbc\xaf", "7z 压缩包"),
    (b"\x1f\x8b", "gzip 压缩包"),
    (b"{\\rtf", "RTF 文件"),
)


@dataclass
class CheckedFile:
    """An upload that passed every check: its safe name, bytes and what the loaders made of it."""

    original_name: str
    name: str
    data: bytes
    sha256: str
    format: str
    metadata: dict  # inferred / declared metadata, restricted to META_KEYS
    documents: int
    preview: str
    warnings: list[str] = field(default_factory=list)
    injection: list[dict] = field(default_factory=list)  # sentences that address the assistant (admin confirms)

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix.lower()

    def summary(self) -> dict:
        return {"filename": self.original_name, "name": self.name, "size": len(self.data), "sha256": self.sha256,
                "format": self.format, "metadata": self.metadata, "documents": self.documents,
                "preview": self.preview, "warnings": self.warnings, "injection": self.injection}


# --- names -------------------------------------------------------------------------------------

def sanitize_filename(raw: str) -> str:
    """A safe base name for the library: no directories, no control or reserved characters, no leading
    dot, a supported extension, bounded length. Raises AdminError when nothing usable is left."""
    name = unicodedata.normalize("NFC", str(raw or ""))
    name = name.replace("\\", "/").split("/")[-1]  # directories (and ../) are never kept
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co"))
    name = re.sub(r'[<>:"|?*]', "_", name)
    name = re.sub(r"\s+", " ", name).strip()
    name = name.lstrip(". _~$").rstrip(". ")
    if name.lower().endswith(".meta.yaml") or name.lower() in ("readme.md",):
        raise AdminError(400, "reserved_name", f"文件名“{name}”为系统保留名称，请改名后上传",
                         "reserved file name")
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem:
        raise AdminError(415, "unsupported_type", f"文件“{raw}”没有可识别的扩展名（支持 {'、'.join(SUPPORTED_SUFFIXES)}）",
                         "missing file extension")
    suffix = "." + suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise AdminError(415, "unsupported_type",
                         f"不支持的文件类型：{suffix}（支持 {'、'.join(SUPPORTED_SUFFIXES)}）", "unsupported extension")
    stem = stem.strip()
    encoded = stem.encode("utf-8")
    if len(encoded) > MAX_STEM_BYTES:
        stem = encoded[:MAX_STEM_BYTES].decode("utf-8", errors="ignore").rstrip(". ")
    if not stem or stem in (".", ".."):
        raise AdminError(400, "invalid_name", "文件名无效，请改名后上传", "empty file name")
    return stem + suffix


# --- content -----------------------------------------------------------------------------------

def sniff(data: bytes) -> str:
    """What the bytes are, whatever the name says: pdf | docx | zip | text | a label for other binaries.
    Corrupt zip containers and zip bombs raise LoadError here, before anything decompresses."""
    head = data[:16]
    if data.lstrip()[:5].startswith(b"%PDF"):
        return "pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        zf = check_zip(data, "DOCX")
        names = zf.namelist()
        if len(names) > MAX_ZIP_ENTRIES:
            raise LoadError("DOCX 文件包含的条目数量异常（疑似压缩炸弹），已拒绝")
        return "docx" if "word/document.xml" in names else "zip"
    for magic, label in _MAGIC:
        if head.startswith(magic):
            return label
    try:
        text = decode_text(data)
    except LoadError:
        return "二进制文件"
    sample = text[:20000]
    controls = sum(1 for ch in sample if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v")
    if sample and controls / len(sample) > 0.01:
        return "二进制文件"
    return "text"


_KIND_LABEL = {"pdf": "PDF 文件", "docx": "DOCX 文件", "zip": "ZIP 压缩包（不是 Word 文档）", "text": "文本文件"}


def expected_kind(suffix: str) -> str:
    return {".pdf": "pdf", ".docx": "docx"}.get(suffix, "text")


def check_upload(data: bytes, raw_name: str, max_bytes: int) -> CheckedFile:
    """Every check an upload must pass. Raises AdminError (4xx, Chinese message) on the first failure."""
    name = sanitize_filename(raw_name)
    suffix = Path(name).suffix.lower()
    if len(data) > max_bytes:
        raise AdminError(413, "file_too_large",
                         f"文件“{name}”过大（{len(data) / 1024 / 1024:.1f} MB），上限 {max_bytes / 1024 / 1024:.0f} MB",
                         f"file exceeds {max_bytes} bytes")
    if not data.strip():
        raise AdminError(400, "empty_file", f"文件“{name}”是空的", "empty file")
    try:
        kind = sniff(data)
    except LoadError as exc:
        code = "zip_bomb" if isinstance(exc, CompressionBombError) or "压缩炸弹" in str(exc) else "corrupt_file"
        raise AdminError(422, code, f"文件“{name}”被拒绝：{exc}", "container check failed") from exc
    expected = expected_kind(suffix)
    if kind != expected:
        raise AdminError(415, "type_mismatch",
                         f"文件“{name}”的内容与扩展名不符：扩展名是 {suffix}，内容却是{_KIND_LABEL.get(kind, kind)}",
                         f"content is {kind}, extension says {expected}")
    metadata, documents, preview, fmt, injection = trial_parse(data, name)
    warnings = []
    if name != raw_name:
        warnings.append(f"文件名已调整为“{name}”")
    if injection:
        warnings.append(f"发现 {len(injection)} 处疑似对AI助手下达指令的文字（如“{injection[0]['text'][:40]}”），"
                        "保存后需管理员确认；这些文字不会被用作回答")
    return CheckedFile(original_name=raw_name, name=name, data=data, sha256=hashlib.sha256(data).hexdigest(),
                       format=fmt, metadata=metadata, documents=documents, preview=preview, warnings=warnings,
                       injection=injection)


def trial_parse(data: bytes, name: str) -> tuple[dict, int, str, str, list[dict]]:
    """Parse a temporary copy with the indexer's loaders: (metadata, documents, preview, format, sentences
    that address the assistant)."""
    with tempfile.TemporaryDirectory(prefix="qpa-upload-") as tmp:
        root = Path(tmp)
        path = root / name
        path.write_bytes(data)
        try:
            docs = load_file(path, root)
        except CompressionBombError as exc:
            raise AdminError(422, "zip_bomb", f"文件“{name}”被拒绝：{exc}", "decompressed size over the limit") from exc
        except LoadError as exc:
            raise AdminError(422, "unreadable", f"文件“{name}”无法读取：{exc}", "the loader refused the file") from exc
        except Exception as exc:  # a loader crash on odd input is still the file's fault, not a 500
            raise AdminError(422, "unreadable", f"文件“{name}”无法解析（{type(exc).__name__}）",
                             f"loader failed: {type(exc).__name__}") from exc
    first = docs[0]
    if path.suffix.lower() == ".jsonl":
        # A JSON-lines file holds many service guides; its own metadata is file-level (the sidecar).
        metadata = meta_subset({"title": Path(name).stem, "doc_type": "办事指南", "status": "现行",
                                "programs": sorted({p for d in docs for p in d.meta.programs})})
    else:
        metadata = meta_subset(first.meta.model_dump())
    if not metadata.get("title"):
        metadata["title"] = Path(name).stem
    injection = [{"kind": f.kind, "label": f.label(), "text": f.text}
                 for d in docs for f in find_injections(d.text)][:50]
    return metadata, len(docs), first.text[:300], first.meta.format, injection


def meta_subset(meta: dict) -> dict:
    """The editable fields that have a value (nothing inferred = absent, so it never blanks a known value)."""
    return {k: meta[k] for k in META_KEYS if k in meta and meta[k] not in (None, "", [])}


def sidecar_metadata(path: Path) -> dict:
    """The declared metadata of a corpus file (sidecar), cleaned; {} when it has none or it is broken."""
    try:
        raw, _ = read_sidecar(path)
    except LoadError:
        return {}
    return clean_metadata({k: v for k, v in raw.items() if k in META_KEYS}, strict=False)


# --- metadata ----------------------------------------------------------------------------------

def _iso_date(value) -> str:
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    if not text:
        return ""
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", text)
    if not m:
        raise ValueError(text)
    return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()


def clean_metadata(raw: dict, strict: bool = True) -> dict:
    """Validate admin-entered metadata into sidecar form. Unknown keys are ignored; with strict=False
    (seeding) bad values are dropped instead of refused."""
    if not isinstance(raw, dict):
        raise AdminError(400, "invalid_metadata", "元数据格式不正确（应为键值对）", "metadata must be an object")
    out: dict = {}
    problems: list[str] = []
    for key in META_KEYS:
        if key not in raw or raw[key] is None:
            continue
        value = raw[key]
        try:
            if key == "programs":
                items = value if isinstance(value, list) else re.split(r"[,，、;；\s]+", str(value))
                items = [str(v).strip()[:40] for v in items if str(v).strip()]
                if len(items) > 30:
                    raise ValueError("too many")
                out[key] = list(dict.fromkeys(items))
            elif key == "sample":
                out[key] = value if isinstance(value, bool) else str(value).strip().lower() in ("true", "1", "yes", "是")
            elif key in DATE_KEYS:
                iso = _iso_date(value)
                if iso:
                    out[key] = iso
            elif key == "status":
                status = str(value).strip()
                if status not in STATUSES:
                    raise ValueError(status)
                out[key] = status
            else:
                text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", str(value)).strip()
                limit = _FIELD_LIMITS.get(key, _DEFAULT_LIMIT)
                if len(text) > limit:
                    raise ValueError("too long")
                if text:
                    out[key] = text
        except ValueError:
            problems.append(key)
    if problems and strict:
        labels = {"title": "标题", "doc_number": "文号", "issuer": "发文机关", "issue_date": "发布日期",
                  "effective_date": "施行日期", "expiry_date": "失效日期", "status": "状态", "programs": "适用项目",
                  "note": "备注", "region": "地区", "doc_type": "文件类型"}
        names = "、".join(labels.get(p, p) for p in problems)
        raise AdminError(400, "invalid_metadata", f"元数据有误：{names}（日期请写成 2024-03-01，状态只能是 现行/已修订/已废止）",
                         f"invalid fields: {', '.join(problems)}")
    return out
