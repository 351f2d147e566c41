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
skips its tests.
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

OPT_OUT_ENV = "RUNLAB_TEST_POSTGRES"
MYSQL_OPT_OUT_ENV = "RUNLAB_TEST_MYSQL"
_STATE_PREFIX = "runlab-pytest-"
_WORKERINPUT_KEY = "runlab_postgres_state"
_state_dir_key = pytest.StashKey[Path]()
_owns_state_key = pytest.StashKey[bool]()
_postgres_enabled_key = pytest.StashKey[bool]()
_mysql_enabled_key = pytest.StashKey[bool]()


# --- hooks: who owns the shared state --------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    # Read before any test runs: the isolation fixture removes RUNLAB_* variables.
    config.stash[_postgres_enabled_key] = os.environ.get(OPT_OUT_ENV) != "0"
    config.stash[_mysql_enabled_key] = os.environ.get(MYSQL_OPT_OUT_ENV) != "0"
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


@pytest.fixture(scope="session")
def postgres_server(request: pytest.FixtureRequest) -> str:
    """Base URL of the run's PostgreSQL cluster (superuser ``postgres``, trust auth)."""
    config = request.config
    if not config.stash[_postgres_enabled_key]:
        pytest.skip(f"{OPT_OUT_ENV}=0: PostgreSQL tests are disabled")
    state = config.stash[_state_dir_key]
    with _locked(state / "lock"):
        info = _read_json(state / "cluster.json")
        if info is None:
            try:
                info = _postgres.start_cluster()
            except _postgres.ClusterError as exc:
                info = {"error": str(exc)}
            _write_json(state / "cluster.json", info)
    if "error" in info:
        pytest.fail(info["error"], pytrace=False)
    return _postgres.server_url(info)


@pytest.fixture
def postgres_url_factory(postgres_server: str) -> Iterator[Callable[[], str]]:
    """``make()`` creates an empty database and returns its URL; all are dropped afterwards."""
    created: list[str] = []

    def make() -> str:
        url = _postgres.create_database(postgres_server)
        created.append(url.rsplit("/", 1)[1])
        return url

    yield make

    for name in created:
        _postgres.drop_database(postgres_server, name)


@pytest.fixture
def postgres_url(postgres_url_factory: Callable[[], str]) -> str:
    """A fresh, empty database of its own: ``postgresql+psycopg://postgres@127.0.0.1:PORT/DB``."""
    return postgres_url_factory()


@pytest.fixture(scope="session")
def mysql_server(request: pytest.FixtureRequest) -> str:
    """Base URL of the run's MariaDB server (superuser ``root``, no password, loopback)."""
    config = request.config
    if not config.stash[_mysql_enabled_key]:
        pytest.skip(f"{MYSQL_OPT_OUT_ENV}=0: MariaDB tests are disabled")
    state = config.stash[_state_dir_key]
    with _locked(state / "lock"):
        info = _read_json(state / "mysql.json")
        if info is None:
            try:
                info = _mysql.start_server()
            except _mysql.ServerError as exc:
                info = {"error": str(exc)}
            _write_json(state / "mysql.json", info)
    if "error" in info:
        pytest.fail(info["error"], pytrace=False)
    return _mysql.server_url(info)


@pytest.fixture
def mysql_url_factory(mysql_server: str) -> Iterator[Callable[[], str]]:
    """``make()`` creates an empty database and returns its URL; all are dropped afterwards."""
    created: list[str] = []

    def make() -> str:
        url = _mysql.create_database(mysql_server)
        created.append(url.rsplit("/", 1)[1])
        return url

    yield make

    for name in created:
        _mysql.drop_database(mysql_server, name)


@pytest.fixture
def mysql_url(mysql_url_factory: Callable[[], str]) -> str:
    """A fresh, empty MariaDB database of its own: ``mysql+pymysql://root@127.0.0.1:PORT/DB``."""
    return mysql_url_factory()


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
    with contextlib.suppress(OSError, ValueError):
        info = _read_json(state / "cluster.json")
        if info is not None:
            _postgres.stop_cluster(info)
    with contextlib.suppress(OSError, ValueError):
        info = _read_json(state / "mysql.json")
        if info is not None:
            _mysql.stop_server(info)
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
