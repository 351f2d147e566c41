"""Fixtures of the CLI tests: a store folder per test, nothing cached between tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _fresh_state(fresh_fluent_state: None) -> None:
    """Each test starts with no active run and no cached store."""


@pytest.fixture
def tracking(tmp_path: Path) -> str:
    return str(tmp_path / "store")
