"""Fixtures of the store tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from runlab.store.sql.store import SqlStore
from runlab.store.uri import build_store


@pytest.fixture
def store(store_uri: str, tmp_path: Path) -> Iterator[SqlStore]:
    """A SQL store on SQLite or PostgreSQL (``store_uri``), closed afterwards."""
    s = build_store(store_uri, artifact_root=(tmp_path / "artifacts").as_uri())
    assert isinstance(s, SqlStore)
    yield s
    s.close()
