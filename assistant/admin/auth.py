"""Admin sign-in. The operator configures a username/password and/or a static bearer token; passwords
are hashed (scrypt) and compared in constant time. A sign-in yields a random session token of which only a
SHA-256 is stored (admin_sessions), expiring after settings.admin_token_ttl_s.

Everything is in the database, so several workers act as one service (issue 11):
- each session carries a fingerprint of the credential that created it; once the operator changes the
  password or the token, older sessions stop working (and are deleted at the next start);
- failed sign-ins are throttled per (client, username) with growing delays, so an attacker elsewhere
  cannot lock the admin out;
- a cookie session changes nothing without its anti-CSRF token (derived from the session secret, sent by
  the admin page in a header) and a same-origin request (check_csrf)."""

from __future__ import annotations

import hashlib
import hmac
import math
import logging
import os
import secrets
import time
from dataclasses import dataclass

from ..db import Database
from ..settings import Settings
from .errors import AdminError

COOKIE_NAME = "qpa_admin"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Principal:
    username: str
    via: str  # "session" | "token"
    token_hash: str = ""
    cookie: str = ""  # the cookie that authenticated this request ("" for a bearer header): CSRF applies


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _scrypt(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=2 ** 14, r=8, p=1, dklen=32)


def csrf_token(session_token: str) -> str:
    """The anti-CSRF token of a session: only someone who holds the session secret (the admin page got it
    from the sign-in or /me response, which other origins cannot read) can compute it."""
    return hmac.new(session_token.encode("utf-8"), b"qpa-admin-csrf", hashlib.sha256).hexdigest()


def cross_origin(message_detail: str) -> AdminError:
    return AdminError(403, "cross_origin", "请求来源不被允许", message_detail)


def check_origin(headers, host: str) -> None:
    """Refuse a browser request that says it comes from elsewhere: Sec-Fetch-Site other than same-origin
    (a sibling port or subdomain is "same-site", not same-origin), an Origin of another host, or the opaque
    Origin "null" that redirects and sandboxed frames produce. Scripts send neither header."""
    site = headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise cross_origin(f"Sec-Fetch-Site: {site}")
    origin = headers.get("origin")
    if origin is not None:
        if origin == "null":
            raise cross_origin("Origin: null")
        netloc = origin.split("://", 1)[-1].rstrip("/")
        if netloc != host:
            raise cross_origin("cross-origin request with admin cookie")


def check_csrf(principal: Principal, method: str, headers, host: str) -> None:
    """A state-changing request authenticated by the cookie must come from the admin page itself."""
    if not principal.cookie or method.upper() in SAFE_METHODS:
        return
    check_origin(headers, host)
    sent = headers.get(CSRF_HEADER.lower(), "")
    if not sent or not hmac.compare_digest(sent.encode("utf-8", "replace"), csrf_token(principal.cookie).encode()):
        raise AdminError(403, "csrf_token_invalid", "页面已过期或请求来源不明，请刷新管理页面后重试",
                         "missing or wrong X-CSRF-Token for a cookie-authenticated change")


def not_configured() -> AdminError:
    return AdminError(403, "admin_not_configured",
                      "管理功能未启用：运维人员尚未配置管理员账号（ASSISTANT_ADMIN_PASSWORD）或令牌（ASSISTANT_ADMIN_TOKEN）",
                      "no admin credentials configured")


def _install_salt(db: Database) -> bytes:
    """A random salt kept in the database, the same for every worker and across restarts."""
    db.execute("INSERT OR IGNORE INTO kv (key, value) VALUES ('admin_credential_salt', ?)", (secrets.token_hex(16),))
    return bytes.fromhex(db.query("SELECT value FROM kv WHERE key='admin_credential_salt'")[0]["value"])


