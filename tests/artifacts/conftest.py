"""Fixtures shared by the artifact test modules."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests import _azurite

# The servers' fixtures, for the contract suite and each backend's own tests.
from tests._gcs import gcs_admin, gcs_bucket, gcs_emulator  # noqa: F401
from tests._sshd import sftp_home, sftp_root, sshd  # noqa: F401
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


@pytest.fixture(scope="session")
def azurite() -> Iterator[_azurite.AzuriteServer]:
    """A real Azure Blob Storage emulator (Azurite, in a subprocess) for the whole session."""
    server = _azurite.start_server()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def azure_admin(azurite: _azurite.AzuriteServer) -> Any:
    """A BlobServiceClient of the emulator, apart from runlab's, to set up and inspect."""
    return _azurite.admin_client(azurite)


@pytest.fixture
def azure_container(
    azurite: _azurite.AzuriteServer, azure_admin: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A new, empty container; the environment's connection string points runlab at the
    emulator, and the user's other Azure settings are hidden."""
    for name in list(os.environ):
        if name.startswith(("AZURE_", "RUNLAB_AZURE_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite.connection_string)
    container = _azurite.new_container(azure_admin)
    yield container
    azure_admin.delete_container(container)
