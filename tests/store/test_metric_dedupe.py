"""An identical metric point (run, key, value, timestamp, step) is stored once, as in MLflow:
a batch sent again (a retry after a lost answer) adds nothing, NaN points included, and
the migration that brings this removes the duplicates an older database holds."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from sqlalchemy import text
from tests._migrations import add_metric_rows, migrate

from runlab.entities import Metric
from runlab.store.sql import _migrate
from runlab.store.sql._engine import Database
from runlab.store.sql.schema import SCHEMA_REVISION
from runlab.store.sql.store import SqlStore
from runlab.store.uri import build_store


def _history(store: SqlStore, run_id: str, key: str) -> list[tuple[float, int, int]]:
    return [(m.value, m.timestamp, m.step) for m in store.get_metric_history(run_id, key)]


def _stored_rows(store: SqlStore, run_id: str) -> int:
    with store.db.read() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM metrics WHERE run_uuid = :r"), {"r": run_id}
            ).scalar_one()
        )


def test_a_batch_logged_twice_is_stored_once(store: SqlStore) -> None:
    run_id = store.create_run("0", "alice", 1000, {}, "r").run_id
    batch = [Metric("loss", 1.0 / (s + 1), 5000 + s, s) for s in range(50)]
    batch += [Metric("acc", math.nan, 7000, 3), Metric("acc", math.inf, 7000, 4)]
    store.log_batch(run_id, metrics=batch)
    store.log_batch(run_id, metrics=batch)
    assert _stored_rows(store, run_id) == 52
    assert _history(store, run_id, "loss") == [(1.0 / (s + 1), 5000 + s, s) for s in range(50)]
    acc = _history(store, run_id, "acc")
    assert len(acc) == 2
    assert math.isnan(acc[0][0])
    assert acc[1] == (math.inf, 7000, 4)
    latest = store.get_run(run_id).data.metrics
    assert latest["loss"] == 1.0 / 50
    assert latest["acc"] == math.inf


def test_duplicates_within_one_batch_and_near_duplicates(store: SqlStore) -> None:
    run_id = store.create_run("0", "alice", 1000, {}, "r").run_id
    point = Metric("m", 0.5, 100, 1)
    store.log_batch(
        run_id,
        metrics=[
            point,
            Metric("m", 0.5, 100, 1),  # the same point again: dropped
            Metric("m", math.nan, 100, 1),
            Metric("m", math.nan, 100, 1),  # two NaN at one step and time: one kept
            Metric("m", 0.0, 100, 1),  # a real zero is not the stored NaN
            Metric("m", 0.5, 101, 1),  # another time: kept
            Metric("m", 0.5, 100, 2),  # another step: kept
            Metric("m", 0.25, 100, 1),  # another value: kept
            Metric("n", 0.5, 100, 1),  # another key: kept
        ],
    )
    history = _history(store, run_id, "m")
    assert len(history) == 6
    assert sum(math.isnan(v) for v, _, _ in history) == 1
    assert sorted((v, t, s) for v, t, s in history if not math.isnan(v)) == [
        (0.0, 100, 1),
        (0.25, 100, 1),
        (0.5, 100, 1),
        (0.5, 100, 2),
        (0.5, 101, 1),
    ]
    assert _history(store, run_id, "n") == [(0.5, 100, 1)]
    # The same point in another run is that run's own.
    other = store.create_run("0", "alice", 1000, {}, "other").run_id
    store.log_batch(other, metrics=[point])
    assert _history(store, other, "m") == [(0.5, 100, 1)]


def test_upgrade_removes_duplicates_an_older_database_holds(database_uri: str) -> None:
    db = Database(database_uri)
    db.write(lambda conn: migrate(conn, "0006_ui_indexes"))
    # (key, value, is_nan, timestamp, step) of each stored row, duplicates included.
    rows = [
        ("loss", 0.5, False, 100, 1),
        ("loss", 0.5, False, 100, 1),
        ("loss", 0.5, False, 100, 1),
        ("loss", 0.5, False, 101, 1),  # another time
        ("loss", 0.25, False, 100, 1),  # another value
        ("loss", 0.0, True, 100, 2),  # NaN, twice
        ("loss", 0.0, True, 100, 2),
        ("loss", 0.0, False, 100, 2),  # zero, not NaN
        ("acc", 0.5, False, 100, 1),
    ]

    db.write(lambda conn: add_metric_rows(conn, ("a" * 32, "b" * 32), rows))
    db.write(lambda conn: migrate(conn, "0007_metric_dedupe"))
    with db.read() as conn:
        kept = conn.execute(
            text(
                "SELECT run_uuid, key, value, is_nan, timestamp, step, id FROM metrics "
                "ORDER BY run_uuid, id"
            )
        ).all()
        first_ids = conn.execute(
            text("SELECT min(id) FROM metrics GROUP BY run_uuid ORDER BY run_uuid")
        ).scalars()
        assert list(first_ids) == [1, len(rows) + 1]  # the earliest copy is the one kept
    unique = sorted(set(rows), key=rows.index)
    for run_id in ("a" * 32, "b" * 32):
        mine = [(k, v, bool(n), t, s) for r, k, v, n, t, s, _ in kept if r == run_id]
        assert mine == unique
    # Later revisions carry every kept point over.
    assert _migrate.upgrade(db) == ("0007_metric_dedupe", SCHEMA_REVISION)
    with db.read() as conn:
        now = conn.execute(
            text("SELECT run_uuid, key, value, is_nan, timestamp, step FROM metrics")
        ).all()
    db.dispose()
    assert sorted((r, k, v, bool(n), t, s) for r, k, v, n, t, s in now) == sorted(
        (r, k, v, bool(n), t, s) for r, k, v, n, t, s, _ in kept
    )


@pytest.mark.parametrize("x_axis", ["step", "timestamp"])
def test_charts_read_ranges_of_the_primary_key(
    tmp_path: Path, x_axis: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The point is the primary key, (run, key, step, ...) in front: every read is a range
    of it, never the whole table."""
    from sqlalchemy import event

    from runlab.store.sql import _raw

    store = build_store(f"sqlite:///{tmp_path / 'm.db'}", artifact_root=tmp_path.as_uri())
    assert isinstance(store, SqlStore)
    run_id = store.create_run("0", "alice", 1000, {}, "r").run_id
    store.log_batch(run_id, metrics=[Metric("m", float(i % 7), 10 * i, i) for i in range(1000)])
    statements: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append((statement, parameters))

    # Statements go through SQLAlchemy and through the raw cursor helper: record both.
    raw_fetch = _raw.fetch

    def recording_fetch(conn, sql, params=()):  # type: ignore[no-untyped-def]
        statements.append((sql, tuple(params)))
        return raw_fetch(conn, sql, params)

    raw_stream = _raw.stream

    def recording_stream(conn, sql, params, size):  # type: ignore[no-untyped-def]
        statements.append((sql, tuple(params)))
        return raw_stream(conn, sql, params, size)

    monkeypatch.setattr(_raw, "fetch", recording_fetch)
    monkeypatch.setattr(_raw, "stream", recording_stream)
    event.listen(store.db.engine, "before_cursor_execute", capture)
    assert len(store.get_metric_history_downsampled(run_id, "m", 100, x_axis)) > 50
    event.remove(store.db.engine, "before_cursor_execute", capture)
    monkeypatch.undo()
    plans = []
    with store.db.read() as conn:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        for statement, parameters in statements:
            plans += [
                row[3] for row in cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
            ]
    store.close()
    reads = [p for p in plans if "metrics" in p.split()[:2]]
    assert reads
    assert all(
        p.startswith("SEARCH metrics USING PRIMARY KEY (run_uuid=? AND key=?") for p in reads
    )
    # Buckets of steps, or on the wall-time axis pieces of steps, are ranges of the key.
    assert [p for p in reads if "step>?" in p]
