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


# --- lexical-only indexes ----------------------------------------------------------------------------
# Embedding a corpus costs ~0.26 s a chunk on the project's 2-core machine (far more when the cores are
# shared). Where a measurement is about composing answers, not retrieval, an index can be built with the
# dense side switched off: BM25 over words + character bigrams alone retrieves almost as well on ncp
# (recall@1 0.818 vs 0.824 fused, docs/benchmarks.md, fusion ablation). Every figure measured on such an
# index says so.
LEXICAL_ONLY = "lexical-only"


class LexicalOnlyEmbeddings:
    """A stand-in embedding model (one constant vector) so an index builds without the dense side."""

    model_key = f"st:{LEXICAL_ONLY}"  # what Engine expects for a configured non-default model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [[1.0, 0.0] for _ in texts]

    def embed_query(self, text: str) -> list[float]:
        return [1.0, 0.0]


def use_lexical_only():
    """Register the stand-in model; returns settings overrides that keep the dense side off."""
    from assistant import embeddings

    embeddings._MODELS.setdefault(LEXICAL_ONLY, LexicalOnlyEmbeddings())
    return {"embedding_model": LEXICAL_ONLY, "lexical_weight": 1.0, "embedding_cache": WORK / "lexical-only-cache.sqlite"}


def lexical_only_index(corpus: Path, index_dir: Path) -> Path:
    """Build (once) a lexical-only index of `corpus` with the working tree's parsing and chunking."""
    from assistant.indexer import build_index
    from assistant.settings import Settings
    from assistant.store import current_build_dir

    overrides = use_lexical_only()
    if current_build_dir(index_dir) is None:
        report = build_index([corpus], index_dir, Settings(index_dir=index_dir, **overrides))
        print(report.summary(), file=sys.stderr)
    return index_dir
