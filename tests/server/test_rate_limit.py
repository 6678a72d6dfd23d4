"""Per-client rate limit on the costly routes (issue 11, item 3): 429 with Retry-After past the limit,
per client address from the connection (a forged X-Forwarded-For does not reset it), other routes free."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from assistant.server.app import create_app
from assistant.server.rate_limit import RateLimiter

from .test_api import assert_error


@pytest.fixture
def limited_app(server_settings, engine):
    settings = server_settings.model_copy(update={"rate_limit_requests": 3, "rate_limit_window_s": 60.0})
    return create_app(settings, engine)


@pytest.mark.parametrize("path,body", [
    ("/api/search", {"query": "青岛优品申报条件"}),
    ("/api/chat", {"message": "区长质量奖最多奖多少钱？", "stream": False}),
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": "区长质量奖最多奖多少钱？"}]}),
])
def test_costly_routes_answer_429_with_retry_after(limited_app, path, body):
    with TestClient(limited_app, raise_server_exceptions=False, client=("10.0.0.1", 1234)) as c:
        for _ in range(3):
            assert c.post(path, json=body).status_code == 200
        # Rotating X-Forwarded-For is not a new client: no proxy is trusted.
        r = c.post(path, json=body, headers={"X-Forwarded-For": "203.0.113.9"})
        assert_error(r, 429, "too_many_requests")
        assert 1 <= int(r.headers["retry-after"]) <= 20  # 60 s / 3 requests: one comes back within 20 s
        assert c.get("/healthz").status_code == 200  # cheap routes are not limited
        other = TestClient(limited_app, raise_server_exceptions=False, client=("10.0.0.2", 1234))
        assert other.post(path, json=body).status_code == 200  # another client is unaffected


def test_bucket_refills_evenly():
    now = [0.0]
    limiter = RateLimiter(2, 10.0, clock=lambda: now[0])
    assert limiter.acquire("a") == 0 and limiter.acquire("a") == 0
    assert limiter.acquire("a") == pytest.approx(5.0)
    now[0] = 5.0
    assert limiter.acquire("a") == 0  # one request came back after window / requests seconds
    assert limiter.acquire("a") > 0
    assert limiter.acquire("b") == 0


def test_remembers_a_bounded_number_of_clients():
    limiter = RateLimiter(1, 60.0, max_clients=100)
    for n in range(1000):
        limiter.acquire(f"10.0.{n // 256}.{n % 256}")
    assert len(limiter._buckets) == 100
