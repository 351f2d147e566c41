"""Engines for SQLite, PostgreSQL and MySQL/MariaDB, tuned for many writers.

SQLite runs in WAL mode. Every write transaction starts with ``BEGIN IMMEDIATE``
so two writers queue on the database lock up front instead of both reading and
then failing to upgrade (the case ``busy_timeout`` cannot resolve), and writes
from threads of one process go through one lock, so they queue in Python rather
than sleeping in SQLite's busy handler.

PostgreSQL and MySQL, usually behind a team server, get a bounded connection pool whose
connections are checked before use and replaced after a while, a connect timeout,
and an optional statement timeout. MySQL sessions run in READ COMMITTED (PostgreSQL's
default: fewer gap locks, so concurrent upserts of different keys do not deadlock) with
a strict, standard ``sql_mode``: ``"`` quotes identifiers, backslashes in string
literals are plain characters, and bad values are refused instead of truncated.
:class:`PoolSettings` holds the pool's settings; by default they come from these
environment variables:

==================================  =======  ==============================================
variable                            default  meaning
==================================  =======  ==============================================
``RUNLAB_SQL_POOL_SIZE``            10       connections kept open per process
``RUNLAB_SQL_MAX_OVERFLOW``         10       extra connections opened under load, then closed
``RUNLAB_SQL_POOL_TIMEOUT``         30       seconds to wait for a free connection
``RUNLAB_SQL_POOL_RECYCLE``         1800     seconds before a connection is replaced
``RUNLAB_SQL_CONNECT_TIMEOUT``      10       seconds to wait for the server to answer
``RUNLAB_SQL_STATEMENT_TIMEOUT_MS`` 0 (off)  longest a statement may run, in milliseconds
==================================  =======  ==============================================
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import URL, Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from runlab import environment_variables as env
from runlab.errors import InvalidInputError, StorageError

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 60_000
_RETRIES = 8


@dataclass(frozen=True)
class PoolSettings:
    """Connection pool and timeouts of a PostgreSQL engine (SQLite keeps its own tuning).

    At most ``pool_size + max_overflow`` connections are open per process; a caller
    waits up to ``pool_timeout`` seconds for one, then gets a StorageError.
    ``statement_timeout_ms`` 0 means no limit.
    """

    pool_size: int = 10
    max_overflow: int = 10
    pool_timeout: float = 30.0
    pool_recycle: int = 1800
    connect_timeout: int = 10
    statement_timeout_ms: int = 0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PoolSettings:
        return cls(
            pool_size=env.RUNLAB_SQL_POOL_SIZE.get(environ),
            max_overflow=env.RUNLAB_SQL_MAX_OVERFLOW.get(environ),
            pool_timeout=env.RUNLAB_SQL_POOL_TIMEOUT.get(environ),
            pool_recycle=env.RUNLAB_SQL_POOL_RECYCLE.get(environ),
            connect_timeout=env.RUNLAB_SQL_CONNECT_TIMEOUT.get(environ),
            statement_timeout_ms=env.RUNLAB_SQL_STATEMENT_TIMEOUT_MS.get(environ),
        )


def normalize_url(uri: str) -> str:
    """Pick our drivers: ``postgresql://`` means psycopg 3, ``mysql://`` PyMySQL (utf8mb4)."""
    try:
        url = make_url(uri)
    except Exception as exc:  # SQLAlchemy raises ArgumentError with a terse message
        raise InvalidInputError(f"tracking URI {uri!r} is not a valid database URL") from exc
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.drivername in ("mysql", "mariadb", "mariadb+pymysql"):
        url = url.set(drivername="mysql+pymysql")  # one dialect name, "mysql", for both
    if url.get_backend_name() in ("mysql", "mariadb") and "charset" not in url.query:
        url = url.update_query_dict({"charset": "utf8mb4"})  # MySQL's "utf8" has 3 bytes
    return url.render_as_string(hide_password=False)


def build_engine(uri: str, settings: PoolSettings | None = None) -> Engine:
    """An engine for ``uri``; ``settings`` (PostgreSQL only) default to the environment."""
    url = make_url(normalize_url(uri))
    if url.get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            pool_size=8,
            max_overflow=8,
        )
        _tune_sqlite(engine)
        return engine
    if url.get_backend_name() in ("mysql", "mariadb"):
        from runlab.store.sql import _mysql

        return _mysql.build_engine(url, settings or PoolSettings.from_env())
    if url.get_backend_name() == "postgresql":
        settings = settings or PoolSettings.from_env()
        engine = create_engine(
            url,
            pool_size=settings.pool_size,
            max_overflow=settings.max_overflow,
            pool_timeout=settings.pool_timeout,
            # A connection the server or a proxy dropped is noticed before use, not mid-query.
            pool_pre_ping=True,
            pool_recycle=settings.pool_recycle,
            connect_args={"connect_timeout": settings.connect_timeout},
        )
        if settings.statement_timeout_ms:
            _set_statement_timeout(engine, settings.statement_timeout_ms)
        return engine
    raise InvalidInputError(
        f"tracking URI {uri!r}: database {url.get_backend_name()!r} is not supported "
        "(use sqlite:///, postgresql:// or mysql://)"
    )


def _set_statement_timeout(engine: Engine, milliseconds: int) -> None:
    # A SET per new connection rather than the libpq "options" startup parameter, which
    # connection poolers such as PgBouncer refuse.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        autocommit = dbapi_conn.autocommit
        dbapi_conn.autocommit = True
        with dbapi_conn.cursor() as cur:
            cur.execute(f"SET statement_timeout = {int(milliseconds)}")
        dbapi_conn.autocommit = autocommit


