"""PostgreSQL for a team server: a bounded pool, timeouts and clear connection errors,
against the real test cluster."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from _local_server import free_port
from runlab.errors import ConfigurationError, StorageError
from runlab.store.sql._engine import Database, PoolSettings
from runlab.store.sql.store import SqlStore

pytestmark = pytest.mark.postgres


@pytest.fixture
def open_connections(postgres_url: str) -> Iterator[Any]:
    """``count()``: client connections to the test database, seen by the server itself."""
    name = make_url(postgres_url).database
    admin = create_engine(postgres_url.rsplit("/", 1)[0] + "/postgres")

    def count() -> int:
        with admin.connect() as conn:
            return int(
                conn.execute(
                    text("SELECT count(*) FROM pg_stat_activity WHERE datname = :d"), {"d": name}
                ).scalar_one()
            )

    yield count
    admin.dispose()


def settles_at(count: Any, expected: int, timeout: float = 30.0) -> bool:
    """A closed connection's server process exits a moment later, not at once."""
    deadline = time.monotonic() + timeout
    while count() != expected:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_the_pool_is_bounded(postgres_url: str, open_connections: Any) -> None:
    db = Database(postgres_url, PoolSettings(pool_size=2, max_overflow=1, pool_timeout=0.5))
    try:
        with contextlib.ExitStack() as held:
            for _ in range(3):
                held.enter_context(db.read()).execute(text("SELECT 1"))
            assert open_connections() == 3
            with (
                pytest.raises(
                    StorageError,
                    match=r"all 3 connections to PostgreSQL database 'test_\w+' on "
                    r"127\.0\.0\.1:\d+ as user 'postgres' are in use and none was freed "
                    r"within 0\.5 seconds; raise RUNLAB_SQL_POOL_SIZE or RUNLAB_SQL_MAX_OVERFLOW",
                ),
                db.read(),
            ):
                pass
            with pytest.raises(StorageError, match="all 3 connections"):
                db.write(lambda conn: conn.execute(text("SELECT 1")))
            assert open_connections() == 3
        # Returned: the overflow connection is closed, the pool keeps pool_size open.
        assert settles_at(open_connections, 2)
        assert db.write(lambda conn: conn.execute(text("SELECT 41 + 1")).scalar_one()) == 42
    finally:
        db.dispose()
    assert settles_at(open_connections, 0)


def test_pool_settings_come_from_the_environment(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, open_connections: Any
) -> None:
    monkeypatch.setenv("RUNLAB_SQL_POOL_SIZE", "1")
    monkeypatch.setenv("RUNLAB_SQL_MAX_OVERFLOW", "0")
    monkeypatch.setenv("RUNLAB_SQL_POOL_TIMEOUT", "0.2")
    monkeypatch.setenv("RUNLAB_SQL_POOL_RECYCLE", "600")
    monkeypatch.setenv("RUNLAB_SQL_CONNECT_TIMEOUT", "3")
    store = SqlStore(postgres_url, "file:///tmp/unused-artifacts")
    try:
        assert store.db.settings == PoolSettings(
            pool_size=1, max_overflow=0, pool_timeout=0.2, pool_recycle=600, connect_timeout=3
        )
        with store.db.read() as conn:
            conn.execute(text("SELECT 1"))
            with pytest.raises(StorageError, match="all 1 connections .* within 0.2 seconds"):
                store.search_experiments()
        assert len(store.search_experiments()) == 1  # the default experiment
        assert open_connections() == 1
    finally:
        store.close()


def test_defaults_leave_statements_unlimited(postgres_url: str) -> None:
    assert PoolSettings.from_env({}) == PoolSettings()
    db = Database(postgres_url)
    try:
        with db.read() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "0"
    finally:
        db.dispose()


def test_a_statement_timeout_applies(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNLAB_SQL_STATEMENT_TIMEOUT_MS", "200")
    db = Database(postgres_url)
    try:
        with db.read() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "200ms"
        with (
            pytest.raises(
                StorageError,
                match=r"reading from the database failed: canceling statement due to statement "
                r"timeout.*\(the limit is set by RUNLAB_SQL_STATEMENT_TIMEOUT_MS\)",
            ),
            db.read() as conn,
        ):
            conn.execute(text("SELECT pg_sleep(30)"))
        with pytest.raises(StorageError, match="writing to the database failed: canceling"):
            db.write(lambda conn: conn.execute(text("SELECT pg_sleep(30)")))
        # The connection that timed out is usable again, with the same limit.
        assert db.write(lambda conn: conn.execute(text("SHOW statement_timeout")).scalar_one()) == (
            "200ms"
        )
    finally:
        db.dispose()


def test_an_unreachable_database_is_named_without_its_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RUNLAB_SQL_CONNECT_TIMEOUT", "2")
    port = free_port()
    url = f"postgresql://runlab:s3cr3t-pw@127.0.0.1:{port}/tracking"
    with pytest.raises(StorageError) as caught:
        SqlStore(url, "file:///tmp/unused-artifacts")
    message = str(caught.value)
    assert message.startswith(
        f"cannot connect to PostgreSQL database 'tracking' on 127.0.0.1:{port} as user 'runlab': "
    )
    assert "Connection refused" in message or "connection failed" in message
    assert "s3cr3t-pw" not in message


def test_a_wrong_database_name_is_named(postgres_url: str) -> None:
    url = postgres_url.rsplit("/", 1)[0] + "/no_such_database"
    with pytest.raises(
        StorageError,
        match=r"cannot connect to PostgreSQL database 'no_such_database' on 127\.0\.0\.1:\d+ "
        r"as user 'postgres': .*does not exist",
    ):
        SqlStore(url, "file:///tmp/unused-artifacts")


@pytest.mark.parametrize(
    ("variable", "value", "match"),
    [
        ("RUNLAB_SQL_POOL_SIZE", "0", "is not a whole number of at least 1"),
        ("RUNLAB_SQL_POOL_SIZE", "ten", "is not a whole number of at least 1"),
        ("RUNLAB_SQL_MAX_OVERFLOW", "-1", "is not a whole number of at least 0"),
        ("RUNLAB_SQL_POOL_TIMEOUT", "0", "is not a positive number of seconds"),
        ("RUNLAB_SQL_POOL_TIMEOUT", "nan", "is not a positive number of seconds"),
        ("RUNLAB_SQL_POOL_RECYCLE", "1.5", "is not a whole number of at least 1"),
        ("RUNLAB_SQL_CONNECT_TIMEOUT", "0", "is not a whole number of at least 1"),
        ("RUNLAB_SQL_STATEMENT_TIMEOUT_MS", "-5", "is not a whole number of at least 0"),
    ],
)
def test_bad_settings_name_the_variable(variable: str, value: str, match: str) -> None:
    with pytest.raises(ConfigurationError, match=f"{variable}='{value}' {match}"):
        PoolSettings.from_env({variable: value})
