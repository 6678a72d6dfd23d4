"""The managed document library.

Durable truth is the database (documents, document_versions, audit_log) plus a content-addressed blob
store holding the bytes of every version ever uploaded:

    data_dir/assistant.sqlite3       rows: documents, versions, audit log, jobs
    data_dir/blobs/ab/abcdef…        every version's original bytes (written + fsynced before its row)
    data_dir/library/<folder>/NAME   current version of each live document (what the indexer reads)
    data_dir/library/<folder>/NAME.meta.yaml   its metadata, generated from the version row

The library folder is derived: `materialize` rewrites it from rows + blobs, and `reconcile` does that for
every document at start-up, so a crash between the commit and the file writes loses nothing.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import re
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import yaml

from ..fileio import write_atomic
from ..db import DATA_FILE_MODE, Database, private_dir
from ..ingest.loaders import LoadError, decode_text, file_digest, load_file, sidecar_path, split_front_matter
from ..models import STATUSES
from ..settings import Settings
from .errors import AdminError, not_found
from .uploads import META_KEYS, CheckedFile, clean_metadata, meta_subset, sidecar_metadata

log = logging.getLogger(__name__)

DEFAULT_FOLDERS = ("policies", "guides", "faq")
FOLDER_FOR_TYPE = {"政策文件": "policies", "工作方案": "policies", "申报指南": "guides", "办事指南": "guides",
                   "常见问题": "faq"}
_FOLDER_RE = re.compile(r"^[A-Za-z0-9\u4e00-\u9fff][A-Za-z0-9_\-\u4e00-\u9fff]{0,39}$")
SEED_KEY = "library_seed"


class BlobStore:
    """Content-addressed, write-once store of every version's bytes."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.root = data_dir / "blobs"

    def relpath(self, sha256: str) -> str:
        return f"blobs/{sha256[:2]}/{sha256}"

    def put(self, data: bytes) -> tuple[str, str]:
        sha = hashlib.sha256(data).hexdigest()
        path = self.data_dir / self.relpath(sha)
        if not (path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() == sha):  # write-once, self-healing
            write_atomic(path, data, mode=DATA_FILE_MODE)
        return sha, self.relpath(sha)

    def get(self, sha256: str) -> bytes:
        data = (self.data_dir / self.relpath(sha256)).read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise OSError(f"blob {sha256} is corrupt")
        return data


# --- the library copy of a version -------------------------------------------------------------

def library_bytes(data: bytes, suffix: str) -> bytes:
    """The bytes the indexer reads for a version. Metadata lives in the sidecar alone, so metadata the
    file declares itself (Markdown front matter, a JSON-lines record's status) is taken out: otherwise it
    would outrank the sidecar and an admin could not retire or re-date the document. Text is unchanged."""
    suffix = suffix.lower()
    try:
        if suffix in (".md", ".markdown"):
            front, body = split_front_matter(decode_text(data))
            if not front:
                return data
            if body.startswith("---"):
                body = "\n" + body  # never let the body itself look like front matter
            return body.encode("utf-8")
        if suffix == ".jsonl":
            lines = []
            for raw in decode_text(data).splitlines():
                if not raw.strip():
                    continue
                record = json.loads(raw)
                if isinstance(record, dict):
                    for key in ("status", "replaced_by", "replaces"):
                        record.pop(key, None)
                lines.append(json.dumps(record, ensure_ascii=False))
            return ("\n".join(lines) + "\n").encode("utf-8")
    except (LoadError, ValueError):
        return data  # unreadable as text: keep the bytes; the indexer will report it
    return data


def render_sidecar(metadata: dict) -> bytes:
    meta = {k: metadata[k] for k in META_KEYS if k in metadata and metadata[k] not in (None, "", [])}
    if "sample" in metadata:
        meta["sample"] = bool(metadata["sample"])
    body = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, default_flow_style=None)
    return ("# 由管理后台生成，请在管理页面修改（手工修改会被覆盖）\n" + body).encode("utf-8")


# --- the library -------------------------------------------------------------------------------

