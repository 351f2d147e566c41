"""``register_model(await_registration_for=...)`` and ``create_model_version``'s
``await_creation_for``: a version a server leaves PENDING_REGISTRATION is polled until it
is READY, fails, or the wait runs out. runlab's stores answer READY at once, so the
pending state is written into the SQLite database by hand."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

import runlab
from runlab.entities import ModelVersion, ModelVersionStatus
from runlab.errors import InvalidInputError, NotFoundError, StorageError


@pytest.fixture
def sqlite_client(sqlite_uri: str) -> runlab.RunlabClient:
    runlab.set_tracking_uri(sqlite_uri)
    return runlab.RunlabClient(sqlite_uri)


def _set_status(uri: str, status: str, message: str | None = None) -> None:
    engine = sa.create_engine(uri)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE model_versions SET status = :s, status_message = :m"),
                {"s": status, "m": message},
            )
    finally:
        engine.dispose()


def _pending(client: runlab.RunlabClient, uri: str) -> ModelVersion:
    runlab.register_model("s3://bucket/models/fraud", "fraud")
    _set_status(uri, ModelVersionStatus.PENDING_REGISTRATION)
    version = client.get_model_version("fraud", "1")
    assert version.status == ModelVersionStatus.PENDING_REGISTRATION
    return version


def test_register_model_returns_a_ready_version_with_any_wait(
    sqlite_client: runlab.RunlabClient,
) -> None:
    for seconds in (0, 5, 300):
        version = runlab.register_model("s3://b/m", "m", await_registration_for=seconds)
        assert version.status == ModelVersionStatus.READY
    assert [v.version for v in sqlite_client.search_model_versions("name='m'")] == [3, 2, 1]


def test_a_pending_version_is_waited_for_until_ready(
    sqlite_client: runlab.RunlabClient, sqlite_uri: str
) -> None:
    pending = _pending(sqlite_client, sqlite_uri)
    flip = threading.Timer(0.5, _set_status, (sqlite_uri, ModelVersionStatus.READY))
    flip.start()
    started = time.monotonic()
    try:
        ready = sqlite_client.await_model_version_ready(pending, 10)
    finally:
        flip.join()
    assert ready.status == ModelVersionStatus.READY
    assert 0.4 < time.monotonic() - started < 5


def test_a_version_still_pending_after_the_wait_is_an_error(
    sqlite_client: runlab.RunlabClient, sqlite_uri: str
) -> None:
    pending = _pending(sqlite_client, sqlite_uri)
    started = time.monotonic()
    with pytest.raises(StorageError, match=r"version 1 of model 'fraud' is still PENDING"):
        sqlite_client.await_model_version_ready(pending, 0.6)
    assert time.monotonic() - started >= 0.6


def test_no_wait_returns_the_pending_version(
    sqlite_client: runlab.RunlabClient, sqlite_uri: str
) -> None:
    pending = _pending(sqlite_client, sqlite_uri)
    assert sqlite_client.await_model_version_ready(pending, 0) is pending


def test_a_failed_registration_is_an_error_with_its_message(
    sqlite_client: runlab.RunlabClient, sqlite_uri: str
) -> None:
    pending = _pending(sqlite_client, sqlite_uri)
    threading.Timer(
        0.3, _set_status, (sqlite_uri, ModelVersionStatus.FAILED_REGISTRATION, "disk full")
    ).start()
    with pytest.raises(StorageError, match="failed to register: disk full"):
        sqlite_client.await_model_version_ready(pending, 10)


@pytest.mark.parametrize("bad", [-1, "soon", True])
def test_a_bad_wait_is_refused_before_anything_is_registered(
    sqlite_client: runlab.RunlabClient, bad: object
) -> None:
    with pytest.raises(InvalidInputError, match="await_registration_for: must be a number"):
        runlab.register_model("s3://b/m", "never", await_registration_for=bad)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        sqlite_client.get_registered_model("never")
    with pytest.raises(InvalidInputError, match="await_creation_for: must be a number"):
        sqlite_client.create_model_version("x", "s3://b/m", await_creation_for=bad)  # type: ignore[arg-type]
