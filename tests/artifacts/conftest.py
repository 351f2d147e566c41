"""Fixtures shared by the artifact test modules."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

# The servers' fixtures, for the contract suite and each backend's own tests.
from tests._gcs import gcs_admin, gcs_bucket, gcs_emulator  # noqa: F401
from tests.artifacts._cases import BIG


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A local directory to log: nested files, a big file, an empty directory."""
    top = tmp_path / "source"
    (top / "sub" / "deeper").mkdir(parents=True)
    (top / "empty").mkdir()
    (top / "top.txt").write_text("top")
    (top / "sub" / "mid.txt").write_text("mid")
    (top / "sub" / "deeper" / "leaf.bin").write_bytes(BIG)
    return top


@pytest.fixture
def temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Default download directories land in tmp_path, where a test can see them."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    return temp
