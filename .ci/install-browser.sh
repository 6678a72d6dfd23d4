#!/bin/sh
# What the browser tests (tests/browser, pytest -m browser) need: Debian's chromium and a CJK font so that
# the screenshots are readable. Idempotent: installs only what is missing. Playwright itself is a pip
# package in the project's `test` extra; `playwright install` is never run (it downloads its own browser).
set -eu

missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then
    missing="$missing fonts-wqy-microhei"
fi

if [ -n "$missing" ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update
    # shellcheck disable=SC2086
    $SUDO apt-get install -y --no-install-recommends $missing
fi

/usr/bin/chromium --version 2>/dev/null  # its launcher prints a harmless warning on stderr
