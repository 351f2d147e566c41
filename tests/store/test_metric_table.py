"""The metric history is keyed by the whole point (one b-tree on SQLite, WITHOUT ROWID, and
no other index); an older database is converted with every point, and back."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import inspect, text
from tests._migrations import add_metric_rows, migrate

from runlab.entities import Metric
from runlab.store.sql import _migrate
from runlab.store.sql._engine import Database
from runlab.store.sql.schema import SCHEMA_REVISION
from runlab.store.sql.store import SqlStore
from runlab.store.uri import build_store

_KEY = ["run_uuid", "key", "step", "timestamp", "value", "is_nan"]
_BEFORE = "0008_key_value_without_rowid"


def _layout(db: Database) -> tuple[list[str], list[str], set[str]]:
    """Columns, primary key and index names of the metrics table."""
    with db.read() as conn:
        found = inspect(conn)
        columns = [c["name"] for c in found.get_columns("metrics")]
        key = found.get_pk_constraint("metrics")["constrained_columns"]
        indexes = {i["name"] for i in found.get_indexes("metrics")}
    return columns, key, indexes


def test_a_new_sqlite_database_keeps_metrics_in_one_b_tree(tmp_path: Path) -> None:
    build_store(f"sqlite:///{tmp_path / 'new.db'}", artifact_root=tmp_path.as_uri()).close()
    with sqlite3.connect(tmp_path / "new.db") as conn:
        (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'metrics'").fetchone()
        indexes = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'metrics'"
        ).fetchall()
    assert sql.rstrip().endswith("WITHOUT ROWID")
    assert 'PRIMARY KEY (run_uuid, "key", step, timestamp, value, is_nan)' in sql
    assert indexes == []


def test_upgrade_keeps_every_point_and_downgrade_brings_back_the_old_table(
    database_uri: str, tmp_path: Path
) -> None:
    db = Database(database_uri)
    db.write(lambda conn: migrate(conn, _BEFORE))
    assert "id" in _layout(db)[0]
    points = [("loss", 1.0 / (s + 1), False, 1000 + s, s) for s in range(300)]
    points += [("loss", 0.0, True, 5000, 7), ("acc", float("inf"), False, 20, 2)]

    db.write(lambda conn: add_metric_rows(conn, ("a" * 32, "b" * 32), points))
    assert _migrate.upgrade(db) == (_BEFORE, SCHEMA_REVISION)
    columns, key, indexes = _layout(db)
    assert "id" not in columns
    assert key == _KEY
    assert indexes == set()
    db.dispose()

    store = build_store(database_uri, artifact_root=tmp_path.as_uri())
    assert isinstance(store, SqlStore)
    history = store.get_metric_history("a" * 32, "loss")
    assert [(m.step, m.timestamp) for m in history] == sorted(
        (s, t) for k, _, _, t, s in points if k == "loss"
    )
    assert [m.value for m in store.get_metric_history("b" * 32, "acc")] == [float("inf")]
    # The point is still unique, and the run still owns its points.
    store.log_batch("a" * 32, metrics=[Metric("loss", 1.0, 1000, 0), Metric("loss", 9.0, 9, 999)])
    assert len(store.get_metric_history("a" * 32, "loss")) == len(history) + 1
    thinned = store.get_metric_history_downsampled("a" * 32, "loss", 100, "step")
    assert thinned[-1].step == 999
    store.delete_run("b" * 32)
    store.purge_run("b" * 32)
    store.close()

    db = Database(database_uri)
    with db.read() as conn:
        left = conn.execute(text("SELECT DISTINCT run_uuid FROM metrics")).scalars().all()
    assert left == ["a" * 32]
    db.write(lambda conn: migrate(conn, _BEFORE, "downgrade"))
    columns, key, indexes = _layout(db)
    assert key == ["id"]
    assert indexes == {
        "ix_metrics_run_uuid_key_step_value_is_nan_timestamp",
        "ix_metrics_run_uuid_key_timestamp_value_is_nan",
    }
    with db.read() as conn:
        count = conn.execute(text("SELECT count(*) FROM metrics")).scalar_one()
    db.dispose()
    assert count == len(points) + 1  # run a's, with the one logged since
