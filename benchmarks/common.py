"""Shared helpers for benchmarks: where the real data is, and building a corpus folder from it."""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# ASSISTANT_REALDATA names the folder when the repository is not checked out beside ../shared/realdata.
REALDATA = Path(os.environ.get("ASSISTANT_REALDATA") or ROOT.parent / "shared" / "realdata")
WORK = ROOT / "benchmarks" / "results"  # git-ignored: corpora, indexes and caches made from real data

csv.field_size_limit(sys.maxsize)


def require(path: Path) -> Path:
    if not path.exists():
        sys.exit(f"skipped: {path} not found (the real data lives in ../shared/realdata beside the repo)")
    return path


def ncp_corpus() -> tuple[Path, dict[str, str], list[dict]]:
    """Write the ncp-policies documents as one text file each (outside git) and load the dev questions."""
    src = require(REALDATA / "ncp-policies")
    corpus = WORK / "ncp-corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    docs: dict[str, str] = {}
    with open(src / "corpus.tsv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            docs[row["docid"]] = row["text"]
            path = corpus / f"{row['docid']}.txt"
            if not path.exists():
                path.write_text(row["text"], encoding="utf-8")
    with open(src / "questions-dev.tsv", encoding="utf-8") as fh:
        questions = [r for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE) if r["docid"] in docs]
    return corpus, docs, questions


def statutes_corpus() -> Path:
    """The real statutes (quality-laws) copied into a corpus folder outside git, without SOURCE.md."""
    import shutil

    src = require(REALDATA / "quality-laws")
    corpus = WORK / "statutes-corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for path in sorted(src.glob("*.md")):
        if path.name != "SOURCE.md" and not (corpus / path.name).exists():
            shutil.copyfile(path, corpus / path.name)
    return corpus
