"""Only admins reach /api/admin/* and the admin page; enterprise users keep the chat without signing in."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.admin.auth import COOKIE_NAME
from assistant.server.app import create_app
from assistant.server.routes_admin import api

from .conftest import ADMIN_PASSWORD, ADMIN_TOKEN, ADMIN_USER


def admin_routes() -> list[tuple[str, str]]:
    """Every (method, path) of the admin API, path parameters filled in: new routes are covered automatically."""
    out = []
    for route in api.routes:
        path = route.path.replace("{doc_id}", "1").replace("{version}", "1").replace("{job_id}", "1")
        for method in sorted(route.methods - {"HEAD"}):
            out.append((method, path))
    out.append(("GET", "/admin"))
    return out


ROUTES = admin_routes()


def call(client: TestClient, method: str, path: str, **kwargs):
    if method in ("POST", "PATCH") and "files" not in kwargs and "json" not in kwargs:
        kwargs["json"] = {}
    return client.request(method, path, **kwargs)


def test_every_admin_route_is_listed():
    paths = {p for _, p in ROUTES}
    assert {"/api/admin/documents", "/api/admin/documents/1/replace", "/api/admin/index/jobs",
            "/api/admin/index/jobs/current", "/api/admin/audit", "/api/admin/uploads/inspect", "/admin"} <= paths
    assert len(ROUTES) >= 17


@pytest.mark.parametrize("method,path", ROUTES)
def test_anonymous_is_refused(app_client, method, path):
    r = call(app_client, method, path)
    assert r.status_code == 401, (method, path, r.text[:200])
    if path.startswith("/api/"):
        error = r.json()["error"]
        assert error["code"] == "not_signed_in" and "登录" in error["message"]


def test_bad_and_expired_credentials_are_refused(app_client, admin_settings):
    paths = [(m, p) for m, p in ROUTES if p.startswith("/api/")]
    for method, path in paths:
        r = call(app_client, method, path, headers={"Authorization": "Bearer not-a-real-token"})
        assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_token", (method, path)
    # A session that has expired is refused (and says so).
    token = app_client.post("/api/admin/login", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD}).json()["token"]
    app_client.cookies.clear()
    db = app_client.app.state.db
    db.execute("UPDATE admin_sessions SET expires_at=?", (time.time() - 1,))
    for method, path in paths:
        r = call(app_client, method, path, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401 and r.json()["error"]["code"] == "session_expired", (method, path)
    app_client.cookies.set(COOKIE_NAME, token)
    assert app_client.get("/admin").status_code == 401


def test_admin_not_configured_refuses_everything(admin_settings):
    settings = admin_settings.model_copy(update={"admin_password": "", "admin_token": ""})
    with TestClient(create_app(settings)) as client:
        for method, path in ROUTES:
            r = call(client, method, path, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
            assert r.status_code == 403, (method, path)
            if path.startswith("/api/"):
                assert r.json()["error"]["code"] == "admin_not_configured"
                assert "未启用" in r.json()["error"]["message"]
        r = client.post("/api/admin/login", json={"username": "admin", "password": ""})
        assert r.status_code == 403 and r.json()["error"]["code"] == "admin_not_configured"
        # The chat is unaffected.
        assert client.post("/api/search", json={"query": "区长质量奖奖励多少"}).status_code == 200


def test_password_sign_in_cookie_session_and_logout(app_client):
    r = app_client.post("/api/admin/login", json={"username": ADMIN_USER, "password": "wrong"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "bad_credentials"
    r = app_client.post("/api/admin/login", json={"username": "root", "password": ADMIN_PASSWORD})
    assert r.status_code == 401
    r = app_client.post("/api/admin/login", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD})
    assert r.status_code == 200
    cookie = r.headers["set-cookie"]
    assert f"{COOKIE_NAME}=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert app_client.get("/admin").status_code == 200  # the page, with the cookie
    me = app_client.get("/api/admin/me")
    assert me.status_code == 200 and me.json()["username"] == ADMIN_USER and me.json()["via"] == "session"
    assert me.json()["index"]["stale_lexicon"] is False  # built with this version's dictionary
    failed = app_client.app.state.db.query("SELECT actor FROM audit_log WHERE action='login_failed' ORDER BY id")
    assert [row["actor"] for row in failed] == [ADMIN_USER, "root"]  # failed sign-ins are on record too
    # Only a hash of the session token is stored.
    token = r.json()["token"]
    rows = app_client.app.state.db.query("SELECT token_hash FROM admin_sessions")
    assert rows and all(token not in row["token_hash"] for row in rows)
    # A cookie-authenticated change needs the session's anti-CSRF token (the admin page sends it).
    assert app_client.post("/api/admin/logout").status_code == 403
    assert app_client.post("/api/admin/logout", headers={"X-CSRF-Token": r.json()["csrf_token"]}).status_code == 200
    app_client.cookies.set(COOKIE_NAME, token)
    assert app_client.get("/api/admin/me").status_code == 401
    app_client.cookies.clear()
    assert app_client.get("/api/admin/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_static_token_and_token_sign_in(app_client):
    r = app_client.get("/api/admin/me", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert r.status_code == 200 and r.json()["via"] == "token"
    r = app_client.post("/api/admin/login", json={"token": ADMIN_TOKEN})
    assert r.status_code == 200
    assert app_client.get("/api/admin/me").status_code == 200  # the cookie it set
    r = app_client.post("/api/admin/login", json={"token": ADMIN_TOKEN + "x"})
    assert r.status_code == 401


def test_repeated_failures_are_throttled(app_client):
    for _ in range(10):
        assert app_client.post("/api/admin/login", json={"username": ADMIN_USER, "password": "nope"}).status_code == 401
    r = app_client.post("/api/admin/login", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD})
    assert r.status_code == 429 and r.json()["error"]["code"] == "too_many_attempts"


def test_anonymous_upload_is_refused_before_it_is_read(app_client, admin_settings):
    r = app_client.post("/api/admin/documents", files={"files": ("x.md", b"# x\n\n" + b"a" * 100_000, "text/markdown")})
    assert r.status_code == 401
    assert not list(Path(admin_settings.data_dir, "library").rglob("x.md"))


def test_cookie_changes_from_another_origin_are_refused(app_client):
    app_client.post("/api/admin/login", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD})
    r = app_client.post("/api/admin/index/jobs", headers={"Origin": "https://evil.example"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "cross_origin"


def test_chat_needs_no_sign_in(app_client):
    assert app_client.get("/readyz").status_code == 200
    r = app_client.post("/api/chat", json={"message": "区长质量奖的奖励标准是多少？", "stream": False})
    assert r.status_code == 200 and r.json()["citations"]


def test_sign_in_is_documented_in_the_openapi_schema(app_client):
    schema = app_client.get("/openapi.json").json()
    login = schema["paths"]["/api/admin/login"]["post"]
    body = login["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][body]["properties"]) == {"username", "password", "token"}
    assert {"200", "401"} <= set(login["responses"])
    assert "/admin" not in schema["paths"]  # the page itself stays out of the API schema
