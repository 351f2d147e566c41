from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import runlab
from runlab.store import uri as store_uri
from runlab.tracking import _batching, fluent


@pytest.fixture(autouse=True)
def _fresh_fluent_state() -> Iterator[None]:
    """Each test starts with no active run and no cached store."""
    fluent._reset_for_tests()
    yield
    fluent._reset_for_tests()
    _batching.close_all()
    store_uri.close_all()


@pytest.fixture
def tracking(store_uri: str, tmp_path: Path) -> str:
    """Point the fluent API at a fresh store (SQLite and PostgreSQL)."""
    runlab.set_tracking_uri(store_uri)
    return store_uri
