"""Paths the tests share (importable: pytest puts tests/ on sys.path)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
REALDATA = ROOT.parent / "shared" / "realdata"
