"""Issue 11 (i11a): cookie changes need the page's anti-CSRF token and a same-origin request; sessions end
when the credential that created them changes, or on "sign out everywhere"; the sign-in throttle is per
(client, username) with growing delays; stored data is owner-only."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.admin.auth import COOKIE_NAME, AdminAuth
from assistant.db import open_database
from assistant.server.app import create_app

from .conftest import ADMIN_PASSWORD, ADMIN_TOKEN, ADMIN_USER, IP_DOC
from .test_auth import ROUTES, call


def sign_in(client: TestClient, **credentials) -> dict:
    r = client.post("/api/admin/login", json=credentials or {"username": ADMIN_USER, "password": ADMIN_PASSWORD})
    assert r.status_code == 200, r.text
    return r.json()


def ip_doc_id(client: TestClient) -> int:
    docs = client.get("/api/admin/documents", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).json()["documents"]
    return next(d["id"] for d in docs if d["source"] == IP_DOC)


# --- 1. CSRF -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("method,path", [(m, p) for m, p in ROUTES if m not in ("GET", "HEAD") and p.startswith("/api/")])
def test_every_cookie_change_needs_the_csrf_token(app_client, method, path):
    """Every state-changing admin route (new ones too: the check is in the shared route class)."""
    session = sign_in(app_client)
    r = call(app_client, method, path)
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_token_invalid", (method, path, r.text[:200])
    token = session["csrf_token"]
    r = call(app_client, method, path, headers={"X-CSRF-Token": token[:-1] + ("1" if token[-1] == "0" else "0")})
    assert r.status_code == 403, (method, path)
    r = call(app_client, method, path, headers={"X-CSRF-Token": session["csrf_token"], "Origin": "null"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "cross_origin", (method, path)


def test_csrf_token_origin_and_fetch_site(app_client, admin_settings):
    session = sign_in(app_client)
    assert app_client.get("/api/admin/me").json()["csrf_token"] == session["csrf_token"]  # how the page gets it
    doc_id = ip_doc_id(app_client)
    good = {"X-CSRF-Token": session["csrf_token"]}
    path = f"/api/admin/documents/{doc_id}"
    for bad in ({"Sec-Fetch-Site": "same-site"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"},
                {"Origin": "http://127.0.0.1:9001"}):
        r = app_client.patch(path, json={"note": "x"}, headers={**good, **bad})
        assert r.status_code == 403 and r.json()["error"]["code"] == "cross_origin", bad
    # From the admin page itself: same origin, the token in the header.
    r = app_client.patch(path, json={"note": "来自管理页面"},
                         headers={**good, "Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"})
    assert r.status_code == 200, r.text
    # Another session's token does not fit this one.
    other = TestClient(app_client.app)
    other_session = sign_in(other)
    r = app_client.patch(path, json={"note": "x"}, headers={"X-CSRF-Token": other_session["csrf_token"]})
    assert r.status_code == 403
    # A browser may not sign in from elsewhere either (no login CSRF); scripts send no Origin.
    r = app_client.post("/api/admin/login", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD},
                        headers={"Origin": "null"})
    assert r.status_code == 403


def test_bearer_scripts_need_no_csrf_token_and_do_not_fall_back_to_the_cookie(app_client):
    sign_in(app_client)  # the cookie is set too
    r = app_client.post("/api/admin/documents/%d/retire" % ip_doc_id(app_client),
                        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, json={"note": "脚本"})
    assert r.status_code == 200, r.text
    # A wrong bearer is refused even with a valid cookie beside it.
    r = app_client.post("/api/admin/index/jobs", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401


# --- 5. sessions bound to the credential; sign out everywhere -----------------------------------------

def test_changing_the_password_or_token_ends_older_sessions(admin_settings):
    with TestClient(create_app(admin_settings)) as client:
        by_password = sign_in(client)["token"]
        by_token = sign_in(client, token=ADMIN_TOKEN)["token"]

    def works(settings, token) -> int:
        with TestClient(create_app(settings)) as c:
            return c.get("/api/admin/me", headers={"Authorization": f"Bearer {token}"}).status_code

    # Same credentials after a restart: both sessions still work.
    assert works(admin_settings, by_password) == 200 and works(admin_settings, by_token) == 200
    # New password: the password session ends (at start-up, deleted), the token one stays.
    new_password = admin_settings.model_copy(update={"admin_password": ADMIN_PASSWORD + "-新"})
    assert works(new_password, by_password) == 401
    assert works(new_password, by_token) == 200
    db = open_database(Path(admin_settings.data_dir))
    try:
        assert db.query("SELECT COUNT(*) AS n FROM admin_sessions")[0]["n"] == 1
        assert db.query("SELECT detail FROM audit_log WHERE action='sessions_ended'")
    finally:
        db.close()
    # New token: the token session ends too.
    new_token = new_password.model_copy(update={"admin_token": ADMIN_TOKEN + "-rotated-0b9e"})
    assert works(new_token, by_token) == 401


def test_a_running_worker_refuses_sessions_of_a_changed_credential(admin_settings):
    """Two workers (apps) on one database: one still has the old password; its sessions stop on the other."""
    old = create_app(admin_settings)
    new = create_app(admin_settings.model_copy(update={"admin_password": "另一个-Passw0rd-2"}))
    with TestClient(old) as a, TestClient(new) as b:
        token = sign_in(a)["token"]
        assert b.get("/api/admin/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        assert a.get("/api/admin/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_sign_out_everywhere(app_client):
    first = sign_in(app_client)
    second = TestClient(app_client.app)
    second_token = sign_in(second)["token"]
    script = sign_in(TestClient(app_client.app), token=ADMIN_TOKEN)["token"]
    r = app_client.post("/api/admin/logout-everywhere", headers={"X-CSRF-Token": first["csrf_token"]})
    assert r.status_code == 200 and r.json()["ended"] == 3
    assert COOKIE_NAME in r.headers.get("set-cookie", "")  # this browser's cookie is cleared too
    for token in (first["token"], second_token, script):
        assert app_client.get("/api/admin/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    # The static token is configuration: it keeps working until the operator changes it.
    assert app_client.get("/api/admin/me", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).status_code == 200
    actions = [r["action"] for r in app_client.app.state.db.query("SELECT action FROM audit_log ORDER BY id")]
    assert "logout_all" in actions


# --- 4. throttle per (client, username), growing delays ------------------------------------------------

def test_attacker_elsewhere_cannot_lock_the_admin_out(app_client):
    for _ in range(10):
        r = app_client.post("/api/admin/login", json={"username": ADMIN_USER, "password": "guess"})
        assert r.status_code == 401
    r = app_client.post("/api/admin/login", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1  # this client (TestClient's address)
    auth: AdminAuth = app_client.app.state.admin.auth
    # The admin at another address signs in at once, and the attacker's own tries do not count against them.
    assert auth.login("10.0.0.7", username=ADMIN_USER, password=ADMIN_PASSWORD)["username"] == ADMIN_USER
    # Another username from the attacker's address is throttled separately (it has no failures yet).
    with pytest.raises(Exception) as exc:
        auth.login("testclient", username="root", password="x")
    assert exc.value.status == 401
    # Whatever names a bot tries, unknown usernames share one bucket per client (the table stays small).
    for n in range(5):
        with pytest.raises(Exception):
            auth.login("10.0.0.9", username=f"user{n}", password="x")
    rows = app_client.app.state.db.query("SELECT username, failures FROM login_failures WHERE client='10.0.0.9'")
    assert rows == [{"username": "?", "failures": 5}]


def test_a_burst_of_parallel_guesses_gets_no_more_tries(app_client):
    from concurrent.futures import ThreadPoolExecutor

    auth: AdminAuth = app_client.app.state.admin.auth

    def guess(n: int) -> int:
        try:
            auth.login("192.0.2.5", username=ADMIN_USER, password=f"guess-{n}")
        except Exception as exc:
            return exc.status
        return 200

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(guess, range(30)))
    assert statuses.count(401) == 10 and statuses.count(429) == 20, statuses


def test_delays_grow_and_a_success_clears_them(admin_settings):
    settings = admin_settings.model_copy(update={"login_max_failures": 2, "login_delay_s": 0.3, "login_max_delay_s": 5})
    with TestClient(create_app(settings)) as client:
        auth: AdminAuth = client.app.state.admin.auth
        assert [auth.delay_after(n) for n in range(6)] == [0, 0, 0.3, 0.6, 1.2, 2.4]
        assert auth.delay_after(50) == 5

        def attempt(password: str) -> int:
            return client.post("/api/admin/login", json={"username": ADMIN_USER, "password": password}).status_code

        assert [attempt("bad"), attempt("bad")] == [401, 401]
        assert attempt(ADMIN_PASSWORD) == 429  # even the right password waits
        time.sleep(0.35)
        assert attempt("bad") == 401  # third failure: the next wait is 0.6 s
        time.sleep(0.35)
        assert attempt(ADMIN_PASSWORD) == 429
        time.sleep(0.3)
        assert attempt(ADMIN_PASSWORD) == 200
        assert client.app.state.db.query("SELECT * FROM login_failures") == []  # success clears the pair
        assert attempt("bad") == 401 and attempt("bad") == 401  # and counting starts over


# --- 7. stored data owner-only -------------------------------------------------------------------------

def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_stored_data_is_owner_only(tmp_path, admin):
    db = open_database(tmp_path / "fresh" / "data")
    db.execute("INSERT INTO kv (key, value) VALUES ('x', 'y')")
    assert mode(tmp_path / "fresh" / "data") == 0o700
    for name in ("assistant.sqlite3", "assistant.sqlite3-wal", "assistant.sqlite3-shm"):
        assert mode(tmp_path / "fresh" / "data" / name) == 0o600, name
    db.close()
    # An existing world-readable folder is tightened when opened.
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    loose.chmod(0o755)
    open_database(loose).close()
    assert mode(loose) == 0o700 and mode(loose / "assistant.sqlite3") == 0o600

    # Uploaded originals (blobs) and their library copies are owner-only.
    data_dir = Path(admin.app.state.settings.data_dir)
    r = admin.post("/api/admin/documents", files={"files": ("权限测试办法.md", "# 权限测试办法\n\n第一条 测试。\n".encode(),
                                                             "text/markdown")})
    assert r.status_code == 201, r.text
    version = admin.app.state.db.query("SELECT blob_path FROM document_versions ORDER BY id DESC LIMIT 1")[0]
    blob = data_dir / version["blob_path"]
    assert mode(blob) == 0o600 and mode(blob.parent) == 0o700
    copy = next((data_dir / "library").rglob("权限测试办法.md"))
    assert mode(copy) == 0o600
    assert mode(data_dir) == 0o700 and mode(data_dir / "library") == 0o700