class Library:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.data_dir = Path(settings.data_dir).resolve()
        self.root = settings.library_dir.resolve()
        self.blobs = BlobStore(self.data_dir)
        private_dir(self.data_dir)
        private_dir(self.root)
        self._lock_path = self.data_dir / "library.lock"

    # --- locking ---------------------------------------------------------------------------------

    @contextmanager
    def locked(self, shared: bool = False) -> Iterator[None]:
        """Serializes library changes across threads and processes (the CLI and the service). Builds take
        it shared while they list and parse the folder, so they never read a half-applied change."""
        fh = open(self._lock_path, "a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
            yield
        finally:
            fh.close()  # closing releases the lock

    # --- seeding and repair ----------------------------------------------------------------------

    def _kv(self, key: str) -> str | None:
        rows = self.db.query("SELECT value FROM kv WHERE key=?", (key,))
        return rows[0]["value"] if rows else None

    def _set_kv(self, key: str, value: str) -> None:
        self.db.execute("INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                        (key, value))

    def ensure_seeded(self, corpus_dirs: list[Path], actor: str = "system") -> int:
        """On first use, copy the shipped corpus into the library as version 1 of each document.
        Resumable: a seed killed half way continues where it stopped. Returns files added."""
        from ..indexer import discover

        with self.locked():
            state = self._kv(SEED_KEY)
            if state == "done":
                return 0
            if state is None and self.db.query("SELECT 1 FROM documents LIMIT 1"):
                self._set_kv(SEED_KEY, "done")  # a library managed before seeding existed: leave it be
                return 0
            self._set_kv(SEED_KEY, "running")
            existing = {r["source"] for r in self.db.query("SELECT source FROM documents")}
            added = 0
            for root, path in discover([Path(d) for d in corpus_dirs if Path(d).is_dir()]):
                source = path.relative_to(root).as_posix()
                if source in existing:
                    continue
                data = path.read_bytes()
                sha, blob = self.blobs.put(data)
                metadata = self._seed_metadata(root, path)
                with self.db.transaction() as conn:
                    doc_id = self._insert_document(conn, source, metadata)
                    self._insert_version(conn, doc_id, 1, source, sha, len(data), blob, metadata, actor)
                    self._audit(conn, actor, "seed", doc_id, 1, source=source, title=metadata.get("title", ""),
                                sha256=sha)
                existing.add(source)
                added += 1
            self._set_kv(SEED_KEY, "done")
            self.db.audit(actor, "seed_done", None, None, files=added,
                          corpus=[str(d) for d in corpus_dirs])
        self.reconcile()
        return added

    @staticmethod
    def _seed_metadata(root: Path, path: Path) -> dict:
        if path.suffix.lower() != ".jsonl":
            try:
                docs = load_file(path, root)
                metadata = clean_metadata(meta_subset(docs[0].meta.model_dump()), strict=False)
            except Exception:  # the build will report it; seeding keeps the file regardless
                metadata = sidecar_metadata(path)
        else:
            metadata = sidecar_metadata(path)
        metadata.setdefault("title", path.stem)
        metadata.setdefault("status", "现行")
        return metadata

    def reconcile(self) -> dict:
        """Make the library folder match the rows (after a crash, or files touched by hand)."""
        fixed = 0
        with self.locked():
            for tmp in self.root.rglob(".tmp-*"):
                tmp.unlink(missing_ok=True)
            for doc in self.db.query("SELECT * FROM documents ORDER BY id"):
                fixed += self._materialize(doc)
        return {"changed": fixed}

    def _materialize(self, doc: dict) -> int:
        """Write (or remove) one document's library files from its rows. Returns files changed."""
        changed = 0
        path = self.root / doc["source"]
        live_sources = None
        if doc["deleted_at"] is None:
            ver = self._version(doc["id"], doc["current_version"])
            try:
                data = library_bytes(self.blobs.get(ver["sha256"]), path.suffix)
            except OSError as exc:  # never delete what we cannot rebuild
                log.error("cannot materialize %s: %s", doc["source"], exc)
                return 0
            side = render_sidecar(json.loads(ver["metadata"]))
            for target, content in ((sidecar_path(path), side), (path, data)):  # sidecar first: never a doc without it
                if not target.exists() or target.read_bytes() != content:
                    write_atomic(target, content, mode=DATA_FILE_MODE)
                    changed += 1
        else:
            for target in (path, sidecar_path(path)):
                if target.exists():
                    target.unlink()
                    changed += 1
        # Files left under an older name of this document (a replacement may rename it).
        for row in self.db.query("SELECT DISTINCT filename FROM document_versions WHERE document_id=?", (doc["id"],)):
            old = row["filename"]
            if old == doc["source"]:
                continue
            if live_sources is None:
                live_sources = {r["source"] for r in self.db.query("SELECT source FROM documents WHERE deleted_at IS NULL")}
            if old in live_sources:
                continue
            for target in (self.root / old, sidecar_path(self.root / old)):
                if target.exists():
                    target.unlink()
                    changed += 1
        return changed

    # --- rows ------------------------------------------------------------------------------------

    @staticmethod
    def _audit(conn, actor: str, action: str, document_id: int | None, version: int | None, **detail) -> None:
        conn.execute("INSERT INTO audit_log (at, actor, action, document_id, version, detail) VALUES (?,?,?,?,?,?)",
                     (time.time(), actor, action, document_id, version, json.dumps(detail, ensure_ascii=False)))

    @staticmethod
    def _insert_document(conn, source: str, metadata: dict) -> int:
        now = time.time()
        cur = conn.execute("INSERT INTO documents (source, title, status, current_version, created_at, updated_at) "
                           "VALUES (?,?,?,?,?,?)",
                           (source, metadata.get("title", ""), metadata.get("status", "现行"), 1, now, now))
        return int(cur.lastrowid)

    @staticmethod
    def _insert_version(conn, doc_id: int, version: int, filename: str, sha: str, size: int, blob: str,
                        metadata: dict, actor: str, injection: list[dict] | None = None) -> None:
        conn.execute("INSERT INTO document_versions (document_id, version, filename, sha256, size, blob_path, "
                     "metadata, status, created_by, created_at, injection) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                     (doc_id, version, filename, sha, size, blob, json.dumps(metadata, ensure_ascii=False),
                      metadata.get("status", "现行"), actor, time.time(),
                      json.dumps(injection, ensure_ascii=False) if injection else None))

    def _version(self, doc_id: int, version: int) -> dict:
        rows = self.db.query("SELECT * FROM document_versions WHERE document_id=? AND version=?", (doc_id, version))
        if not rows:
            raise not_found("文档版本")
        return rows[0]

    def _doc_row(self, doc_id: int, live: bool = True) -> dict:
        rows = self.db.query("SELECT * FROM documents WHERE id=?", (doc_id,))
        if not rows or (live and rows[0]["deleted_at"] is not None):
            raise not_found()
        return rows[0]

    def resolve(self, ref: str | int) -> int:
        """A document id from an id or a library path (CLI), e.g. policies/城阳区知识产权促进资助办法.txt."""
        if isinstance(ref, int) or str(ref).isdigit():
            return int(ref)
        ref = str(ref).strip().lstrip("/")
        rows = self.db.query("SELECT id FROM documents WHERE source=? AND deleted_at IS NULL", (ref,))
        if not rows:  # a bare file name is enough when it is unambiguous
            rows = self.db.query("SELECT id, source FROM documents WHERE deleted_at IS NULL")
            rows = [r for r in rows if r["source"].rsplit("/", 1)[-1] == ref]
        if len(rows) != 1:
            raise not_found() if not rows else AdminError(409, "ambiguous", f"有多个文档名为“{ref}”，请写出目录",
                                                         "ambiguous name")
        return int(rows[0]["id"])

    # --- reading ---------------------------------------------------------------------------------

    def folders(self) -> list[str]:
        found = [p.name for p in self.root.iterdir() if p.is_dir() and _FOLDER_RE.match(p.name)] if self.root.exists() else []
        return sorted(set(DEFAULT_FOLDERS) | set(found))

    def _present(self, doc: dict, ver: dict, count: int) -> dict:
        metadata = json.loads(ver["metadata"])
        folder, _, name = doc["source"].rpartition("/")
        return {
            "id": doc["id"], "source": doc["source"], "folder": folder, "name": name,
            "title": doc["title"], "status": doc["status"], "version": doc["current_version"], "versions": count,
            "metadata": metadata, "size": ver["size"], "sha256": ver["sha256"],
            "format": Path(name).suffix.lower().lstrip("."),
            "created_at": doc["created_at"], "updated_at": doc["updated_at"],
            "updated_by": ver["created_by"], "deleted": doc["deleted_at"] is not None, "deleted_at": doc["deleted_at"],
            "injection": self._injection(ver),
        }

    @staticmethod
    def _injection(ver: dict) -> dict | None:
        """Sentences of this version flagged at upload as addressing the assistant, and their confirmation."""
        if not ver.get("injection"):
            return None
        return {"findings": json.loads(ver["injection"]), "confirmed_by": ver.get("injection_confirmed_by"),
                "confirmed_at": ver.get("injection_confirmed_at"),
                "pending": not ver.get("injection_confirmed_by")}

    def confirm_injection(self, doc_id: int, actor: str, note: str = "") -> dict:
        """The admin has read the flagged sentences and keeps the document (audited). They stay out of answers."""
        with self.locked():
            doc = self._doc_row(doc_id)
            ver = self._version(doc_id, doc["current_version"])
            if not ver.get("injection"):
                raise AdminError(409, "nothing_flagged", "该文档没有待确认的疑似指令文字", "no injection flagged")
            with self.db.transaction() as conn:
                conn.execute("UPDATE document_versions SET injection_confirmed_by=?, injection_confirmed_at=? "
                             "WHERE document_id=? AND version=?", (actor, time.time(), doc_id, ver["version"]))
                self._audit(conn, actor, "confirm_injection", doc_id, ver["version"], source=doc["source"],
                            title=doc["title"], findings=len(json.loads(ver["injection"])), note=note[:2000])
        return self.get_document(doc_id)

    def list_documents(self, status: str | None = None, program: str | None = None, date_from: str | None = None,
                       date_to: str | None = None, q: str | None = None, folder: str | None = None,
                       include_deleted: bool = False, manifest_files: dict | None = None) -> list[dict]:
        rows = self.db.query(
            "SELECT d.*, v.id AS v_id, v.version AS v_version, v.metadata AS v_metadata, v.size AS v_size, "
            "v.sha256 AS v_sha256, v.created_by AS v_created_by, v.injection AS v_injection, "
            "v.injection_confirmed_by AS v_injection_confirmed_by, v.injection_confirmed_at AS v_injection_confirmed_at, "
            "(SELECT COUNT(*) FROM document_versions x WHERE x.document_id=d.id) AS v_count "
            "FROM documents d JOIN document_versions v ON v.document_id=d.id AND v.version=d.current_version "
            "ORDER BY d.updated_at DESC, d.id DESC")
        out = []
        needle = (q or "").strip().lower()
        for r in rows:
            if r["deleted_at"] is not None and not include_deleted:
                continue
            ver = {"metadata": r["v_metadata"], "size": r["v_size"], "sha256": r["v_sha256"],
                   "created_by": r["v_created_by"], "injection": r["v_injection"],
                   "injection_confirmed_by": r["v_injection_confirmed_by"],
                   "injection_confirmed_at": r["v_injection_confirmed_at"]}
            doc = self._present(r, ver, r["v_count"])
            meta = doc["metadata"]
            when = meta.get("issue_date") or meta.get("effective_date") or ""
            if status and doc["status"] != status:
                continue
            if program and program not in meta.get("programs", []):
                continue
            if date_from and (not when or when < date_from):
                continue
            if date_to and (not when or when > date_to):
                continue
            if folder and doc["folder"] != folder:
                continue
            if needle and not any(needle in str(x).lower() for x in (doc["title"], doc["source"], meta.get("doc_number", ""),
                                                                   meta.get("issuer", ""))):
                continue
            if manifest_files is not None and not doc["deleted"]:
                doc["indexed"] = self._is_indexed(doc["source"], manifest_files)
            out.append(doc)
        return out

    def annotate(self, doc: dict, manifest_files: dict) -> dict:
        """Add whether the served index already holds this exact version (and metadata) of the document."""
        if not doc.get("deleted"):
            doc["indexed"] = self._is_indexed(doc["source"], manifest_files)
        return doc

    def _is_indexed(self, source: str, manifest_files: dict) -> bool:
        entry = manifest_files.get(f"{self.root.name}/{source}")
        path = self.root / source
        try:
            return bool(entry) and entry.get("digest") == file_digest(path)
        except OSError:
            return False

    def get_document(self, doc_id: int, manifest_files: dict | None = None) -> dict:
        doc = self._doc_row(doc_id, live=False)
        versions = self.db.query("SELECT * FROM document_versions WHERE document_id=? ORDER BY version DESC", (doc_id,))
        current = next(v for v in versions if v["version"] == doc["current_version"])
        out = self._present(doc, current, len(versions))
        if manifest_files is not None and not out["deleted"]:
            out["indexed"] = self._is_indexed(doc["source"], manifest_files)
        out["history"] = [{
            "version": v["version"], "filename": v["filename"], "sha256": v["sha256"], "size": v["size"],
            "status": v["status"], "replaced_by_version": v["replaced_by_version"], "created_by": v["created_by"],
            "created_at": v["created_at"], "metadata": json.loads(v["metadata"]), "current": v["version"] == doc["current_version"],
        } for v in versions]
        return out

    def version_file(self, doc_id: int, version: int) -> tuple[str, bytes]:
        self._doc_row(doc_id, live=False)
        ver = self._version(doc_id, version)
        return ver["filename"].rsplit("/", 1)[-1], self.blobs.get(ver["sha256"])

    def audit_log(self, limit: int = 100, offset: int = 0, action: str | None = None, actor: str | None = None,
                  document_id: int | None = None) -> dict:
        where, params = [], []
        for column, value in (("a.action", action), ("a.actor", actor), ("a.document_id", document_id)):
            if value not in (None, ""):
                where.append(f"{column}=?")
                params.append(value)
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        total = self.db.query(f"SELECT COUNT(*) AS n FROM audit_log a {clause}", params)[0]["n"]
        rows = self.db.query(f"SELECT a.*, d.source AS doc_source, d.title AS doc_title FROM audit_log a "
                             f"LEFT JOIN documents d ON d.id=a.document_id {clause} ORDER BY a.id DESC LIMIT ? OFFSET ?",
                             [*params, max(1, min(int(limit), 500)), max(0, int(offset))])
        items = []
        for r in rows:
            detail = json.loads(r["detail"] or "{}")
            items.append({"id": r["id"], "at": r["at"], "actor": r["actor"], "action": r["action"],
                          "document_id": r["document_id"], "version": r["version"], "detail": detail,
                          "source": detail.get("source") or r["doc_source"] or "",
                          "title": detail.get("title") or r["doc_title"] or ""})
        return {"total": total, "items": items}

    # --- checks ----------------------------------------------------------------------------------

    def check_folder(self, folder: str | None, metadata: dict) -> str:
        folder = (folder or "").strip().strip("/") or FOLDER_FOR_TYPE.get(metadata.get("doc_type", ""), "policies")
        if not _FOLDER_RE.match(folder):
            raise AdminError(400, "invalid_folder", f"目录名“{folder}”无效（只能用字母、数字、汉字、-、_）",
                             "invalid folder name")
        return folder

    def _check_target(self, source: str, sha: str, own_id: int | None, pending: list[tuple[str, str]]) -> None:
        """Refuse a name or content that would clash with another document (or another file of the batch)."""
        live = self.db.query("SELECT d.id, d.source, d.title, v.sha256 FROM documents d JOIN document_versions v "
                             "ON v.document_id=d.id AND v.version=d.current_version WHERE d.deleted_at IS NULL")
        folder, _, name = source.rpartition("/")
        stem = Path(name).stem.casefold()
        for row in live:
            if row["id"] == own_id:
                continue
            r_folder, _, r_name = row["source"].rpartition("/")
            if row["source"].casefold() == source.casefold():
                raise AdminError(409, "duplicate_name",
                                 f"已存在同名文档“{row['source']}”（《{row['title']}》）。如要更新它，请使用“替换”；否则请改名后上传",
                                 "a document with this name exists", {"document_id": row["id"]})
            if r_folder == folder and Path(r_name).stem.casefold() == stem:
                raise AdminError(409, "duplicate_name",
                                 f"同一目录下已有同名（扩展名不同）的文档“{row['source']}”，请改名后上传",
                                 "same stem in folder: their metadata files would clash", {"document_id": row["id"]})
            if row["sha256"] == sha:
                raise AdminError(409, "duplicate_content",
                                 f"内容与已有文档《{row['title']}》（{row['source']}）完全相同，无需重复上传",
                                 "identical content already in the library", {"document_id": row["id"]})
        for other_source, other_sha in pending:
            if other_source.casefold() == source.casefold() or other_sha == sha:
                raise AdminError(409, "duplicate_in_batch", f"本次上传中有重复的文件：“{source}”", "duplicate within upload")
        owned = {r["source"] for r in self.db.query("SELECT source FROM documents")}
        path = self.root / source
        if source not in owned and (path.exists() or sidecar_path(path).exists()):
            raise AdminError(409, "duplicate_name", f"文档库中已有文件“{source}”，请改名后上传", "unmanaged file exists")

    # --- changes ---------------------------------------------------------------------------------

    def add_documents(self, items: list[tuple[CheckedFile, str | None, dict | None]], actor: str) -> list[dict]:
        """Add new documents, all or none. items: (checked upload, folder, metadata edits)."""
        prepared = []
        with self.locked():
            pending: list[tuple[str, str]] = []
            for checked, folder, edits in items:
                metadata = {**checked.metadata, **clean_metadata(edits or {})}
                metadata.setdefault("title", Path(checked.name).stem)
                metadata.setdefault("status", "现行")
                source = f"{self.check_folder(folder, metadata)}/{checked.name}"
                self._check_target(source, checked.sha256, None, pending)
                pending.append((source, checked.sha256))
                prepared.append((checked, source, metadata))
            # Bytes are durable before any row points at them.
            blobs = [self.blobs.put(checked.data) for checked, _, _ in prepared]
            ids = []
            with self.db.transaction() as conn:
                for (checked, source, metadata), (sha, blob) in zip(prepared, blobs):
                    old = conn.execute("SELECT id FROM documents WHERE source=?", (source,)).fetchone()
                    if old is not None:  # a deleted document of that name comes back as a new version
                        doc_id = int(old[0])
                        version = conn.execute("SELECT MAX(version) FROM document_versions WHERE document_id=?",
                                               (doc_id,)).fetchone()[0] + 1
                        conn.execute("UPDATE documents SET title=?, status=?, current_version=?, updated_at=?, "
                                     "deleted_at=NULL WHERE id=?",
                                     (metadata["title"], metadata["status"], version, time.time(), doc_id))
                    else:
                        doc_id, version = self._insert_document(conn, source, metadata), 1
                    self._insert_version(conn, doc_id, version, source, sha, len(checked.data), blob, metadata, actor,
                                         checked.injection)
                    self._audit(conn, actor, "upload", doc_id, version, source=source, title=metadata["title"],
                                sha256=sha, size=len(checked.data), original_name=checked.original_name,
                                injection_flagged=len(checked.injection))
                    ids.append(doc_id)
            for doc_id in ids:
                self._materialize(self._doc_row(doc_id))
        return [self.get_document(i) for i in ids]

    def replace_document(self, doc_id: int, checked: CheckedFile, edits: dict | None, actor: str) -> dict:
        """A new version: the old one stays in the versions table and blob store, marked 已修订."""
        with self.locked():
            doc = self._doc_row(doc_id)
            old = self._version(doc_id, doc["current_version"])
            old_meta = json.loads(old["metadata"])
            if old["sha256"] == checked.sha256:
                raise AdminError(409, "same_content", "新文件与当前版本内容完全相同，无需替换", "identical to current version")
            # The previous version's metadata, overridden by what the new text says of itself, then by the admin.
            metadata = {**old_meta, **checked.metadata, "status": "现行", **clean_metadata(edits or {})}
            metadata.pop("replaced_by", None)
            folder = doc["source"].rpartition("/")[0]
            source = f"{folder}/{checked.name}" if folder else checked.name
            self._check_target(source, checked.sha256, doc_id, [])
            sha, blob = self.blobs.put(checked.data)
            with self.db.transaction() as conn:
                version = conn.execute("SELECT MAX(version) FROM document_versions WHERE document_id=?",
                                       (doc_id,)).fetchone()[0] + 1
                self._insert_version(conn, doc_id, version, source, sha, len(checked.data), blob, metadata, actor,
                                     checked.injection)
                old_meta.update(status="已修订")
                conn.execute("UPDATE document_versions SET status='已修订', replaced_by_version=?, metadata=? "
                             "WHERE document_id=? AND version=?",
                             (version, json.dumps(old_meta, ensure_ascii=False), doc_id, old["version"]))
                conn.execute("UPDATE documents SET source=?, title=?, status=?, current_version=?, updated_at=? WHERE id=?",
                             (source, metadata["title"], metadata["status"], version, time.time(), doc_id))
                self._audit(conn, actor, "replace", doc_id, version, source=source, title=metadata["title"],
                            sha256=sha, size=len(checked.data), previous_version=old["version"],
                            previous_source=doc["source"], original_name=checked.original_name,
                            injection_flagged=len(checked.injection))
            self._materialize(self._doc_row(doc_id))
        return self.get_document(doc_id)

    def update_metadata(self, doc_id: int, edits: dict, actor: str, action: str = "edit_metadata") -> dict:
        """Change the current version's metadata (title, 文号, dates, status, programs…)."""
        with self.locked():
            doc = self._doc_row(doc_id)
            ver = self._version(doc_id, doc["current_version"])
            before = json.loads(ver["metadata"])
            cleaned = clean_metadata(edits)
            after = {**before, **cleaned}
            for key in META_KEYS:  # an explicitly emptied field is removed
                if key in edits and edits[key] in ("", [], None) and key not in ("title", "status"):
                    after.pop(key, None)
            after.setdefault("title", before.get("title") or Path(doc["source"]).stem)
            changes = {k: [before.get(k), after.get(k)] for k in META_KEYS if before.get(k) != after.get(k)}
            if changes:
                with self.db.transaction() as conn:
                    conn.execute("UPDATE document_versions SET metadata=?, status=? WHERE id=?",
                                 (json.dumps(after, ensure_ascii=False), after.get("status", "现行"), ver["id"]))
                    conn.execute("UPDATE documents SET title=?, status=?, updated_at=? WHERE id=?",
                                 (after["title"], after.get("status", "现行"), time.time(), doc_id))
                    self._audit(conn, actor, action, doc_id, ver["version"], source=doc["source"], title=after["title"],
                                changes=changes)
                self._materialize(self._doc_row(doc_id))
        return self.get_document(doc_id)

    def set_status(self, doc_id: int, status: str, actor: str, note: str = "") -> dict:
        """Retire (已废止) or reinstate (现行). A retired document stays indexed so the assistant can say so."""
        if status not in STATUSES:
            raise AdminError(400, "invalid_status", "状态只能是 现行、已修订 或 已废止", "invalid status")
        edits: dict = {"status": status}
        if note:
            edits["note"] = note
        action = {"已废止": "retire", "现行": "reinstate"}.get(status, "set_status")
        return self.update_metadata(doc_id, edits, actor, action=action)

    def delete_document(self, doc_id: int, actor: str) -> dict:
        """Out of the library (and the next index); its versions and bytes are kept for the audit trail."""
        with self.locked():
            doc = self._doc_row(doc_id)
            with self.db.transaction() as conn:
                conn.execute("UPDATE documents SET deleted_at=?, updated_at=? WHERE id=?", (time.time(), time.time(), doc_id))
                self._audit(conn, actor, "delete", doc_id, doc["current_version"], source=doc["source"], title=doc["title"])
            self._materialize(self._doc_row(doc_id, live=False))
        return self.get_document(doc_id)
