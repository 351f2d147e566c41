from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import runlab
from runlab.store import uri as store_uri
from runlab.store.registry_base import RegistryStore
from runlab.tracking import _batching, fluent


@pytest.fixture(autouse=True)
def _fresh_state() -> Iterator[None]:
    fluent._reset_for_tests()
    yield
    fluent._reset_for_tests()
    _batching.close_all()
    store_uri.close_all()


@pytest.fixture
def client(store_uri: str, tmp_path: Path) -> runlab.RunlabClient:
    """A client on a fresh store (SQLite and PostgreSQL), artifacts under tmp_path."""
    store_uri_module = store_uri
    return runlab.RunlabClient(store_uri_module)


@pytest.fixture
def registry(client: runlab.RunlabClient) -> RegistryStore:
    return client.registry_store
