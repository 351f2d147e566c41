"""A real Cloud Storage emulator for tests: gcp-storage-emulator in a subprocess, over HTTP.

``gcs_endpoint`` (session) starts it on a free loopback port; ``gcs_bucket`` (function)
makes a new, empty bucket and points the environment at the emulator, as a user would
(``STORAGE_EMULATOR_HOST``, no credentials). The server logs every request line to a
file, so a test can see how a transfer was sent (``requests_since``).
"""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from tests._local_server import LocalServer, start_local_server

# Variables that would send the library to a real project or real credentials.
_HIDDEN = ("GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT", "CLOUDSDK_CONFIG")


class GCSEmulator(LocalServer):
    """The emulator: ``url``, ``process``, ``log`` (a named file, read by tests)."""

    def log_size(self) -> int:
        return os.fstat(self.log.fileno()).st_size

    def requests_since(self, offset: int) -> list[str]:
        """The request lines (``"PUT /upload/... HTTP/1.1" 308``) logged after ``offset``."""
        with open(self.log.name, "rb") as log:
            log.seek(offset)
            lines = log.read().decode(errors="replace").splitlines()
        return [line for line in lines if line.startswith('"')]


def start_emulator(attempts: int = 3) -> GCSEmulator:
    """Start the emulator (in memory) on a free port of 127.0.0.1."""
    return start_local_server(
        lambda port: (
            [sys.executable, "-m", "gcp_storage_emulator", "start"]
            + ["--host", "127.0.0.1", "--port", str(port), "--in-memory"]
        ),
        name="the Cloud Storage emulator",
        probe="/storage/v1/b?project=probe",
        kind=GCSEmulator,
        log=lambda: tempfile.NamedTemporaryFile(prefix="runlab-gcs-emulator-", suffix=".log"),
        attempts=attempts,
    )


def admin_client(url: str) -> Any:
    """A client of the emulator apart from runlab's, to set up and inspect buckets."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    return storage.Client(
        project="runlab-test",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": url},
    )


def new_bucket(client: Any) -> str:
    name = f"runlab-test-{uuid.uuid4().hex[:16]}"
    client.create_bucket(name)
    return name


def drop_bucket(client: Any, bucket: str) -> None:
    for blob in client.list_blobs(bucket):
        blob.delete()
    client.bucket(bucket).delete()


def all_objects(client: Any, bucket: str) -> dict[str, bytes]:
    """Every object in ``bucket`` with its contents."""
    return {blob.name: blob.download_as_bytes() for blob in client.list_blobs(bucket)}


def point_at(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """The environment a user of the emulator has: its address, and no real credentials."""
    for name in _HIDDEN:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", url)


@pytest.fixture(scope="session")
def gcs_emulator() -> Iterator[GCSEmulator]:
    emulator = start_emulator()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="session")
def gcs_admin(gcs_emulator: GCSEmulator) -> Any:
    return admin_client(gcs_emulator.url)


@pytest.fixture
def gcs_bucket(
    gcs_emulator: GCSEmulator, gcs_admin: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A new, empty bucket; the environment points runlab at the emulator."""
    point_at(monkeypatch, gcs_emulator.url)
    bucket = new_bucket(gcs_admin)
    yield bucket
    drop_bucket(gcs_admin, bucket)
