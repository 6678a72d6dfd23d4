"""Fixtures for the admin tests: a small library (six shipped documents) seeded and indexed once per run,
copied for every test that changes it; a signed-in client; a real `assistant serve` subprocess."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus"

ADMIN_USER = "admin"
ADMIN_PASSWORD = "Zl-测试-Passw0rd!"
ADMIN_TOKEN = "test-admin-token-5f1c0e9a7b"
SUBSET = (
    "policies/城阳区区长质量奖管理办法.md",
    "policies/城阳区区长质量奖管理办法（2019年）.md",
    "policies/城阳区知识产权促进资助办法.txt",
    "guides/青岛优品申报指南.md",
    "guides/区长质量奖申报指南.docx",
    "guides/管理体系认证补贴申领指南.pdf",
)
IP_DOC = "policies/城阳区知识产权促进资助办法.txt"


@pytest.fixture(scope="session")
def admin_corpus(tmp_path_factory) -> Path:
    """Six shipped documents (md, txt, docx, pdf; a current and a superseded edition) with their sidecars."""
    root = tmp_path_factory.mktemp("admin-corpus") / "corpus"
    for rel in SUBSET:
        src = CORPUS / rel
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, root / rel)
        side = src.with_name(src.stem + ".meta.yaml")
        if side.exists():
            shutil.copy2(side, (root / rel).with_name(side.name))
    return root


@pytest.fixture(scope="session")
def admin_template(tmp_path_factory, make_settings, admin_corpus):
    """The library seeded from the small corpus and indexed, once per run (copy it to change it)."""
    from assistant.admin.cli import prepare_library
    from assistant.indexer import build_index

    tmp = tmp_path_factory.mktemp("admin-template")
    settings = make_settings(tmp, corpus_dirs=[admin_corpus])
    assert prepare_library(settings) == len(SUBSET)
    report = build_index([settings.library_dir], settings.index_dir, settings)
    assert not report.skipped, report.skipped
    return settings


@pytest.fixture
def admin_settings(admin_template, tmp_path, make_settings, admin_corpus):
    """A private copy of the seeded library, its database and its index, with admin credentials set."""
    shutil.copytree(admin_template.data_dir, tmp_path / "data")
    shutil.copytree(admin_template.index_dir, tmp_path / "index")
    return make_settings(tmp_path, corpus_dirs=[admin_corpus], admin_username=ADMIN_USER,
                         admin_password=ADMIN_PASSWORD, admin_token=ADMIN_TOKEN, reindex_eval=False,
                         index_watch_s=0)


@pytest.fixture
def app_client(admin_settings):
    from fastapi.testclient import TestClient

    from assistant.server.app import create_app

    app = create_app(admin_settings)
    with TestClient(app) as client:
        yield client


@pytest.fixture
def admin(app_client):
    """The client signed in as admin (session token as bearer)."""
    r = app_client.post("/api/admin/login", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD})
    assert r.status_code == 200, r.text
    app_client.cookies.clear()  # tests that want the cookie ask for it; bearer is explicit
    app_client.headers["Authorization"] = f"Bearer {r.json()['token']}"
    return app_client


def wait_job(client, timeout: float = 120) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        data = client.get("/api/admin/index/jobs/current").json()
        if not data["running"]:
            return data["job"]
        time.sleep(0.2)
    raise AssertionError("re-index did not finish in time")


def snapshot(settings) -> dict:
    """Everything an admin action may change: rows, library files, blobs."""
    from assistant.db import open_database

    db = open_database(Path(settings.data_dir))
    try:
        rows = {t: db.query(f"SELECT * FROM {t} ORDER BY id") for t in ("documents", "document_versions")}
        rows["audit"] = db.query("SELECT action FROM audit_log WHERE action NOT IN ('login','logout') ORDER BY id")
    finally:
        db.close()
    data_dir = Path(settings.data_dir)
    files = {p.relative_to(data_dir).as_posix(): p.read_bytes() for p in data_dir.rglob("*")
             if p.is_file() and p.relative_to(data_dir).parts[0] in ("library", "blobs")}
    return {"rows": rows, "files": files}


def policy_text(tag: str, articles: int = 12, title: str | None = None) -> str:
    """A policy-like Markdown document whose every article is unique to `tag` (so it must be embedded)."""
    title = title or f"城阳区{tag}专项扶持办法"
    lines = [f"# {title}", "", f"青城测发〔2024〕{len(tag) % 90 + 1}号", ""]
    for n in range(1, articles + 1):
        lines.append(f"## 第{n}条")
        lines.append(
            f"第{n}条 对{tag}项目第{n}类申报主体，经认定后给予一次性奖励{n * 3}万元。申报单位应当在每年{n % 12 + 1}月"
            f"{n % 27 + 1}日前向区{tag}工作专班提交申请表、营业执照复印件和{tag}第{n}号证明材料，逾期不予受理。"
            f"专班自受理之日起{n + 10}个工作日内完成审核，审核结果在区政府网站公示{n % 5 + 5}日。编号{tag}-{n:03d}。")
        lines.append("")
    lines.append("青岛市城阳区人民政府办公室")
    lines.append("2024年3月1日")
    return "\n".join(lines) + "\n"


def sign_in_on_page(page, base_url: str) -> None:
    """The admin signs in on the admin page of a real browser and waits for the document table."""
    page.goto(base_url + "/admin")
    page.fill("#username", ADMIN_USER)
    page.fill("#password", ADMIN_PASSWORD)
    page.click("#signin-submit")
    page.wait_for_selector("#docs-body tr")


def unique_tag() -> str:
    return "测" + uuid.uuid4().hex[:6].upper()


# --- a real service in a subprocess ----------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServiceProcess:
    """`assistant serve` as operators run it, with admin credentials in its environment."""

    def __init__(self, settings, log_path: Path, cli_args: tuple = (), **env) -> None:
        self.settings = settings
        self.cli_args = [str(a) for a in cli_args]  # e.g. ("--workers", 2)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = {**os.environ, "ASSISTANT_ADMIN_USERNAME": ADMIN_USER, "ASSISTANT_ADMIN_PASSWORD": ADMIN_PASSWORD,
                    "ASSISTANT_ADMIN_TOKEN": ADMIN_TOKEN, "ASSISTANT_EMBEDDING_CACHE": str(settings.embedding_cache),
                    "ASSISTANT_REINDEX_EVAL": "0", "ASSISTANT_INDEX_WATCH_S": "0", "HF_HUB_OFFLINE": "1",
                    "ASSISTANT_RATE_LIMIT_REQUESTS": "0",
                    "PYTHONPATH": str(ROOT), **{k: str(v) for k, v in env.items()}}
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 90) -> "ServiceProcess":
        corpus = [a for c in self.settings.corpus_dirs for a in ("--corpus", str(c))]
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "assistant.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--index", str(self.settings.index_dir), "--data", str(self.settings.data_dir), *corpus, *self.cli_args],
            cwd=self.log_path.parent, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"service exited: {self.log_path.read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise AssertionError("service did not become ready")

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, **kwargs)

    def admin_client(self) -> httpx.Client:
        return self.client(headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        if getattr(self, "_log", None):
            self._log.close()


@pytest.fixture
def service_factory(tmp_path):
    started: list[ServiceProcess] = []

    def make(settings, cli_args: tuple = (), **env) -> ServiceProcess:
        svc = ServiceProcess(settings, tmp_path / f"service-{len(started)}.log", cli_args, **env)
        started.append(svc)
        return svc.start()

    yield make
    for svc in started:
        svc.stop()
