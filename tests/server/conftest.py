"""Fixtures for the HTTP API tests: the real app over the shipped index, with its own data folder."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def server_settings(shipped_index, make_settings, tmp_path_factory):
    """Settings that serve the shipped index (read-only) and keep feedback/conversations in a private folder."""
    return make_settings(tmp_path_factory.mktemp("server"), index_dir=shipped_index.index_dir)


@pytest.fixture(scope="module")
def client(server_settings, engine):
    from fastapi.testclient import TestClient

    from assistant.server.app import create_app

    with TestClient(create_app(server_settings, engine), raise_server_exceptions=False) as c:
        yield c

