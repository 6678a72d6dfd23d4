"""Issue 11 (i11a): `assistant serve --workers 2` acts as one service (sessions, sign-in throttle and re-index
jobs shared through the database; each worker switches to a new build), and X-Forwarded-For counts only
from a configured proxy. Real subprocess services on loopback."""

from __future__ import annotations

import threading
import time

import httpx

from .conftest import ADMIN_PASSWORD, ADMIN_TOKEN, ADMIN_USER, policy_text, unique_tag
from .test_concurrent_reindex import QUESTIONS, chat_once


def fresh(svc, method: str, path: str, **kwargs) -> httpx.Response:
    """One request on a new connection, so the kernel hands it to either worker."""
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}", **kwargs.pop("headers", {})}
    with svc.client(headers=headers) as client:
        return client.request(method, path, **kwargs)


def test_forwarded_for_counts_only_from_a_trusted_proxy(admin_settings, service_factory):
    direct = service_factory(admin_settings)  # default: no trusted proxy
    with direct.client() as client:
        for i in range(10):
            r = client.post("/api/admin/login", json={"username": ADMIN_USER, "password": "guess"},
                            headers={"X-Forwarded-For": f"203.0.113.{i}"})
            assert r.status_code == 401
        # Rotating the header does not reset the throttle: the peer address is the client.
        r = client.post("/api/admin/login", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD},
                        headers={"X-Forwarded-For": "198.51.100.1"})
        assert r.status_code == 429 and r.headers["Retry-After"]
        log = fresh(direct, "GET", "/api/admin/audit", params={"action": "login_failed"}).json()
    rows = log["items"]
    assert rows and all("127.0.0.1" in str(row) and "203.0.113" not in str(row) for row in rows), rows[:2]

    # Behind a configured proxy (here: loopback), the forwarded address is the client, throttled on its own.
    proxied = service_factory(admin_settings, ASSISTANT_TRUSTED_PROXIES="127.0.0.1")
    with proxied.client() as client:
        r = client.post("/api/admin/login", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD},
                        headers={"X-Forwarded-For": "198.51.100.1"})
        assert r.status_code == 200, r.text
        for i in range(10):
            r = client.post("/api/admin/login", json={"username": ADMIN_USER, "password": "guess"},
                            headers={"X-Forwarded-For": "192.0.2.66"})
            assert r.status_code == 401
        r = client.post("/api/admin/login", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD},
                        headers={"X-Forwarded-For": "192.0.2.66"})
        assert r.status_code == 429
        # The admin behind the same proxy, at another address, is not locked out.
        r = client.post("/api/admin/login", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD},
                        headers={"X-Forwarded-For": "198.51.100.1"})
        assert r.status_code == 200


