"""On SQLite, params, tags and latest metrics are WITHOUT ROWID tables (one b-tree keyed by
run and key); an older database is rebuilt that way with its rows, keys and indexes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from tests._migrations import migrate

from runlab.entities import Metric, Param, RunTag
from runlab.errors import ConflictError
from runlab.store.sql import _migrate
from runlab.store.sql._engine import Database
from runlab.store.sql.store import SqlStore
from runlab.store.uri import build_store

_TABLES = ("params", "tags", "latest_metrics")


def _table_sql(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as conn:
        return dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))


def test_a_new_sqlite_database_keys_them_without_rowid(tmp_path: Path) -> None:
    build_store(f"sqlite:///{tmp_path / 'new.db'}", artifact_root=tmp_path.as_uri()).close()
    sql = _table_sql(tmp_path / "new.db")
    assert all("WITHOUT ROWID" in sql[table] for table in _TABLES)
    assert "WITHOUT ROWID" not in sql["runs"]


def test_upgrade_rebuilds_them_with_their_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    uri = f"sqlite:///{path}"
    db = Database(uri)
    db.write(lambda conn: migrate(conn, "0007_metric_dedupe"))
    db.dispose()
    assert all("WITHOUT ROWID" not in _table_sql(path)[table] for table in _TABLES)
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, "
            "creation_time, last_update_time) VALUES (0, 'Default', 'x', 'active', 1, 1)"
        )
        conn.execute(
            "INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, "
            "lifecycle_stage, artifact_uri) "
            "VALUES ('r1', 'one', 0, 'u', 'RUNNING', 5, 'active', 'x')"
        )
        conn.execute("INSERT INTO params VALUES ('r1', 'lr', '0.1')")
        conn.execute("INSERT INTO tags VALUES ('r1', 'team', 'vision')")
        conn.execute("INSERT INTO latest_metrics VALUES ('r1', 'loss', 0.5, 0, 10, 3)")
    db = Database(uri)
    _migrate.upgrade(db)
    db.dispose()
    assert all("WITHOUT ROWID" in _table_sql(path)[table] for table in _TABLES)

    store = build_store(uri, artifact_root=tmp_path.as_uri())
    assert isinstance(store, SqlStore)
    run = store.get_run("r1")
    assert run.data.params == {"lr": "0.1"}
    assert run.data.tags == {"team": "vision"}
    assert [(m.key, m.value, m.timestamp, m.step) for m in run.data.metric_objs] == [
        ("loss", 0.5, 10, 3)
    ]
    # Keys, the metric index and the run foreign key came along.
    with pytest.raises(ConflictError, match="immutable"):
        store.log_batch("r1", params=[Param("lr", "0.2")])
    store.log_batch("r1", metrics=[Metric("loss", 0.25, 11, 4)], tags=[RunTag("team", "audio")])
    assert store.get_run("r1").data.metrics == {"loss": 0.25}
    assert store.get_run("r1").data.tags == {"team": "audio"}
    assert [r.info.run_id for r in store.search_runs(["0"], "metrics.loss < 0.3")] == ["r1"]
    store.close()
    with sqlite3.connect(path) as conn:
        indexes = {row[1] for row in conn.execute("PRAGMA index_list('latest_metrics')")}
        assert "ix_latest_metrics_key_is_nan_value_run_uuid" in indexes  # since 0012
        foreign = conn.execute("PRAGMA foreign_key_list('params')").fetchall()
        assert [(row[2], row[3], row[4], row[6]) for row in foreign] == [
            ("runs", "run_uuid", "run_uuid", "CASCADE")
        ]
