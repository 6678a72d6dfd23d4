"""Layers point down: nothing below `assistant/server/` imports from it, and nothing in the package imports
the training scripts. Read from the source (AST), so a lazy import inside a function counts too."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "assistant"


def _imports(path: Path) -> set[str]:
    """Absolute module names `path` imports, relative imports resolved against its package."""
    module = path.relative_to(PACKAGE.parent).with_suffix("").parts
    package = module[:-1]  # for __init__.py too: its package is its folder
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = list(package[: len(package) - node.level + 1]) if node.level else []
            name = ".".join(base + ([node.module] if node.module else []))
            out.add(name)
            out.update(f"{name}.{a.name}" for a in node.names)
    return out


def test_nothing_below_server_imports_it():
    offenders = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "server" or rel.name == "cli.py" and len(rel.parts) == 1:
            continue  # the server itself and the top-level CLI (which starts it) may
        bad = sorted(m for m in _imports(path) if m == "assistant.server" or m.startswith("assistant.server."))
        if bad:
            offenders[str(rel)] = bad
    assert not offenders, f"modules below server/ import from it: {offenders}"


def test_package_does_not_import_training_or_benchmarks():
    offenders = {str(p.relative_to(PACKAGE)): sorted(m for m in _imports(p) if m.split(".")[0] in ("training", "benchmarks"))
                 for p in PACKAGE.rglob("*.py")}
    assert not {k: v for k, v in offenders.items() if v}


def test_the_import_reader_sees_relative_imports():
    # The check above is only as good as the reader: a relative import of server must be resolved.
    sample = PACKAGE / "server" / "routes_admin.py"
    assert "assistant.admin.errors" in _imports(sample)
