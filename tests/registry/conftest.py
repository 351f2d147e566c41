from __future__ import annotations

from pathlib import Path

import pytest

import runlab
from runlab.store.registry_base import RegistryStore


@pytest.fixture(autouse=True)
def _fresh_state(fresh_fluent_state: None) -> None:
    """Each test starts with no active run and no cached store."""


@pytest.fixture
def client(store_uri: str, tmp_path: Path) -> runlab.RunlabClient:
    """A client on a fresh store (SQLite and PostgreSQL), artifacts under tmp_path."""
    store_uri_module = store_uri
    return runlab.RunlabClient(store_uri_module)


@pytest.fixture
def registry(client: runlab.RunlabClient) -> RegistryStore:
    return client.registry_store
