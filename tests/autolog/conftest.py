"""Fixtures for autologging: a fresh store, and every integration disabled after a test
(patches live on the frameworks' classes, which outlive a test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import runlab


@pytest.fixture(autouse=True)
def _fresh(fresh_fluent_state: None, tmp_path: Path) -> Iterator[None]:
    runlab.set_tracking_uri(f"sqlite:///{tmp_path / 'runlab.db'}")
    yield
    runlab.autolog(disable=True)
    from runlab.tracking import system_metrics

    system_metrics._overrides.clear()  # the process-wide choices tests made
