from __future__ import annotations

import pytest

import runlab


@pytest.fixture(autouse=True)
def _fresh_state(fresh_fluent_state: None) -> None:
    """Each test starts with no active run and no cached store."""


@pytest.fixture
def tracking(store_uri: str) -> str:
    """The fluent API on a fresh store (SQLite and PostgreSQL)."""
    runlab.set_tracking_uri(store_uri)
    return store_uri
