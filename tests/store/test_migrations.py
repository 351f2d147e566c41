"""The Alembic migrations build exactly the schema the code queries, and old databases
are refused with a clear instruction."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from runlab.errors import SchemaOutdatedError
from runlab.store.sql import _migrate
from runlab.store.sql._engine import Database
from runlab.store.sql.schema import SCHEMA_REVISION, metadata
from runlab.store.uri import build_store


def test_migrations_match_schema(database_uri: str, tmp_path: Path) -> None:
    store = build_store(database_uri, artifact_root=tmp_path.as_uri())
    store.close()
    engine = create_engine(database_uri)
    with engine.connect() as conn, warnings.catch_warnings():
        # SQLite's reflection cannot read the expression indexes of params and tags
        # (PostgreSQL's can, and compares them); every other difference still counts.
        warnings.filterwarnings("ignore", r".*expression-based index")
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    if database_uri.startswith("mysql"):
        # MySQL's prefix index of params and tags (key, value(200)) stands for the
        # expression index of the others; it reads back as a different index.
        diff = [
            d
            for d in diff
            if not (d[0] in ("add_index", "remove_index") and d[1].name.endswith("_value_prefix"))
        ]
    assert diff == []


def test_newest_migration_is_the_expected_revision() -> None:
    assert _migrate.known_revisions()[-1] == SCHEMA_REVISION


def test_outdated_and_unknown_revisions_are_refused(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'old.db'}"
    build_store(uri, artifact_root=tmp_path.as_uri()).close()
    engine = create_engine(uri)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'zzzz_future'"))
    engine.dispose()
    with pytest.raises(SchemaOutdatedError, match="newer version"):
        build_store(uri, artifact_root=tmp_path.as_uri())


def test_outdated_revision_names_the_upgrade_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri = f"sqlite:///{tmp_path / 'old.db'}"
    build_store(uri, artifact_root=tmp_path.as_uri()).close()
    # Pretend this runlab expects a newer revision than the database has.
    monkeypatch.setattr(_migrate, "SCHEMA_REVISION", "0002_next")
    with pytest.raises(SchemaOutdatedError, match="runlab db upgrade"):
        build_store(uri, artifact_root=tmp_path.as_uri())


def test_upgrade_creates_schema_in_an_empty_database(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    before, after = _migrate.upgrade(db)
    with db.read() as conn:
        assert _migrate.current_revision(conn) == SCHEMA_REVISION
    db.dispose()
    assert (before, after) == (None, SCHEMA_REVISION)
