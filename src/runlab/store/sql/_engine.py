"""Engines for SQLite and PostgreSQL, tuned for many writers.

SQLite runs in WAL mode. Every write transaction starts with ``BEGIN IMMEDIATE``
so two writers queue on the database lock up front instead of both reading and
then failing to upgrade (the case ``busy_timeout`` cannot resolve), and writes
from threads of one process go through one lock, so they queue in Python rather
than sleeping in SQLite's busy handler.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from runlab.errors import InvalidInputError, StorageError

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 60_000
_RETRIES = 8


def normalize_url(uri: str) -> str:
    """Pick our drivers: ``postgresql://`` means psycopg 3."""
    try:
        url = make_url(uri)
    except Exception as exc:  # SQLAlchemy raises ArgumentError with a terse message
        raise InvalidInputError(f"tracking URI {uri!r} is not a valid database URL") from exc
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def build_engine(uri: str) -> Engine:
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
    if url.get_backend_name() == "postgresql":
        return create_engine(
            url,
            pool_size=8,
            max_overflow=8,
            pool_timeout=30,
            pool_pre_ping=True,
            pool_recycle=1800,
            connect_args={"connect_timeout": 10},
        )
    raise InvalidInputError(
        f"tracking URI {uri!r}: database {url.get_backend_name()!r} is not supported "
        "(use sqlite:/// or postgresql://)"
    )


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control from pysqlite so that we can say BEGIN IMMEDIATE.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes in WAL
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA case_sensitive_like=ON")  # LIKE means LIKE; ILIKE is lower() LIKE
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = "IMMEDIATE" if conn.get_execution_options().get("runlab_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


def _is_transient(exc: DBAPIError) -> bool:
    text = str(exc.orig).lower()
    return any(
        s in text
        for s in (
            "database is locked",
            "database is busy",
            "deadlock detected",
            "could not serialize",
            "server closed the connection",
            "connection reset",
        )
    )


class Database:
    """One engine plus the read and write transaction helpers every query uses."""

    def __init__(self, uri: str) -> None:
        self.engine = build_engine(uri)
        self.dialect = self.engine.dialect.name
        self.is_sqlite = self.dialect == "sqlite"
        self._write_lock = threading.Lock() if self.is_sqlite else None

    @contextmanager
    def read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except OperationalError as exc:
            raise StorageError(f"reading from the database failed: {exc.orig}") from exc

    def write(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn`` in one write transaction; retried whole on lock or serialization errors."""
        for attempt in range(_RETRIES):
            try:
                if self._write_lock is None:
                    return self._write_once(fn)
                with self._write_lock:
                    return self._write_once(fn)
            except DBAPIError as exc:
                if not _is_transient(exc) or attempt == _RETRIES - 1:
                    if isinstance(exc, OperationalError):
                        raise StorageError(f"writing to the database failed: {exc.orig}") from exc
                    raise
                time.sleep(min(2.0, 0.02 * 2**attempt) * (0.5 + random.random()))
        raise AssertionError("unreachable")

    def _write_once(self, fn: Callable[[Connection], T]) -> T:
        with self.engine.connect() as conn:
            conn = conn.execution_options(runlab_write=True)
            with conn.begin():
                return fn(conn)

    def dispose(self) -> None:
        self.engine.dispose()