def test_two_workers_act_as_one_service(admin_settings, service_factory):
    svc = service_factory(admin_settings, cli_args=("--workers", 2), ASSISTANT_INDEX_WATCH_S="0.5",
                          ASSISTANT_REINDEX_EMBEDDING_BATCH_SIZE="2")
    deadline = time.time() + 20
    workers: set[str] = set()
    while len(workers) < 2:
        assert time.time() < deadline, f"only saw workers {workers}"
        workers.add(fresh(svc, "GET", "/api/admin/index/jobs/current").json()["worker"])
    assert len({w.rsplit(":", 1)[0] for w in workers}) == 1  # two processes of one host

    # A session made on one worker is valid on both; the sign-in throttle counts across workers.
    with svc.client() as client:
        session = client.post("/api/admin/login", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD}).json()
    seen = set()
    while seen != workers:
        assert time.time() < deadline + 10
        r = fresh(svc, "GET", "/api/admin/index/jobs/current", headers={"Authorization": f"Bearer {session['token']}"})
        assert r.status_code == 200
        seen.add(r.json()["worker"])
    for _ in range(10):
        r = fresh(svc, "POST", "/api/admin/login", json={"username": ADMIN_USER, "password": "guess"}, headers={})
        assert r.status_code == 401
    r = fresh(svc, "POST", "/api/admin/login", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD})
    assert r.status_code == 429

    # Real work for the build: a new document to parse and embed.
    tag = unique_tag()
    r = fresh(svc, "POST", "/api/admin/documents",
              files={"files": (f"{tag}办法.md", policy_text(tag, 6).encode("utf-8"), "text/markdown")})
    assert r.status_code == 201, r.text
    old_build = fresh(svc, "GET", "/readyz").json()["build_id"]

    results: list[tuple[float, float, str | None]] = []  # (started, finished, error or None)
    stop = threading.Event()

    def chat(n: int) -> None:
        i = n
        while not stop.is_set() and i < n + 200:  # bounded
            started = time.time()
            with svc.client() as client:  # a new connection each time: both workers get chat traffic
                error = chat_once(client, QUESTIONS[i % len(QUESTIONS)], stream=(n % 2 == 1))
            results.append((started, time.time(), error))
            i += 1
            stop.wait(0.5)  # steady traffic, not a flood: the build shares the CPU with it

    threads = [threading.Thread(target=chat, args=(n,), daemon=True) for n in range(2)]
    for t in threads:
        t.start()
    deadline = time.time() + 60
    while len(results) < 2:  # chat traffic flowing before the re-index starts
        assert time.time() < deadline, "no chat answered"
        time.sleep(0.1)

    job_started = time.time()
    r = fresh(svc, "POST", "/api/admin/index/jobs")
    assert r.status_code == 202, r.text
    job = r.json()
    owner = job["worker"]
    assert owner in workers
    # The same job is reported by both workers while it runs, with its progress; a second re-index is
    # refused wherever it lands.
    watched: dict[str, set] = {w: set() for w in workers}
    refused = 0
    latest = job
    deadline = time.time() + 120
    while True:
        current = fresh(svc, "GET", "/api/admin/index/jobs/current").json()
        if not current["running"]:
            break
        assert current["job"]["id"] == latest["id"] and current["job"]["worker"] == latest["worker"]
        if latest is job:
            watched[current["worker"]].add(current["job"]["stage"])
        if refused < 6 and latest is job:
            r = fresh(svc, "POST", "/api/admin/index/jobs")
            if r.status_code == 202:  # only because the job ended between the two requests
                assert fresh(svc, "GET", f"/api/admin/index/jobs/{job['id']}").json()["state"] == "done"
                latest = r.json()
            else:
                assert r.status_code == 409 and r.json()["error"]["code"] == "reindex_running", r.text
                refused += 1
        assert time.time() < deadline, "re-index did not finish"
        time.sleep(0.1)
    assert refused >= 1
    job_finished = time.time()
    other = next(w for w in workers if w != owner)
    assert watched[other], watched  # the job, running, as reported by the worker that does not run it
    assert set().union(*watched.values()) <= {"queued", "parse", "embed", "sentences", "write", "swap", "eval"}, watched
    assert fresh(svc, "GET", f"/api/admin/index/jobs/{job['id']}").json()["state"] == "done"
    done = fresh(svc, "GET", f"/api/admin/index/jobs/{latest['id']}").json()
    assert done["state"] == "done", done
    new_build = done["report"]["build_id"]
    assert new_build != old_build

    # Each worker switches to the new build (the owner at once, the other within its index watch).
    serving: dict[str, str] = {}
    deadline = time.time() + 15
    while set(serving) != workers or set(serving.values()) != {new_build}:
        assert time.time() < deadline, serving
        current = fresh(svc, "GET", "/api/admin/index/jobs/current").json()
        serving[current["worker"]] = current["served_build"]
    stop.set()
    for t in threads:
        t.join(60)
    failures = [e for _, _, e in results if e]
    assert failures == [], failures[:3]
    during = [r for r in results if r[0] < job_finished and r[1] > job_started]
    assert during, (len(results), job_started, job_finished)  # chats in flight during the re-index
    # The new document answers on either worker.
    for _ in range(4):
        hits = fresh(svc, "POST", "/api/search", json={"query": f"{tag}项目第7类申报主体奖励多少", "k": 3}).json()["hits"]
        assert tag in hits[0]["title"]
