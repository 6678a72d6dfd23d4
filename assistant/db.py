"""The assistant's own durable data — documents and their versions, feedback, audit log, conversations —
in one SQLite database under the data folder, with numbered migrations."""

from __future__ import annotations

import json
import os
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
    # 3 (issue 11, i11a): sessions bound to the credential that created them; login throttle per
    # (client, username) shared by every worker; re-index job state shared by every worker.
    """
    ALTER TABLE admin_sessions ADD COLUMN credential TEXT NOT NULL DEFAULT '';
    CREATE TABLE login_failures (
        client TEXT NOT NULL,
        username TEXT NOT NULL,
        failures INTEGER NOT NULL,
        last_at REAL NOT NULL,
        PRIMARY KEY (client, username)
    );
    ALTER TABLE index_jobs ADD COLUMN progress TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE index_jobs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
    ALTER TABLE index_jobs ADD COLUMN heartbeat_at REAL;
    ALTER TABLE index_jobs ADD COLUMN rerun_by TEXT;
    UPDATE index_jobs SET state='interrupted', finished_at=started_at WHERE state='running';
    CREATE UNIQUE INDEX index_jobs_one_running ON index_jobs(state) WHERE state='running';
    """,
    # 4 (issue 10): eligibility rules per document version and admins' corrections of them (assistant/eligibility)
    """
    CREATE TABLE eligibility_rules (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        doc_id TEXT NOT NULL,
        content_hash TEXT NOT NULL,           -- the document version the rule was extracted from
        rule_key TEXT NOT NULL,               -- doc_id + hash of the quoted clause
        program TEXT NOT NULL,
        article_hash TEXT NOT NULL,           -- hash of the article holding the clause
        rule TEXT NOT NULL,                   -- JSON: field, operator, value, unit, window, kind, span
        build_id TEXT NOT NULL DEFAULT '',
        extracted_at REAL NOT NULL,
        UNIQUE (doc_id, content_hash, rule_key)
    );
    CREATE TABLE eligibility_corrections (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        doc_id TEXT NOT NULL,
        rule_key TEXT NOT NULL,
        article_hash TEXT NOT NULL,           -- the article as it read when corrected
        changes TEXT NOT NULL,                -- JSON: the corrected field, operator, value, unit, window, kind
        note TEXT NOT NULL DEFAULT '',
        actor TEXT NOT NULL,
        at REAL NOT NULL,
        active INTEGER NOT NULL DEFAULT 1,
        flagged_at REAL,                      -- set when a re-index finds the article changed
        UNIQUE (doc_id, rule_key)
    );
    """,
    # 5 (issue 11, i11b): prompt injection flagged at upload: JSON list of {kind, label, text} per version, and who
    # confirmed that the flagged text may stay (the composer never leads with it either way)
    """
    ALTER TABLE document_versions ADD COLUMN injection TEXT;
    ALTER TABLE document_versions ADD COLUMN injection_confirmed_by TEXT;
    ALTER TABLE document_versions ADD COLUMN injection_confirmed_at REAL;
    """,
]

# Stored data is readable by the service's own user only (issue 11).
DATA_DIR_MODE = 0o700
DATA_FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create (or tighten) a folder that only the owner may enter."""
    path.mkdir(parents=True, exist_ok=True, mode=DATA_DIR_MODE)
    if path.stat().st_mode & 0o077:
        path.chmod(DATA_DIR_MODE)
    return path


class Database:
    """A thin, thread-safe wrapper: one connection, WAL journal, foreign keys on, migrations applied."""

    def __init__(self, path: Path) -> None:
        private_dir(path.parent)
        self.path = path
        # Created 0600 before SQLite opens it; SQLite gives its -wal/-shm files the same mode.
        os.close(os.open(path, os.O_CREAT | os.O_RDWR, DATA_FILE_MODE))
        if path.stat().st_mode & 0o077:
            path.chmod(DATA_FILE_MODE)
        self._conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self.migrate()

    def migrate(self) -> int:
        while True:
            self._conn.execute("BEGIN IMMEDIATE")
            # Read under the write lock: several workers opening the database at once migrate it once.
            number = self._conn.execute("PRAGMA user_version").fetchone()[0] + 1
            if number > len(MIGRATIONS):
                self._conn.execute("COMMIT")
                break
            script = MIGRATIONS[number - 1]
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
