"""MySQL and MariaDB (through PyMySQL): the engine, and what their SQL needs that others don't.

The store's SQL text is written once for SQLite and PostgreSQL; on MySQL it differs in a
few spellings, handled here rather than in every statement:

- ``key`` is a reserved word: :func:`quote_reserved` quotes the bare column name in raw
  SQL text (SQLAlchemy Core quotes it itself).
- Upserts are ``INSERT … ON DUPLICATE KEY UPDATE``: :func:`insert` gives Core statements
  the ``on_conflict_do_update``/``on_conflict_do_nothing`` methods the SQLite and
  PostgreSQL inserts have; raw upserts have MySQL spellings beside them in their modules.
- There is no ``NULLS LAST`` (see ``run_search``).
- Comparisons must be case-sensitive, as MLflow's are: the database's tables are created
  with a binary, no-pad collation (:func:`binary_collation`), so ``=``, ``!=`` and LIKE
  compare code points and ``'a'`` differs from ``'a '``; ILIKE is ``lower() LIKE lower()``.
- MySQL's DOUBLE has no infinities: the driver stores +/-inf as the largest finite
  double of that sign and reads that back as the infinity (:func:`driver_conversions`),
  so a logged ``1.7976931348623157e308`` reads back as ``inf``. Order and comparisons
  are kept: nothing lies between the two.
- Concurrent first-time set-ups queue on a named lock (:func:`schema_lock`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, text

if TYPE_CHECKING:
    from runlab.store.sql._engine import Database, PoolSettings

# ANSI_QUOTES: "x" is an identifier, as elsewhere. NO_BACKSLASH_ESCAPES: ESCAPE '\' means
# one backslash, as elsewhere. The strict modes refuse a too-long or bad value instead of
# storing a truncated one with a warning. NO_AUTO_VALUE_ON_ZERO: the Default experiment's
# id 0 is stored as 0, not replaced by the next auto-increment value.
SQL_MODE = (
    "NO_AUTO_VALUE_ON_ZERO,ANSI_QUOTES,NO_BACKSLASH_ESCAPES,STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,"
    "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"
)
_SCHEMA_LOCK = "runlab_schema"
_INF = float("inf")
_DOUBLE_MAX = 1.7976931348623157e308
_SCHEMA_LOCK_SECONDS = 300


def build_engine(url: URL, settings: PoolSettings) -> Engine:
    engine = create_engine(
        url,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_timeout=settings.pool_timeout,
        pool_pre_ping=True,  # a connection the server dropped is noticed before use
        # MySQL drops idle connections after wait_timeout (8 h by default); recycle before.
        pool_recycle=settings.pool_recycle,
        isolation_level="READ COMMITTED",
        connect_args={
            "connect_timeout": settings.connect_timeout,
            "init_command": f"SET SESSION sql_mode = '{SQL_MODE}'",
            "conv": driver_conversions(),
        },
    )
    timeout_ms = settings.statement_timeout_ms

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        if timeout_ms:
            with dbapi_conn.cursor() as cur:
                cur.execute("SELECT VERSION()")
                mariadb = "mariadb" in str(cur.fetchone()[0]).lower()
                if mariadb:  # seconds, any statement
                    cur.execute(f"SET SESSION max_statement_time = {timeout_ms / 1000:.3f}")
                else:  # milliseconds, SELECTs only
                    cur.execute(f"SET SESSION max_execution_time = {int(timeout_ms)}")

    @event.listens_for(engine, "before_cursor_execute", retval=True)
    def _quote(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> tuple[str, Any]:
        return quote_reserved(statement), parameters

    return engine


def driver_conversions() -> dict[Any, Any]:
    """PyMySQL's conversions, with the infinities stored as the largest finite doubles."""
    from pymysql import converters  # type: ignore[import-untyped]
    from pymysql.constants import FIELD_TYPE  # type: ignore[import-untyped]

    def encode(value: float, mapping: Any = None) -> str:
        if value in (_INF, -_INF):
            value = _DOUBLE_MAX if value > 0 else -_DOUBLE_MAX
        return str(converters.escape_float(value, mapping))

    def decode(data: str | bytes) -> float:
        value = float(data)
        if value in (_DOUBLE_MAX, -_DOUBLE_MAX):
            return _INF if value > 0 else -_INF
        return value

    conversions = dict(converters.conversions)
    conversions[float] = encode
    conversions[FIELD_TYPE.DOUBLE] = decode
    return conversions


# A quoted string or identifier (left as it is), or the bare lowercase word ``key`` not
# after a dot (``t.key`` is valid), not a bound parameter's name (``%(key)s``) and not a
# function name.
_TOKENS = re.compile(r"""'(?:[^']|'')*'|"[^"]*"|`[^`]*`|(?<![.\w])(?<!%\()key\b(?!\s*\()""")


@lru_cache(maxsize=1024)
def quote_reserved(sql: str) -> str:
    """``sql`` with the bare column name ``key`` quoted, which MySQL reserves."""
    if "key" not in sql:
        return sql
    return _TOKENS.sub(lambda m: '"key"' if m.group(0) == "key" else m.group(0), sql)


class _Upsert:
    """A MySQL INSERT with the upsert methods of the SQLite and PostgreSQL ones."""

    def __init__(self, table: Any) -> None:
        from sqlalchemy.dialects import mysql

        self._table = table
        self._stmt = mysql.insert(table)

    @property
    def excluded(self) -> Any:
        return self._stmt.inserted

    def on_conflict_do_update(self, index_elements: Any, set_: dict[str, Any]) -> Any:
        del index_elements  # MySQL resolves a conflict on any unique key
        return self._stmt.on_duplicate_key_update(set_)

    def on_conflict_do_nothing(self) -> Any:
        # Setting a key column to itself changes nothing; INSERT IGNORE would also turn
        # other errors (a missing foreign row, a bad value) into warnings.
        column = next(iter(self._table.primary_key.columns))
        return self._stmt.on_duplicate_key_update({column.name: column})


def insert(table: Any) -> Any:
    return _Upsert(table)


def binary_collation(conn: Connection) -> str:
    """The case-sensitive collation without trailing-space padding of this server."""
    version = str(conn.execute(text("SELECT VERSION()")).scalar()).lower()
    if "mariadb" in version:
        return "utf8mb4_nopad_bin"
    leading = re.match(r"\d+", version)
    major = int(leading.group(0)) if leading else 0
    return "utf8mb4_0900_bin" if major >= 8 else "utf8mb4_bin"


def use_binary_collation(conn: Connection) -> None:
    """Make tables created from now on in this database compare strings case-sensitively."""
    collation = binary_collation(conn)
    conn.execute(text(f"ALTER DATABASE CHARACTER SET utf8mb4 COLLATE {collation}"))


@contextmanager
def schema_lock(db: Database) -> Iterator[None]:
    """Hold the database's named set-up lock (on a connection of its own) meanwhile."""
    with db.engine.connect() as conn:
        got = conn.execute(
            text("SELECT GET_LOCK(:name, :seconds)"),
            {"name": f"{_SCHEMA_LOCK}:{db.engine.url.database}", "seconds": _SCHEMA_LOCK_SECONDS},
        ).scalar()
        try:
            yield
        finally:
            if got:
                conn.execute(
                    text("SELECT RELEASE_LOCK(:name)"),
                    {"name": f"{_SCHEMA_LOCK}:{db.engine.url.database}"},
                )
