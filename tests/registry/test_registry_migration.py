"""A database made before the registry existed is refused, then upgraded in place."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests._migrations import migrate

import runlab
from runlab.errors import SchemaOutdatedError
from runlab.store.sql import _migrate
from runlab.store.sql._engine import Database
from runlab.store.sql.schema import SCHEMA_REVISION


def test_upgrade_from_the_first_schema_adds_the_registry(database_uri: str, tmp_path: Path) -> None:
    db = Database(database_uri)

    db.write(lambda conn: migrate(conn, "0001_initial"))
    with pytest.raises(SchemaOutdatedError, match="runlab db upgrade"):
        runlab.RunlabClient(database_uri).create_registered_model("fraud")

    assert _migrate.upgrade(db) == ("0001_initial", SCHEMA_REVISION)
    db.dispose()
    from runlab.store import uri as store_uri_module

    store_uri_module.close_all()
    client = runlab.RunlabClient(database_uri)
    client.create_registered_model("fraud")
    assert client.create_model_version("fraud", "s3://b/m").version == 1
