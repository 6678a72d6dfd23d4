"""Fixtures for the eligibility tests: the shipped corpus's documents (no search structures needed)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def shipped_docs(shipped_index):
    from assistant.eligibility.check import DocsOnly

    return DocsOnly.open(shipped_index.index_dir.resolve())


@pytest.fixture(scope="session")
def programmes(shipped_docs):
    from assistant.eligibility.check import rulebook_for

    return {p.name: p for p in rulebook_for(shipped_docs)}