class AdminAuth:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.db = db
        self.ttl = int(settings.admin_token_ttl_s)
        self.username = settings.admin_username or "admin"
        self._salt = _install_salt(db)
        self._password = _scrypt(settings.admin_password, self._salt) if settings.admin_password else None
        self._token = _sha256(settings.admin_token) if settings.admin_token else None
        # What a session remembers of the credential that created it (never the credential itself).
        self._fingerprints = {
            "password": self._fingerprint("password", self.username.encode("utf-8") + b"\0" + self._password)
            if self._password else None,
            "token": self._fingerprint("token", self._token.encode()) if self._token else None,
        }
        self._max_failures = max(1, settings.login_max_failures)
        self._window = settings.login_window_s
        self._delay = max(0.0, settings.login_delay_s)
        self._max_delay = max(self._delay, settings.login_max_delay_s)
        if settings.admin_password and len(settings.admin_password) < 10:
            log.warning("ASSISTANT_ADMIN_PASSWORD is short (%d characters); use at least 10",
                        len(settings.admin_password))
        if settings.admin_token and len(settings.admin_token) < 24:
            log.warning("ASSISTANT_ADMIN_TOKEN is short; use a random value of at least 24 characters")

    def _fingerprint(self, kind: str, material: bytes) -> str:
        return kind + ":" + hmac.new(self._salt, kind.encode() + b"\0" + material, hashlib.sha256).hexdigest()

    @property
    def configured(self) -> bool:
        return self._password is not None or self._token is not None

    def require_configured(self) -> None:
        if not self.configured:
            raise not_configured()

    def end_stale_sessions(self) -> int:
        """At start-up: sessions created with a password or token that is no longer configured end now."""
        valid = [fp for fp in self._fingerprints.values() if fp]
        marks = ",".join("?" * len(valid))
        cur = self.db.execute(f"DELETE FROM admin_sessions WHERE credential NOT IN ({marks})" if valid
                              else "DELETE FROM admin_sessions", valid)
        if cur.rowcount:
            self.db.audit("system", "sessions_ended", None, None, count=cur.rowcount, reason="credentials changed")
        return cur.rowcount

    # --- sign-in throttle (per client and username, shared by every worker) -----------------------

    def delay_after(self, failures: int) -> float:
        """Seconds to wait after `failures` consecutive failures: none for the first few, then doubling."""
        if failures < self._max_failures:
            return 0.0
        return min(self._max_delay, self._delay * 2 ** min(failures - self._max_failures, 32))

    def _reserve(self, client: str, username: str) -> None:
        """Refuse (429) while this (client, username) must still wait; otherwise count the attempt as a
        failure before the password is even checked (a success clears it), in one transaction, so a
        burst of parallel attempts cannot all slip through before the first failure is recorded."""
        now = time.time()
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM login_failures WHERE last_at < ?", (now - self._window,))
            row = conn.execute("SELECT failures, last_at FROM login_failures WHERE client=? AND username=?",
                               (client, username)).fetchone()
            if row is not None:
                wait = row["last_at"] + self.delay_after(row["failures"]) - now
                if wait > 0:
                    retry = max(1, math.ceil(wait))
                    minutes = f"{math.ceil(retry / 60)} 分钟" if retry >= 60 else f"{retry} 秒"
                    raise AdminError(429, "too_many_attempts", f"登录失败次数过多，请 {minutes}后再试",
                                     "too many failed sign-ins", {"retry_after": retry})
            conn.execute("INSERT INTO login_failures (client, username, failures, last_at) VALUES (?,?,1,?) "
                         "ON CONFLICT (client, username) DO UPDATE SET failures=failures+1, last_at=excluded.last_at",
                         (client, username, now))

    def _failed(self, client: str, typed: str) -> AdminError:
        self.db.audit(typed[:64] or "?", "login_failed", None, None, client=client)
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
        # Unknown usernames share one bucket per client: rows stay bounded whatever names a bot tries.
        known = hmac.compare_digest((username or "").encode("utf-8"), self.username.encode("utf-8"))
        throttle_name = "token" if token else (self.username if known else "?")
        self._reserve(client, throttle_name)
        if token:
            if not self.check_token(token):
                raise self._failed(client, "token")
            who, kind = "token", "token"
        else:
            if not self.check_password(username or "", password or ""):
                raise self._failed(client, username or "")
            who, kind = self.username, "password"
        self.db.execute("DELETE FROM login_failures WHERE client=? AND username=?", (client, throttle_name))
        session = secrets.token_urlsafe(32)
        now = time.time()
        self.db.execute("DELETE FROM admin_sessions WHERE expires_at < ?", (now,))
        self.db.execute("INSERT INTO admin_sessions (token_hash, username, created_at, expires_at, credential) "
                        "VALUES (?,?,?,?,?)", (_sha256(session), who, now, now + self.ttl, self._fingerprints[kind]))
        self.db.audit(who, "login", None, None, client=client)
        return {"token": session, "username": who, "expires_at": now + self.ttl, "ttl_s": self.ttl,
                "csrf_token": csrf_token(session)}

    def logout(self, principal: Principal) -> None:
        if principal.via == "session":
            self.db.execute("DELETE FROM admin_sessions WHERE token_hash=?", (principal.token_hash,))
        self.db.audit(principal.username, "logout")

    def logout_everywhere(self, principal: Principal) -> int:
        """End every admin session (all browsers, all workers). The static token stays valid: it is
        configuration, changed by the operator."""
        cur = self.db.execute("DELETE FROM admin_sessions")
        self.db.audit(principal.username, "logout_all", None, None, count=cur.rowcount)
        return cur.rowcount

    # --- every admin request ---------------------------------------------------------------------

    def _session(self, token: str) -> Principal | None:
        if self.check_token(token):
            return Principal("token", "token")
        digest = _sha256(token)
        rows = self.db.query("SELECT username, expires_at, credential FROM admin_sessions WHERE token_hash=?",
                             (digest,))
        if not rows or rows[0]["credential"] not in [fp for fp in self._fingerprints.values() if fp]:
            return None  # unknown, signed out, or created with a credential that has since changed
        if rows[0]["expires_at"] <= time.time():
            raise AdminError(401, "session_expired", "登录已过期，请重新登录", "session expired")
        return Principal(rows[0]["username"], "session", digest)

    def authenticate(self, bearer: str | None, cookie: str | None) -> Principal:
        """The admin behind a request, or AdminError 403 (admin not configured) / 401. A bearer header, when
        present, is the only credential looked at (scripts); otherwise the cookie (the admin page)."""
        self.require_configured()
        if bearer:
            principal = self._session(bearer)
        elif cookie:
            principal = self._session(cookie)
            if principal is not None:
                principal = Principal(principal.username, principal.via, principal.token_hash, cookie)
        else:
            raise AdminError(401, "not_signed_in", "请先登录管理员账号", "authentication required")
        if principal is None:
            raise AdminError(401, "invalid_token", "登录凭据无效，请重新登录", "invalid or unknown token")
        return principal
