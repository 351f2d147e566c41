"""Shared fixtures: real databases for every test, and isolation from the user's environment.

=========================  ==========  ===================================================
fixture                    scope       value
=========================  ==========  ===================================================
``postgres_server``        session     ``postgresql+psycopg://postgres@127.0.0.1:PORT``
``postgres_url_factory``   function    ``make()`` → URL of a new, empty database
``postgres_url``           function    ``postgresql+psycopg://postgres@127.0.0.1:PORT/DB``
``mysql_server``           session     ``mysql+pymysql://root@127.0.0.1:PORT`` (MariaDB)
``mysql_url_factory``      function    ``make()`` → URL of a new, empty MariaDB database
``mysql_url``              function    ``mysql+pymysql://root@127.0.0.1:PORT/DB``
``sqlite_uri``             function    ``sqlite:///<tmp_path>/runlab.db``
``store_uri``              function    SQLite or PostgreSQL (ids ``sqlite``, ``postgres``)
``database_uri``           function    SQLite, PostgreSQL or MariaDB (ids ``sqlite``,
                                       ``postgres``, ``mysql``): the migration tests
``s3_endpoint``            session     ``http://127.0.0.1:PORT`` of an S3-compatible server
``s3_admin``               session     a boto3 client of that server, to set up and inspect
``s3_bucket``              function    name of a new, empty bucket there (env points at it)
``fresh_fluent_state``     function    no active run, cached store or batcher, before or after
=========================  ==========  ===================================================

One PostgreSQL cluster serves the whole test run, xdist workers included. The controller
process creates a state directory in ``pytest_configure`` and hands its path to the workers
through ``workerinput``. The first process that needs PostgreSQL starts the cluster under a
file lock in that directory and records its port there; the others read it. The controller
stops the cluster and removes it in ``pytest_unconfigure``, after every worker has finished,
and at start-up it also reaps clusters left behind by runs that were killed.

Databases are dropped after each test, so a test may change its database freely.

Without PostgreSQL's binaries, tests that need the cluster fail with an install hint.
``RUNLAB_TEST_POSTGRES=0`` skips them instead, as an explicit choice. One MariaDB server
is shared the same way (``mysql.json`` in the state directory); ``RUNLAB_TEST_MYSQL=0``
skips its tests. Both come from one factory, ``_database_fixtures``, given a
``DatabaseServer`` (``POSTGRES``, ``MARIADB``) that says how to start, reach and stop it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

import _mysql
import _postgres

# Property tests check behaviour, not speed: on a loaded machine, slow example generation
# and slow examples are not failures (speed goals live in bench/).
settings.register_profile(
    "runlab",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("runlab")

_STATE_PREFIX = "runlab-pytest-"
_WORKERINPUT_KEY = "runlab_postgres_state"
_state_dir_key = pytest.StashKey[Path]()
_owns_state_key = pytest.StashKey[bool]()
_enabled_key = pytest.StashKey[dict[str, bool]]()  # DatabaseServer.name → not opted out


@dataclass(frozen=True)
class DatabaseServer:
    """One kind of database server the run shares: how to start, reach and stop it."""

    name: str  # the fixtures' prefix: ``<name>_server``, ``<name>_url_factory``, ``<name>_url``
    label: str
    opt_out_env: str  # =0 skips its tests
    state_file: str  # its description, in the run's state directory
    start: Callable[[], dict[str, Any]]
    stop: Callable[[dict[str, Any]], None]
    server_url: Callable[[dict[str, Any]], str]
    create_database: Callable[[str], str]
    drop_database: Callable[[str, str], None]
    error: type[Exception]  # what ``start`` raises when the server cannot be set up
    superuser: str


POSTGRES = DatabaseServer(
    "postgres", "PostgreSQL", "RUNLAB_TEST_POSTGRES", "cluster.json",
    _postgres.start_cluster, _postgres.stop_cluster, _postgres.server_url,
    _postgres.create_database, _postgres.drop_database, _postgres.ClusterError,
    "superuser ``postgres``, trust auth",
)  # fmt: skip
MARIADB = DatabaseServer(
    "mysql", "MariaDB", "RUNLAB_TEST_MYSQL", "mysql.json",
    _mysql.start_server, _mysql.stop_server, _mysql.server_url,
    _mysql.create_database, _mysql.drop_database, _mysql.ServerError,
    "superuser ``root``, no password, loopback",
)  # fmt: skip
DATABASE_SERVERS = (POSTGRES, MARIADB)


# --- hooks: who owns the shared state --------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    # Read before any test runs: the isolation fixture removes RUNLAB_* variables.
    config.stash[_enabled_key] = {
        db.name: os.environ.get(db.opt_out_env) != "0" for db in DATABASE_SERVERS
    }
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    if workerinput is not None and _WORKERINPUT_KEY in workerinput:
        config.stash[_state_dir_key] = Path(workerinput[_WORKERINPUT_KEY])
        config.stash[_owns_state_key] = False
        return
    _reap_abandoned_runs()
    state = Path(tempfile.mkdtemp(prefix=_STATE_PREFIX))
    (state / "owner").write_text(f"{socket.gethostname()} {os.getpid()}")
    config.stash[_state_dir_key] = state
    config.stash[_owns_state_key] = True


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist, in the controller: tell each worker where the shared state lives."""
    node.workerinput[_WORKERINPUT_KEY] = str(node.config.stash[_state_dir_key])


def pytest_unconfigure(config: pytest.Config) -> None:
    if config.stash.get(_owns_state_key, False):
        _remove_run(config.stash[_state_dir_key])


# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _isolate_from_user_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No RUNLAB_* settings leak in, and the default ``./runlab/`` store lands in tmp_path."""
    for name in list(os.environ):
        if name.startswith("RUNLAB_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def fresh_fluent_state() -> Iterator[None]:
    """The test starts and ends with no active run and no cached store or batcher; a
    folder whose tests use the fluent API requests it from an autouse fixture."""
    from runlab.store import uri as store_uri
    from runlab.tracking import _batching, fluent

    fluent._reset_for_tests()
    yield
    fluent._reset_for_tests()
    _batching.close_all()
    store_uri.close_all()


def _database_fixtures(db: DatabaseServer) -> tuple[Any, Any, Any]:
    """The three fixtures of one database server, named after ``db.name``."""

    def server(request: pytest.FixtureRequest) -> str:
        config = request.config
        if not config.stash[_enabled_key][db.name]:
            pytest.skip(f"{db.opt_out_env}=0: {db.label} tests are disabled")
        state = config.stash[_state_dir_key]
        with _locked(state / "lock"):
            info = _read_json(state / db.state_file)
            if info is None:
                try:
                    info = db.start()
                except db.error as exc:
                    info = {"error": str(exc)}
                _write_json(state / db.state_file, info)
        if "error" in info:
            pytest.fail(info["error"], pytrace=False)
        return db.server_url(info)

    def url_factory(request: pytest.FixtureRequest) -> Iterator[Callable[[], str]]:
        base = str(request.getfixturevalue(f"{db.name}_server"))
        created: list[str] = []

        def make() -> str:
            url = db.create_database(base)
            created.append(url.rsplit("/", 1)[1])
            return url

        yield make

        for name in created:
            db.drop_database(base, name)

    def url(request: pytest.FixtureRequest) -> str:
        make: Callable[[], str] = request.getfixturevalue(f"{db.name}_url_factory")
        return make()

    server.__doc__ = f"Base URL of the run's {db.label} server ({db.superuser})."
    url_factory.__doc__ = (
        "``make()`` creates an empty database and returns its URL; all are dropped afterwards."
    )
    url.__doc__ = f"A fresh, empty {db.label} database of its own."
    return (
        pytest.fixture(scope="session", name=f"{db.name}_server")(server),
        pytest.fixture(name=f"{db.name}_url_factory")(url_factory),
        pytest.fixture(name=f"{db.name}_url")(url),
    )


postgres_server, postgres_url_factory, postgres_url = _database_fixtures(POSTGRES)
mysql_server, mysql_url_factory, mysql_url = _database_fixtures(MARIADB)


@pytest.fixture
def sqlite_uri(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'runlab.db'}"


@pytest.fixture(
    params=[
        pytest.param("sqlite_uri", id="sqlite"),
        pytest.param("postgres_url", id="postgres", marks=pytest.mark.postgres),
    ]
)
def store_uri(request: pytest.FixtureRequest) -> str:
    """A backend URI for an empty store; tests that take it run once per database."""
    return str(request.getfixturevalue(request.param))


@pytest.fixture(
    params=[
        pytest.param("sqlite_uri", id="sqlite"),
        pytest.param("postgres_url", id="postgres", marks=pytest.mark.postgres),
        pytest.param("mysql_url", id="mysql", marks=pytest.mark.mysql),
    ]
)
def database_uri(request: pytest.FixtureRequest) -> str:
    """An empty database of every kind runlab supports, MariaDB included."""
    return str(request.getfixturevalue(request.param))


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """URL of a real S3-compatible server (moto's, in a subprocess) for the whole session."""
    import _s3

    server = _s3.start_server()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def s3_admin(s3_endpoint: str) -> Any:
    """A boto3 client of the test server, apart from runlab's, to set up and inspect buckets."""
    import _s3

    return _s3.admin_client(s3_endpoint)


@pytest.fixture
def s3_bucket(s3_admin: Any, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A new, empty bucket; the environment points runlab (and boto3) at the test server
    with test credentials, and hides the user's AWS configuration."""
    import _s3

    for name in list(os.environ):
        if name.startswith("AWS_") or name == "MLFLOW_S3_ENDPOINT_URL":
            monkeypatch.delenv(name)
    for name, value in _s3.TEST_ENV.items():
        monkeypatch.setenv(name, value)
    # Empty files, the same for every test: one shared client serves them all.
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("RUNLAB_S3_ENDPOINT_URL", s3_endpoint)
    bucket = _s3.new_bucket(s3_admin)
    yield bucket
    _s3.drop_bucket(s3_admin, bucket)


# --- shared state of one run ------------------------------------------------------------


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return dict(json.loads(path.read_text()))
    except FileNotFoundError:
        return None


def _write_json(path: Path, value: dict[str, Any]) -> None:
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(value))
    partial.replace(path)


def _remove_run(state: Path) -> None:
    for db in DATABASE_SERVERS:
        with contextlib.suppress(OSError, ValueError):
            info = _read_json(state / db.state_file)
            if info is not None:
                db.stop(info)
    shutil.rmtree(state, ignore_errors=True)


def _reap_abandoned_runs() -> None:
    """Stop clusters of earlier runs on this host whose controller process is gone."""
    host = socket.gethostname()
    for state in Path(tempfile.gettempdir()).glob(f"{_STATE_PREFIX}*"):
        try:
            owner_host, owner_pid = (state / "owner").read_text().split()
            pid = int(owner_pid)
        except (OSError, ValueError):
            continue
        if owner_host != host or _process_exists(pid):
            continue
        _remove_run(state)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
