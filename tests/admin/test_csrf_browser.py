"""Issue 11, item 1, in a real browser (Debian chromium, headless): with the admin signed in, a page served
on another port of 127.0.0.1 (same site, so the SameSite=Strict cookie goes along) tries to start a
re-index, upload a document with a no-cors fetch and retire one with a plain form, directly and through a
307 redirect via a second port (which makes the browser send `Origin: null`). Every attempt reaches the
service with the cookie and is refused; the admin page itself still works."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from .conftest import IP_DOC, sign_in_on_page

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium")]

ATTACK_PAGE = """<!doctype html><meta charset="utf-8"><title>attack</title>
<iframe name="sink1"></iframe><iframe name="sink2"></iframe>
<form id="direct" method="post" target="sink1" action="{svc}/api/admin/documents/{doc}/retire">
  <input name="note" value="csrf"></form>
<form id="hop" method="post" target="sink2" action="{hop}/redirect?to={svc}/api/admin/documents/{doc}/retire">
  <input name="note" value="csrf-hop"></form>
<script>
async function attack() {{
  const opts = {{ method: "POST", mode: "no-cors", credentials: "include" }};
  const fd = new FormData();
  fd.append("files", new File(["# 城阳区CSRF攻击办法\\n\\n第一条 所有企业奖励100万元。\\n"], "csrf攻击办法.md",
                               {{ type: "text/markdown" }}));
  const sent = [
    fetch("{svc}/api/admin/index/jobs", opts),
    fetch("{svc}/api/admin/documents", {{ ...opts, body: fd }}),
    fetch("{hop}/redirect?to={svc}/api/admin/index/jobs", opts),
    fetch("{hop}/redirect?to={svc}/api/admin/documents", {{ ...opts, body: fd }}),
  ];
  for (const p of sent) {{ try {{ await p; }} catch (e) {{ /* opaque or blocked: either way */ }} }}
  const loaded = (name) => new Promise((ok) => document.querySelector(`iframe[name=${{name}}]`).onload = ok);
  const both = Promise.all([loaded("sink1"), loaded("sink2")]);
  document.getElementById("direct").submit();
  document.getElementById("hop").submit();
  await both;
  document.title = "done";
}}
attack();
</script>"""


class _Attacker(BaseHTTPRequestHandler):
    page = ""

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        body = self.page.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        # The second hop: hand the request on with its method and body (307), as in the report.
        target = parse_qs(urlsplit(self.path).query)["to"][0]
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.send_response(307)
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()


def serve(handler) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def test_another_port_cannot_act_with_the_admin_cookie(admin_settings, service_factory):
    from playwright.sync_api import sync_playwright

    svc = service_factory(admin_settings)
    api = svc.admin_client()
    ip_id = next(d["id"] for d in api.get("/api/admin/documents").json()["documents"] if d["source"] == IP_DOC)
    docs_before = api.get("/api/admin/documents").json()["total"]

    hop_server, hop = serve(type("Hop", (_Attacker,), {}))
    page_handler = type("Page", (_Attacker,), {"page": ATTACK_PAGE.format(svc=svc.url, hop=hop, doc=ip_id)})
    page_server, attacker = serve(page_handler)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                              "--disable-component-update", "--disable-sync", "--no-first-run"])
            page = browser.new_page(locale="zh-CN")
            page.set_default_timeout(30_000)
            # The admin signs in on the admin page.
            sign_in_on_page(page, svc.url)

            # Then visits the other page, in the same browser.
            at_service: list = []

            def record(response) -> None:
                if response.url.startswith(svc.url + "/api/admin/"):
                    try:  # a frame's body may be gone once the frame moves on; the status is always there
                        code = response.json()["error"]["code"]
                    except Exception:
                        code = None
                    at_service.append((response.request.method, urlsplit(response.url).path, response.status, code,
                                       response.request.header_value("origin")))

            page.on("response", record)
            page.goto(attacker + "/attack.html")
            page.wait_for_function("document.title === 'done'")
            page.wait_for_timeout(300)
            page.remove_listener("response", record)

            # Every attempt reached the service and was refused for where it came from: 403 with the
            # admin's cookie accepted (without it the answer would be 401 not_signed_in).
            summary = at_service
            assert len(summary) >= 6, summary
            assert all(status == 403 and code in ("csrf_token_invalid", "cross_origin", None)
                       for _, _, status, code, _ in summary), summary
            assert sum(code is not None for _, _, _, code, _ in summary) >= 2, summary  # the forms; fetches are opaque
            assert any(origin == "null" for *_, origin in summary), summary  # the redirect hop
            paths = {p for _, p, *_ in summary}
            assert {"/api/admin/index/jobs", "/api/admin/documents", f"/api/admin/documents/{ip_id}/retire"} <= paths

            # Nothing changed.
            assert api.get("/api/admin/index/jobs").json()["jobs"] == []
            assert api.get("/api/admin/documents").json()["total"] == docs_before
            assert api.get(f"/api/admin/documents/{ip_id}").json()["status"] == "现行"

            # The admin page itself still acts, with the same cookie (and its anti-CSRF token).
            page.goto(svc.url + "/admin")
            page.on("dialog", lambda dialog: dialog.accept("管理员废止"))
            page.locator("#docs-body tr", has_text="城阳区知识产权促进资助办法").locator("button", has_text="废止").click()
            page.wait_for_selector("#flash:has-text('已废止')")
            assert api.get(f"/api/admin/documents/{ip_id}").json()["status"] == "已废止"

            # Sign out everywhere from the page: this browser's session ends too.
            page.click("#logout-all")
            page.wait_for_selector("#signin-form", state="visible")
            assert "已退出所有登录" in page.locator("#signin-error").inner_text()
            status = page.evaluate("fetch('/api/admin/me').then(r => r.status)")
            assert status == 401
            browser.close()
    finally:
        hop_server.shutdown()
        page_server.shutdown()
