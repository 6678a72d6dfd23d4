"""The browser every page test in this folder drives: Debian's chromium through Playwright, once per module."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import CHROMIUM, CHROMIUM_ARGS, SHOTS

TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} missing: run .ci/install-browser.sh")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()