def describe_database(url: URL) -> str:
    """``PostgreSQL database 'db' on host:port as user 'u'``: never the password."""
    backend = url.get_backend_name()
    kind = {"postgresql": "PostgreSQL", "mysql": "MySQL", "mariadb": "MariaDB"}.get(
        backend, backend
    )
    port = url.port or (3306 if backend in ("mysql", "mariadb") else 5432)
    where = f"{url.host or 'localhost'}:{port}"
    user = f" as user {url.username!r}" if url.username else ""
    return f"{kind} database {url.database or ''!r} on {where}{user}"


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control from pysqlite so that we can say BEGIN IMMEDIATE.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes in WAL
        # Copy the WAL into the database every 10,000 pages (about 40 MB) rather than every
        # 1,000: pages that consecutive writes touch again (the growing ends of the metric
        # indexes) are copied once instead of each time, and the copies sync ten times less.
        cur.execute("PRAGMA wal_autocheckpoint=10000")
        # Read the database file through a memory map: a search right after writes (whose
        # commits empty each connection's page cache) finds its pages without a read()
        # and a copy apiece. Only address space: the pages are the OS's cached file.
        cur.execute("PRAGMA mmap_size=268435456")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA case_sensitive_like=ON")  # LIKE means LIKE; ILIKE is lower() LIKE
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = "IMMEDIATE" if conn.get_execution_options().get("runlab_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


def _is_unique_violation(exc: IntegrityError) -> bool:
    if getattr(exc.orig, "sqlstate", None) == "23505":  # PostgreSQL's unique_violation
        return True
    if getattr(exc.orig, "args", (None,))[:1] == (1062,):  # MySQL's ER_DUP_ENTRY
        return True
    return "unique constraint failed" in str(exc.orig).lower()  # SQLite


def _is_transient(exc: DBAPIError) -> bool:
    text = str(exc.orig).lower()
    return any(
        s in text
        for s in (
            "database is locked",
            "database is busy",
            "deadlock detected",
            "deadlock found",  # MySQL
            "lock wait timeout exceeded",  # MySQL
            "server has gone away",  # MySQL
            "lost connection to",  # MySQL
            "could not serialize",
            "server closed the connection",
            "connection reset",
        )
    )


class Database:
    """One engine plus the read and write transaction helpers every query uses."""

    def __init__(self, uri: str, settings: PoolSettings | None = None) -> None:
        backend = make_url(normalize_url(uri)).get_backend_name()
        if settings is None and backend in ("postgresql", "mysql", "mariadb"):
            settings = PoolSettings.from_env()
        self.settings = settings
        self.engine = build_engine(uri, settings)
        self.dialect = self.engine.dialect.name
        self.is_sqlite = self.dialect == "sqlite"
        self._write_lock = threading.Lock() if self.is_sqlite else None

    @contextmanager
    def read(self) -> Iterator[Connection]:
        try:
            with self._connect() as conn:
                yield conn
        except OperationalError as exc:
            raise StorageError(f"reading from the database failed: {self._reason(exc)}") from exc

    def _connect(self) -> Connection:
        """A pooled connection, or a StorageError saying which database and why not."""
        try:
            return self.engine.connect()
        except PoolTimeoutError as exc:
            if self.settings is None:
                raise StorageError(f"no database connection became free: {exc}") from exc
            most = self.settings.pool_size + self.settings.max_overflow
            raise StorageError(
                f"all {most} connections to {describe_database(self.engine.url)} are in use "
                f"and none was freed within {self.settings.pool_timeout:g} seconds; raise "
                f"{env.RUNLAB_SQL_POOL_SIZE.name} or {env.RUNLAB_SQL_MAX_OVERFLOW.name} "
                "(and the server's max_connections), "
                "or find what holds them"
            ) from exc
        except DBAPIError as exc:
            if self.is_sqlite:
                raise
            raise StorageError(
                f"cannot connect to {describe_database(self.engine.url)}: {self._reason(exc)}"
            ) from exc

    def _reason(self, exc: DBAPIError) -> str:
        reason = str(exc.orig).strip()
        if "statement timeout" in reason or "max_statement_time" in reason:
            reason += f" (the limit is set by {env.RUNLAB_SQL_STATEMENT_TIMEOUT_MS.name})"
        password = self.engine.url.password
        if password:
            reason = reason.replace(str(password), "***")
        return reason

    def write(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn`` in one write transaction; retried whole on lock or serialization errors.

        A unique-key violation is retried once too. Writers check before they insert
        (``experiment 'x' already exists``), but on PostgreSQL two transactions can pass
        the check at the same time, and the second insert then hits the constraint. Run
        again, the check sees the committed row and raises the error it was written to.
        """
        unique_retried = False
        for attempt in range(_RETRIES):
            try:
                if self._write_lock is None:
                    return self._write_once(fn)
                with self._write_lock:
                    return self._write_once(fn)
            except IntegrityError as exc:
                if unique_retried or not _is_unique_violation(exc):
                    raise
                unique_retried = True
            except DBAPIError as exc:
                if not _is_transient(exc) or attempt == _RETRIES - 1:
                    if isinstance(exc, OperationalError):
                        raise StorageError(
                            f"writing to the database failed: {self._reason(exc)}"
                        ) from exc
                    raise
                time.sleep(min(2.0, 0.02 * 2**attempt) * (0.5 + random.random()))
        raise AssertionError("unreachable")

    def _write_once(self, fn: Callable[[Connection], T]) -> T:
        with self._connect() as conn:
            conn = conn.execution_options(runlab_write=True)
            with conn.begin():
                return fn(conn)

    def dispose(self) -> None:
        self.engine.dispose()
