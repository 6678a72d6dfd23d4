"""The assistant's own durable data — documents and their versions, feedback, audit log, conversations —
in one SQLite database under the data folder, with numbered migrations."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

MIGRATIONS: list[str] = [
    # 1: initial schema
    """
    CREATE TABLE documents (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        source TEXT NOT NULL UNIQUE,          -- path relative to the managed corpus folder
        title TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT '现行',
        current_version INTEGER,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        deleted_at REAL
    );
    CREATE TABLE document_versions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        document_id INTEGER NOT NULL REFERENCES documents(id),
        version INTEGER NOT NULL,
        filename TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        blob_path TEXT NOT NULL,              -- relative to the data folder
        metadata TEXT NOT NULL DEFAULT '{}',  -- JSON: title, doc_number, issuer, dates, status, region, programs
        status TEXT NOT NULL DEFAULT '现行',
        replaced_by_version INTEGER,
        created_by TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        UNIQUE (document_id, version)
    );
    CREATE TABLE feedback (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        conversation_id TEXT,
        message_id TEXT,
        question TEXT NOT NULL DEFAULT '',
        answer TEXT NOT NULL DEFAULT '',
        rating TEXT NOT NULL,                 -- helpful | not_helpful | correction
        comment TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL
    );
    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at REAL NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        document_id INTEGER,
        version INTEGER,
        detail TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        question TEXT NOT NULL,
        answer_json TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
    CREATE TABLE index_jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        started_at REAL NOT NULL,
        finished_at REAL,
        state TEXT NOT NULL,                  -- running | done | failed | interrupted
        actor TEXT NOT NULL DEFAULT '',
        report TEXT NOT NULL DEFAULT '{}',
        eval TEXT NOT NULL DEFAULT '{}'
    );
    """,
    # 2: admin sign-in sessions (only a hash of each token is stored) and small key/value state
    """
    CREATE TABLE admin_sessions (
        token_hash TEXT PRIMARY KEY,          -- sha256 of the session token
        username TEXT NOT NULL,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL
    );
    CREATE INDEX admin_sessions_by_expiry ON admin_sessions(expires_at);
    CREATE TABLE kv (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE INDEX audit_log_by_time ON audit_log(at);
    CREATE INDEX document_versions_by_document ON document_versions(document_id, version);
    """,
    # (issue 11) prompt injection flagged at upload: JSON list of {kind, label, text} per version, and who
    # confirmed that the flagged text may stay (the composer never leads with it either way)
    """
    ALTER TABLE document_versions ADD COLUMN injection TEXT;
    ALTER TABLE document_versions ADD COLUMN injection_confirmed_by TEXT;
    ALTER TABLE document_versions ADD COLUMN injection_confirmed_at REAL;
    """,
]


class Database:
    """A thin, thread-safe wrapper: one connection, WAL journal, foreign keys on, migrations applied."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self.migrate()

    def migrate(self) -> int:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in script.split(";"):
                    if statement.strip():
                        self._conn.execute(statement)
                self._conn.execute(f"PRAGMA user_version={number}")
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return len(MIGRATIONS)

    def execute(self, sql: str, params: tuple | list | dict = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._conn.execute(sql, params)

    def query(self, sql: str, params: tuple | list | dict = ()) -> list[dict]:
        with self._lock:
            return [dict(r) for r in self._conn.execute(sql, params).fetchall()]

    def transaction(self) -> "_Transaction":
        return _Transaction(self)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # --- small shared helpers ---------------------------------------------------------------------

    def audit(self, actor: str, action: str, document_id: int | None = None, version: int | None = None,
              **detail) -> None:
        self.execute("INSERT INTO audit_log (at, actor, action, document_id, version, detail) VALUES (?,?,?,?,?,?)",
                     (time.time(), actor, action, document_id, version, json.dumps(detail, ensure_ascii=False)))


class _Transaction:
    def __init__(self, db: Database) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db._lock.acquire()
        self.db._conn.execute("BEGIN IMMEDIATE")
        return self.db._conn

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.db._conn.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.db._lock.release()


def open_database(data_dir: Path) -> Database:
    return Database(data_dir / "assistant.sqlite3")
