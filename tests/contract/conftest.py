"""The store contract suite runs every test once per store implementation.

=========================  ========  ===================================================
fixture                    scope     value
=========================  ========  ===================================================
``contract_store``         function  a :class:`StoreUnderTest`, once per entry of
                                     :data:`STORES` (ids ``sqlite``, ``postgres``,
                                     ``mysql``, ``rest-inprocess``, ``rest-live``)
``logged_model_store``     function  the logged-model store of each entry that has one,
                                     with its tracking store
``names``                  function  unique names for this test's experiments and models
=========================  ========  ===================================================

Each store is made once per session (per xdist worker): a SQLite file, a PostgreSQL
database, a MariaDB database, a runlab app served by uvicorn on a thread of this process, and a
``runlab server`` subprocess. Tests share it and keep apart by unique names, so every
assertion about a search filters on this test's names.

A new store joins the suite with one entry in :data:`STORES` and the session fixture
it names.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from contract_support import Names, StoreUnderTest
from tests._servers import free_port, start_runlab_server

import _mysql
import _postgres
from runlab.store.base import TrackingStore
from runlab.store.logged_models_base import LoggedModelStore


@dataclass(frozen=True)
class Entry:
    kind: str  # the test id
    fixture: str  # the session fixture giving its StoreUnderTest
    logged_models: bool = True  # whether its client keeps MLflow 3 logged models
    marks: tuple[pytest.MarkDecorator, ...] = ()


STORES = (
    Entry("sqlite", "sqlite_contract_store"),
    Entry("postgres", "postgres_contract_store", marks=(pytest.mark.postgres,)),
    Entry("mysql", "mysql_contract_store", marks=(pytest.mark.mysql,)),
    # The REST store has no logged-model client (the server's routes have no caller here).
    Entry("rest-inprocess", "rest_inprocess_contract_store"),
    Entry("rest-live", "rest_live_contract_store"),
)


def _params(entries: list[Entry]) -> list[object]:
    return [pytest.param(e.fixture, id=e.kind, marks=e.marks) for e in entries]


@pytest.fixture(params=_params(list(STORES)))
def contract_store(request: pytest.FixtureRequest) -> StoreUnderTest:
    found = request.getfixturevalue(request.param)
    assert isinstance(found, StoreUnderTest)
    return found


@pytest.fixture(params=_params([e for e in STORES if e.logged_models]))
def logged_model_store(request: pytest.FixtureRequest) -> tuple[LoggedModelStore, TrackingStore]:
    """The logged-model store of each store that has one, with its tracking store."""
    found = request.getfixturevalue(request.param)
    assert isinstance(found, StoreUnderTest)
    assert found.logged_models is not None, f"{found.kind} has no logged-model store"
    return found.logged_models, found.tracking


@pytest.fixture
def names() -> Names:
    return Names(f"c{uuid.uuid4().hex[:12]}")


# ------------------------------------------------------------------ SQL stores


def _sql_store(kind: str, uri: str, root: Path) -> StoreUnderTest:
    from runlab.store.sql.logged_models import SqlLoggedModelStore
    from runlab.store.sql.registry import SqlRegistryStore
    from runlab.store.sql.store import SqlStore

    artifact_root = root.as_uri()

    def reopen() -> TrackingStore:
        return SqlStore(uri, artifact_root)

    store = SqlStore(uri, artifact_root)
    return StoreUnderTest(
        kind=kind,
        tracking=store,
        registry=SqlRegistryStore(store.db),
        logged_models=SqlLoggedModelStore(store.db),
        database=True,
        reopen=reopen,
        reopen_registry=lambda: SqlRegistryStore(store.db),  # shares the database
    )


@pytest.fixture(scope="session")
def sqlite_contract_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreUnderTest]:
    folder = tmp_path_factory.mktemp("contract-sqlite")
    found = _sql_store("sqlite", f"sqlite:///{folder / 'runlab.db'}", folder / "artifacts")
    yield found
    found.tracking.close()


@pytest.fixture(scope="session")
def postgres_contract_store(
    postgres_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StoreUnderTest]:
    url = _postgres.create_database(postgres_server, prefix="contract")
    found = _sql_store("postgres", url, tmp_path_factory.mktemp("contract-postgres") / "artifacts")
    yield found
    found.tracking.close()
    _postgres.drop_database(postgres_server, url.rsplit("/", 1)[1])


@pytest.fixture(scope="session")
def mysql_contract_store(
    mysql_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StoreUnderTest]:
    url = _mysql.create_database(mysql_server, prefix="contract")
    found = _sql_store("mysql", url, tmp_path_factory.mktemp("contract-mysql") / "artifacts")
    yield found
    found.tracking.close()
    _mysql.drop_database(mysql_server, url.rsplit("/", 1)[1])


# ------------------------------------------------------------------ REST stores


def _rest_store(kind: str, base_url: str) -> StoreUnderTest:
    from runlab.store.rest import RestStore
    from runlab.store.rest.logged_models import RestLoggedModelStore
    from runlab.store.rest.registry import RestRegistryStore

    with pytest.MonkeyPatch.context() as env:
        # A failing call in a test fails at once instead of backing off for minutes.
        env.setenv("RUNLAB_HTTP_MAX_RETRIES", "1")
        env.setenv("RUNLAB_HTTP_BACKOFF_FACTOR", "0.05")
        store, registry = RestStore(base_url), RestRegistryStore(base_url)
        logged_models = RestLoggedModelStore(base_url)

    return StoreUnderTest(
        kind=kind,
        tracking=store,
        registry=registry,
        logged_models=logged_models,
        database=False,
        reopen=lambda: RestStore(base_url),
        reopen_registry=lambda: RestRegistryStore(base_url),
    )


@contextlib.contextmanager
def _serve_in_thread(app: object) -> Iterator[str]:
    """The ASGI ``app`` on a loopback port, served by uvicorn on a thread of this process."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped while starting"
        assert time.monotonic() < deadline, "uvicorn did not start in time"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="session")
def rest_inprocess_contract_store(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[StoreUnderTest]:
    from runlab.server.app import create_app
    from runlab.server.settings import ServerSettings
    from runlab.store.rest._http import close_pools
    from runlab.store.sql.store import SqlStore

    folder = tmp_path_factory.mktemp("contract-rest-inprocess")
    uri = f"sqlite:///{folder / 'runlab.db'}"
    settings = ServerSettings(backend_store_uri=uri, artifacts_destination=str(folder / "proxy"))
    backing = SqlStore(uri, settings.store_artifact_root() or folder.as_uri())
    with _serve_in_thread(create_app(backing, settings)) as base_url:
        yield _rest_store("rest-inprocess", base_url)
        close_pools()
    backing.close()


@pytest.fixture(scope="session")
def rest_live_contract_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreUnderTest]:
    from runlab.store.rest._http import close_pools

    folder = tmp_path_factory.mktemp("contract-rest-live")
    with start_runlab_server(folder) as (base_url, _process):
        yield _rest_store("rest-live", base_url)
        close_pools()
