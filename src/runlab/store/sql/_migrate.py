"""Schema versioning: create a new database, refuse an outdated one, upgrade on request.

A new database is built by running the Alembic migrations, the same path that
upgrades an old one, so the two cannot disagree. Opening a database only reads
its revision (Alembic itself is imported only when there is work to do).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import Connection, inspect, text

from runlab.errors import SchemaOutdatedError
from runlab.store.sql._engine import Database
from runlab.store.sql.schema import SCHEMA_REVISION

_MIGRATIONS = Path(__file__).with_name("migrations")
_PG_SCHEMA_LOCK = 0x72756E6C  # advisory lock id serialising concurrent first-time set-ups


def current_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def known_revisions() -> list[str]:
    """Revision ids in order, oldest first (file names start with the revision id)."""
    return sorted(p.stem for p in (_MIGRATIONS / "versions").glob("[0-9]*.py"))


def _run_alembic(conn: Connection) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


def ensure_schema(db: Database, uri_for_messages: str, seed: Callable[[Connection], None]) -> None:
    """Create the schema (then ``seed`` it) in an empty database; fail clearly on a
    different revision."""
    with db.read() as conn:
        revision = current_revision(conn)
    if revision is None:
        with _set_up_lock(db):
            _create_if_empty(db, seed)
        return
    _check_revision(revision, uri_for_messages)


@contextlib.contextmanager
def _set_up_lock(db: Database) -> Iterator[None]:
    """MySQL's DDL commits as it goes, so its lock (a named one) outlives the transaction;
    other databases lock inside the transaction."""
    if db.dialect != "mysql":
        yield
        return
    from runlab.store.sql import _mysql

    with _mysql.schema_lock(db):
        yield


def _create_if_empty(db: Database, seed: Callable[[Connection], None]) -> None:
    def create_if_empty(conn: Connection) -> None:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_SCHEMA_LOCK})
        if current_revision(conn) is None:  # another process may have won the race
            _run_alembic(conn)
            seed(conn)

    db.write(create_if_empty)


def _check_revision(revision: str, uri: str) -> None:
    if revision == SCHEMA_REVISION:
        return
    if revision in known_revisions():
        raise SchemaOutdatedError(
            f"the database at {uri} has schema revision {revision}; this runlab needs "
            f"{SCHEMA_REVISION}. Back it up, then run: runlab db upgrade {uri}"
        )
    raise SchemaOutdatedError(
        f"the database at {uri} has schema revision {revision}, unknown to this runlab "
        "(it was made by a newer version): upgrade runlab"
    )


def upgrade(db: Database) -> tuple[str | None, str]:
    """Bring the database to the newest revision; returns (before, after)."""
    with db.read() as conn:
        before = current_revision(conn)
    with _set_up_lock(db):
        db.write(_upgrade_locked)
    return before, SCHEMA_REVISION


def _upgrade_locked(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_SCHEMA_LOCK})
    _run_alembic(conn)
