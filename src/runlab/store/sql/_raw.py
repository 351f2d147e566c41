"""Plain SQL on the connection's DBAPI cursor, for the statements run on every write.

SQLAlchemy Core spends about 50 times longer preparing a small statement than SQLite
spends running it (building the expression, its cache key, the parameter dictionaries),
so the few statements of the hot paths (create a run, log a batch, end a run) are
written once as SQL text that SQLite and PostgreSQL both accept. They run inside the
caller's transaction on the same connection; driver errors are wrapped as SQLAlchemy
errors, so the retry and error handling of :class:`~runlab.store.sql._engine.Database`
applies to them unchanged. Statements use ``?`` placeholders, rewritten to ``%s`` for
drivers that want those (so no statement may contain a literal ``?`` or ``%``); on
MySQL the reserved column name ``key`` is quoted (see :mod:`._mysql`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from itertools import chain
from typing import Any, cast

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError


@lru_cache(maxsize=256)
def _for_driver(sql: str, paramstyle: str, dialect: str) -> str:
    if dialect == "mysql":
        from runlab.store.sql._mysql import quote_reserved

        sql = quote_reserved(sql)
    return sql if paramstyle == "qmark" else sql.replace("?", "%s")


def _cursor(conn: Connection) -> Any:
    return conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]


def _wrap(conn: Connection, sql: str, params: Any, exc: Exception) -> DBAPIError:
    base = conn.dialect.loaded_dbapi.Error
    wrapped = DBAPIError.instance(sql, params, exc, base, dialect=conn.dialect)
    return cast("DBAPIError", wrapped)  # a DBAPI error always wraps as one


def fetch(conn: Connection, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Every row of one statement."""
    sql = _for_driver(sql, conn.dialect.paramstyle, conn.dialect.name)
    cur = _cursor(conn)
    try:
        cur.execute(sql, tuple(params))
        return cur.fetchall() if cur.description is not None else []
    except conn.dialect.loaded_dbapi.Error as exc:
        raise _wrap(conn, sql, params, exc) from exc
    finally:
        cur.close()


def stream(
    conn: Connection, sql: str, params: Sequence[Any], size: int
) -> Iterator[tuple[Any, ...]]:
    """The rows of one statement, fetched ``size`` at a time rather than all at once."""
    sql = _for_driver(sql, conn.dialect.paramstyle, conn.dialect.name)
    cur = _cursor(conn)
    try:
        cur.execute(sql, tuple(params))
        while rows := cur.fetchmany(size):
            yield from rows
    except conn.dialect.loaded_dbapi.Error as exc:
        raise _wrap(conn, sql, params, exc) from exc
    finally:
        cur.close()


def run(conn: Connection, sql: str, params: Sequence[Any] = ()) -> int:
    """Run one statement; the number of rows it changed."""
    sql = _for_driver(sql, conn.dialect.paramstyle, conn.dialect.name)
    cur = _cursor(conn)
    try:
        cur.execute(sql, tuple(params))
        return int(cur.rowcount)
    except conn.dialect.loaded_dbapi.Error as exc:
        raise _wrap(conn, sql, params, exc) from exc
    finally:
        cur.close()


def run_many(conn: Connection, sql: str, rows: Iterable[Sequence[Any]]) -> int:
    """Run one statement per row (``executemany``); the rows changed, or -1 if unknown."""
    sql = _for_driver(sql, conn.dialect.paramstyle, conn.dialect.name)
    cur = _cursor(conn)
    try:
        cur.executemany(sql, rows)
        return int(cur.rowcount)
    except conn.dialect.loaded_dbapi.Error as exc:
        raise _wrap(conn, sql, None, exc) from exc
    finally:
        cur.close()


@lru_cache(maxsize=32)
def _values_statement(head: str, tail: str, rows: int, width: int) -> str:
    group = f"({', '.join('?' * width)})"
    return f"{head} VALUES {', '.join([group] * rows)}{tail}"


def insert_values(
    conn: Connection, head: str, tail: str, rows: Sequence[Sequence[Any]], per_statement: int
) -> None:
    """``head VALUES (…), (…), … tail`` for ``rows``, ``per_statement`` rows at a time.

    One statement for many rows, rather than ``executemany``, keeps the database's index
    cursors open from one row to the next, so rows given in index order are each placed
    next to the one before instead of being sought from the root."""
    if not rows:
        return
    width = len(rows[0])
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        sql = _values_statement(head, tail, len(chunk), width)
        run(conn, sql, list(chain.from_iterable(chunk)))


def placeholders(n: int) -> str:
    """``?, ?, ?`` for an IN list of ``n`` values."""
    return ", ".join("?" * n)
