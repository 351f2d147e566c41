"""The shared fixtures in conftest.py do what they promise."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg
import pytest
import sqlalchemy
from tests._local_server import start_local_server


def _conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def test_postgres_url_accepts_connections(postgres_url: str) -> None:
    assert postgres_url.startswith("postgresql+psycopg://postgres@127.0.0.1:")
    with psycopg.connect(_conninfo(postgres_url)) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
        (encoding,) = conn.execute("SHOW server_encoding").fetchone() or ("",)
    assert encoding == "UTF8"


def test_postgres_url_is_a_fresh_database_of_its_own(
    postgres_url: str, postgres_url_factory: Callable[[], str]
) -> None:
    other = postgres_url_factory()
    assert other != postgres_url
    assert other.rsplit("/", 1)[0] == postgres_url.rsplit("/", 1)[0]
    with psycopg.connect(_conninfo(postgres_url), autocommit=True) as conn:
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        assert tables.fetchone() == (0,)
        conn.execute("CREATE TABLE only_here (x int)")
    with psycopg.connect(_conninfo(other)) as conn:
        found = conn.execute("SELECT to_regclass('public.only_here')").fetchone()
    assert found == (None,)


@pytest.mark.parametrize("round_", [1, 2])
def test_postgres_server_is_shared(postgres_server: str, round_: int) -> None:
    with psycopg.connect(_conninfo(postgres_server) + "/postgres") as conn:
        row = conn.execute("SELECT current_setting('fsync'), current_user").fetchone()
    assert row == ("off", "postgres")


def test_store_uri_yields_a_working_backend(
    store_uri: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    kind = request.node.callspec.id
    if kind == "sqlite":
        assert store_uri == f"sqlite:///{tmp_path / 'runlab.db'}"
        assert request.node.get_closest_marker("postgres") is None
    else:
        assert kind == "postgres"
        assert store_uri.startswith("postgresql+psycopg://")
        assert request.node.get_closest_marker("postgres") is not None
    engine = sqlalchemy.create_engine(store_uri)
    try:
        with engine.connect() as conn:
            assert conn.execute(sqlalchemy.text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()


def test_store_uri_covers_both_databases(request: pytest.FixtureRequest) -> None:
    module = request.node.parent
    ids = {
        item.callspec.id
        for item in module.collect()
        if getattr(item, "originalname", None) == "test_store_uri_yields_a_working_backend"
    }
    assert ids == {"sqlite", "postgres"}


def test_tests_are_isolated_from_the_environment(tmp_path: Path) -> None:
    assert Path.cwd() == tmp_path
    assert not [name for name in os.environ if name.startswith("RUNLAB_")]


def test_local_server_is_started_on_a_free_port_and_answers() -> None:
    server = start_local_server(
        lambda port: [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        name="a file server",
    )
    try:
        assert httpx.get(server.url + "/", timeout=10).status_code == 200
    finally:
        server.stop()
    assert server.process.returncode is not None
    assert server.log.closed


def test_a_local_server_that_exits_is_retried_then_named_with_its_output() -> None:
    ports: list[int] = []

    def command(port: int) -> list[str]:
        ports.append(port)
        return [sys.executable, "-c", f"print('no luck on {port}')"]

    with pytest.raises(RuntimeError, match=r"the flaky server did not start:\nno luck on \d+"):
        start_local_server(command, name="the flaky server", attempts=2)
    assert len(ports) == 2
