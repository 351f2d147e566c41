from __future__ import annotations

from pathlib import Path

import pytest

import runlab


@pytest.fixture(autouse=True)
def _fresh_state(fresh_fluent_state: None) -> None:
    """Each test starts with no active run and no cached store."""


@pytest.fixture
def tracking(store_uri: str, tmp_path: Path) -> str:
    """Point the fluent API at a fresh store (SQLite and PostgreSQL)."""
    runlab.set_tracking_uri(store_uri)
    return store_uri
