"""Paths the tests share (importable: pytest puts tests/ on sys.path)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
REALDATA = ROOT.parent / "shared" / "realdata"

# Debian's chromium as the browser tests launch it (never a Playwright-downloaded browser).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
SHOTS = ROOT / "test-output" / "browser"  # screenshots for review


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_in_thread(settings, engine):
    """A live uvicorn server for the app on a free loopback port, in a thread: yields its base URL (a
    generator for module-scoped fixtures: `yield from serve_in_thread(...)`)."""
    import threading
    import time

    import uvicorn

    from assistant.server.app import create_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, engine), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
