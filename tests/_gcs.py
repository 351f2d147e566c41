"""A real Cloud Storage emulator for tests: gcp-storage-emulator in a subprocess, over HTTP.

``gcs_endpoint`` (session) starts it on a free loopback port; ``gcs_bucket`` (function)
makes a new, empty bucket and points the environment at the emulator, as a user would
(``STORAGE_EMULATOR_HOST``, no credentials). The server logs every request line to a
file, so a test can see how a transfer was sent (``requests_since``).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import pytest

# Variables that would send the library to a real project or real credentials.
_HIDDEN = ("GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT", "CLOUDSDK_CONFIG")


@dataclass
class GCSEmulator:
    url: str
    process: subprocess.Popen[bytes]
    log: IO[bytes]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.log.close()

    def log_size(self) -> int:
        return os.fstat(self.log.fileno()).st_size

    def requests_since(self, offset: int) -> list[str]:
        """The request lines (``"PUT /upload/... HTTP/1.1" 308``) logged after ``offset``."""
        with open(self.log.name, "rb") as log:
            log.seek(offset)
            lines = log.read().decode(errors="replace").splitlines()
        return [line for line in lines if line.startswith('"')]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/storage/v1/b?project=probe", timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer means the server is up
    except OSError:
        return False


def start_emulator(attempts: int = 3) -> GCSEmulator:
    """Start the emulator (in memory) on a free port of 127.0.0.1."""
    failure = ""
    for _ in range(attempts):
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        # A named file (an unread pipe would fill and stall the server), read by tests.
        log = tempfile.NamedTemporaryFile(prefix="runlab-gcs-emulator-", suffix=".log")
        process = subprocess.Popen(
            [sys.executable, "-m", "gcp_storage_emulator", "start"]
            + ["--host", "127.0.0.1", "--port", str(port), "--in-memory"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for _ in range(300):
            if process.poll() is not None:
                break
            if _answers(url):
                return GCSEmulator(url, process, log)
            time.sleep(0.1)
        with contextlib.suppress(OSError):
            process.kill()
        process.wait(timeout=10)
        log.seek(0)
        failure = log.read().decode(errors="replace")[-2000:]
        log.close()
    raise RuntimeError(f"the Cloud Storage emulator did not start:\n{failure}")


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
