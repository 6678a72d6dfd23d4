"""Server-side conversations for follow-up questions, kept in the database and bounded three ways:
turns per conversation, idle age, and the number of conversations."""

from __future__ import annotations

import time
import uuid

from ..db import Database
from ..models import Answer
from ..settings import Settings
from .errors import ApiError, check_id

PRUNE_EVERY_S = 30.0  # pruning scans the table; once in a while is enough


class ConversationStore:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.max_turns = max(1, settings.conversation_max_turns)
        self.ttl_s = settings.conversation_ttl_s
        self.max_count = max(1, settings.conversation_max_count)
        self._last_prune = 0.0

    # --- lifecycle -------------------------------------------------------------------------------

    def create(self) -> str:
        self.prune()
        conversation_id = uuid.uuid4().hex
        now = time.time()
        self.db.execute("INSERT INTO conversations (id, created_at, updated_at) VALUES (?,?,?)",
                        (conversation_id, now, now))
        return conversation_id

    def exists(self, conversation_id: str) -> bool:
        rows = self.db.query("SELECT updated_at FROM conversations WHERE id = ?", (conversation_id,))
        return bool(rows) and rows[0]["updated_at"] >= time.time() - self.ttl_s

    def open(self, conversation_id: str | None) -> str:
        """The id to use for this turn: a new conversation when none was given; 404 for an unknown or
        expired one, so that a client never silently loses the context it thinks it has."""
        if not conversation_id:
            return self.create()
        check_id(conversation_id, "conversation_id")
        if not self.exists(conversation_id):
            raise ApiError(404, "conversation_not_found", "会话不存在或已过期，请开始新的对话",
                           f"conversation {conversation_id} not found or expired")
        return conversation_id

    def prune(self, force: bool = False) -> None:
        now = time.time()
        if not force and now - self._last_prune < PRUNE_EVERY_S:
            return
        self._last_prune = now
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM messages WHERE conversation_id IN "
                         "(SELECT id FROM conversations WHERE updated_at < ?)", (now - self.ttl_s,))
            conn.execute("DELETE FROM conversations WHERE updated_at < ?", (now - self.ttl_s,))
            # Room for one more: the oldest go first.
            excess = conn.execute("SELECT COUNT(*) FROM conversations").fetchone()[0] - self.max_count + 1
            if excess > 0:
                old = "SELECT id FROM conversations ORDER BY updated_at LIMIT ?"
                conn.execute(f"DELETE FROM messages WHERE conversation_id IN ({old})", (excess,))
                conn.execute(f"DELETE FROM conversations WHERE id IN ({old})", (excess,))

    # --- turns -----------------------------------------------------------------------------------

    def history(self, conversation_id: str, turns: int) -> list[tuple[str, Answer]]:
        rows = self.db.query("SELECT question, answer_json FROM messages WHERE conversation_id = ? "
                             "ORDER BY id DESC LIMIT ?", (conversation_id, max(0, turns)))
        out = []
        for row in reversed(rows):
            try:
                out.append((row["question"], Answer.model_validate_json(row["answer_json"])))
            except ValueError:  # a row written by an older Answer shape: skip it rather than fail the turn
                continue
        return out

    def append(self, conversation_id: str, question: str, answer: Answer) -> str:
        now = time.time()
        with self.db.transaction() as conn:
            # The conversation may have been pruned while the answer was being composed.
            conn.execute("INSERT OR IGNORE INTO conversations (id, created_at, updated_at) VALUES (?,?,?)",
                         (conversation_id, now, now))
            cur = conn.execute("INSERT INTO messages (conversation_id, question, answer_json, created_at) "
                               "VALUES (?,?,?,?)", (conversation_id, question, answer.model_dump_json(), now))
            message_id = cur.lastrowid
            conn.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conversation_id))
            conn.execute("DELETE FROM messages WHERE conversation_id = ? AND id NOT IN "
                         "(SELECT id FROM messages WHERE conversation_id = ? ORDER BY id DESC LIMIT ?)",
                         (conversation_id, conversation_id, self.max_turns))
        return str(message_id)

    def message(self, conversation_id: str, message_id: str) -> dict | None:
        try:
            mid = int(message_id)
        except (TypeError, ValueError):
            return None
        rows = self.db.query("SELECT question, answer_json FROM messages WHERE id = ? AND conversation_id = ?",
                             (mid, conversation_id))
        return rows[0] if rows else None

    def turns(self, conversation_id: str) -> list[dict]:
        """The stored turns, oldest first, for a page that reopens a conversation."""
        rows = self.db.query("SELECT id, question, answer_json, created_at FROM messages WHERE conversation_id = ? "
                             "ORDER BY id", (conversation_id,))
        out = []
        for r in rows:
            try:
                answer = Answer.model_validate_json(r["answer_json"])
            except ValueError:
                continue
            out.append({"message_id": str(r["id"]), "question": r["question"], "answer": answer,
                        "created_at": r["created_at"]})
        return out


def get_store(app) -> ConversationStore:
    store = getattr(app.state, "conversations", None)
    if store is None:
        store = app.state.conversations = ConversationStore(app.state.db, app.state.settings)
    return store
