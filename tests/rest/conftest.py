"""Real tracking servers for the REST client's tests, plus a tiny scriptable stub.

=====================  ========  ============================================================
fixture                scope     value
=====================  ========  ============================================================
``runlab_server``      session   a running ``runlab server`` (SQLite + artifact proxy)
``mlflow_server``      session   a running ``mlflow server`` (SQLite + artifact proxy)
``tracking_server``    session   each of the two in turn (ids ``runlab``, ``mlflow``): base URL
``remote``             function  fluent API and a RunlabClient pointed at ``tracking_server``
``stub``               function  a loopback HTTP server answering from a script, recording
                                 every request
``server``             function  a ``runlab server`` process of its own on ``store_uri``'s
                                 database (SQLite or PostgreSQL), which a test may kill
=====================  ========  ============================================================

Servers run as subprocesses in their own process group, so stopping one stops its workers.
Tests share a server and keep apart by giving experiments unique names.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from rest_support import (
    SERVER_KINDS,
    Remote,
    ServerProcess,
    Stub,
    mlflow_server_process,
    runlab_server_process,
)

import runlab
from runlab.store import uri as store_uri
from runlab.store.rest import _http
from runlab.tracking import _batching, fluent


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = mlflow_server_process(tmp_path_factory.mktemp("mlflow-server"))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def runlab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = runlab_server_process(tmp_path_factory.mktemp("runlab-server"))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def server(tmp_path: Path, store_uri: str) -> Iterator[ServerProcess]:
    s = runlab_server_process(tmp_path / "server", backend=store_uri)
    s.start()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="session", params=SERVER_KINDS)
def tracking_server(request: pytest.FixtureRequest) -> str:
    """The base URL of each real tracking server the client is tested against."""
    return str(request.getfixturevalue(f"{request.param}_server"))


def _reset() -> None:
    fluent._reset_for_tests()
    _batching.close_all()
    store_uri.close_all()
    _http.close_pools()


@pytest.fixture(autouse=True)
def _fresh_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("MLFLOW_"):
            monkeypatch.delenv(name)  # credentials of the user's own MLflow setup
    _reset()
    yield
    _reset()


@pytest.fixture
def remote(tracking_server: str) -> Remote:
    """Fluent API and a client on the server, with a fresh experiment made current."""
    runlab.set_tracking_uri(tracking_server)
    name = f"test-{uuid.uuid4().hex[:12]}"
    experiment = runlab.set_experiment(name)
    return Remote(tracking_server, runlab.RunlabClient(), experiment.experiment_id, name)


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stub]:
    """A scriptable server, with retries made fast (a hundredth of a second apart)."""
    monkeypatch.setenv("RUNLAB_HTTP_BACKOFF_FACTOR", "0.01")
    server = Stub()
    try:
        yield server
    finally:
        server.close()
