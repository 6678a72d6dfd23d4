"""Admin sign-in. The operator configures a username/password and/or a static bearer token; passwords
are hashed in memory (scrypt) and compared in constant time. A sign-in yields a random session token
of which only a SHA-256 is stored (admin_sessions), expiring after settings.admin_token_ttl_s."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass

from ..db import Database
from ..settings import Settings
from .errors import AdminError

COOKIE_NAME = "qpa_admin"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Principal:
    username: str
    via: str  # "session" | "token"
    token_hash: str = ""


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _scrypt(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=2 ** 14, r=8, p=1, dklen=32)


def not_configured() -> AdminError:
    return AdminError(403, "admin_not_configured",
                      "管理功能未启用：运维人员尚未配置管理员账号（ASSISTANT_ADMIN_PASSWORD）或令牌（ASSISTANT_ADMIN_TOKEN）",
                      "no admin credentials configured")


class AdminAuth:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.db = db
        self.ttl = int(settings.admin_token_ttl_s)
        self.username = settings.admin_username or "admin"
        self._salt = os.urandom(16)
        self._password = _scrypt(settings.admin_password, self._salt) if settings.admin_password else None
        self._token = _sha256(settings.admin_token) if settings.admin_token else None
        self._max_failures = settings.login_max_failures
        self._window = settings.login_window_s
        self._failures: dict[str, deque] = {}
        self._failures_lock = threading.Lock()
        if settings.admin_password and len(settings.admin_password) < 10:
            log.warning("ASSISTANT_ADMIN_PASSWORD is short (%d characters); use at least 10",
                        len(settings.admin_password))
        if settings.admin_token and len(settings.admin_token) < 24:
            log.warning("ASSISTANT_ADMIN_TOKEN is short; use a random value of at least 24 characters")

    @property
    def configured(self) -> bool:
        return self._password is not None or self._token is not None

    def require_configured(self) -> None:
        if not self.configured:
            raise not_configured()

    # --- sign-in ---------------------------------------------------------------------------------

    def _throttle(self, client: str) -> None:
        now = time.time()
        with self._failures_lock:
            recent = self._failures.setdefault(client, deque())
            while recent and recent[0] < now - self._window:
                recent.popleft()
            if len(recent) >= self._max_failures:
                raise AdminError(429, "too_many_attempts", f"登录失败次数过多，请 {self._window // 60} 分钟后再试",
                                 "too many failed sign-ins")

    def _failed(self, client: str, username: str) -> AdminError:
        with self._failures_lock:
            self._failures.setdefault(client, deque()).append(time.time())
        self.db.audit(username[:64] or "?", "login_failed", None, None, client=client)
        return AdminError(401, "bad_credentials", "用户名或密码不正确", "invalid credentials")

    def check_password(self, username: str, password: str) -> bool:
        if self._password is None:
            return False
        # Both comparisons always run, so timing says nothing about which part was wrong.
        user_ok = hmac.compare_digest(username.encode("utf-8"), self.username.encode("utf-8"))
        pass_ok = hmac.compare_digest(_scrypt(password, self._salt), self._password)
        return user_ok and pass_ok

    def check_token(self, token: str) -> bool:
        return self._token is not None and hmac.compare_digest(_sha256(token), self._token)

    def login(self, client: str, username: str = "", password: str = "", token: str = "") -> dict:
        """A new session for valid credentials (password, or the static token). Raises AdminError."""
        self.require_configured()
        self._throttle(client)
        if token:
            if not self.check_token(token):
                raise self._failed(client, "token")
            who = "token"
        else:
            if not self.check_password(username or "", password or ""):
                raise self._failed(client, username or "")
            who = self.username
        session = secrets.token_urlsafe(32)
        now = time.time()
        self.db.execute("DELETE FROM admin_sessions WHERE expires_at < ?", (now,))
        self.db.execute("INSERT INTO admin_sessions (token_hash, username, created_at, expires_at) VALUES (?,?,?,?)",
                        (_sha256(session), who, now, now + self.ttl))
        self.db.audit(who, "login", None, None, client=client)
        return {"token": session, "username": who, "expires_at": now + self.ttl, "ttl_s": self.ttl}

    def logout(self, principal: Principal) -> None:
        if principal.via == "session":
            self.db.execute("DELETE FROM admin_sessions WHERE token_hash=?", (principal.token_hash,))
        self.db.audit(principal.username, "logout")

    # --- every admin request ---------------------------------------------------------------------

    def authenticate(self, bearer: str | None, cookie: str | None) -> Principal:
        """The admin behind a request, or AdminError 403 (admin not configured) / 401."""
        self.require_configured()
        for token in (bearer, cookie):
            if not token:
                continue
            if self.check_token(token):
                return Principal("token", "token")
            digest = _sha256(token)
            rows = self.db.query("SELECT username, expires_at FROM admin_sessions WHERE token_hash=?", (digest,))
            if rows and rows[0]["expires_at"] > time.time():
                return Principal(rows[0]["username"], "session", digest)
            if rows:
                raise AdminError(401, "session_expired", "登录已过期，请重新登录", "session expired")
        if bearer or cookie:
            raise AdminError(401, "invalid_token", "登录凭据无效，请重新登录", "invalid or unknown token")
        raise AdminError(401, "not_signed_in", "请先登录管理员账号", "authentication required")
