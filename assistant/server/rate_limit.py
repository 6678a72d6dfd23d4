"""Per-client rate limit for the routes that cost CPU (chat, search, the OpenAI-compatible API).

A token bucket per client address: `rate_limit_requests` at once, refilled evenly over
`rate_limit_window_s`. Past it the client gets 429 with Retry-After (seconds until its next request is
allowed). The address is the connection's (request.client): a forwarded header counts only when the
server was told to trust the proxy that sent it, which rewrites request.client before we see it.
Each worker process keeps its own buckets, so with N workers a client may get up to N times the rate."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from typing import Callable

from fastapi import HTTPException, Request

from .errors import error_body


class RateLimiter:
    def __init__(self, requests: int, window_s: float, max_clients: int = 10000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(requests)
        self.rate = requests / window_s if window_s > 0 else float("inf")  # tokens per second
        self.max_clients = max_clients
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # client -> (tokens, last)
        self._lock = threading.Lock()

    def acquire(self, client: str) -> float:
        """Take one request for `client`: 0.0 when allowed, else the seconds until it would be."""
        with self._lock:
            now = self.clock()
            tokens, last = self._buckets.pop(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rate
            self._buckets[client] = (tokens, now)  # most recent last; the oldest is forgotten first
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
            return wait


_create_lock = threading.Lock()


def _limiter(app) -> RateLimiter | None:
    limiter = getattr(app.state, "rate_limiter", None)
    if limiter is None:
        settings = app.state.settings
        if settings.rate_limit_requests <= 0:
            return None
        with _create_lock:
            limiter = getattr(app.state, "rate_limiter", None)
            if limiter is None:
                limiter = app.state.rate_limiter = RateLimiter(
                    settings.rate_limit_requests, settings.rate_limit_window_s, settings.rate_limit_max_clients)
    return limiter


async def rate_limit(request: Request) -> None:
    """FastAPI dependency for the costly routes."""
    limiter = _limiter(request.app)
    if limiter is None:
        return
    client = request.client.host if request.client else "unknown"
    wait = limiter.acquire(client)
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise HTTPException(429, detail=error_body("too_many_requests", f"请求过于频繁，请 {seconds} 秒后再试",
                                                   f"rate limit exceeded; retry after {seconds} s"),
                            headers={"Retry-After": str(seconds)})
