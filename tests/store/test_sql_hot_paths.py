"""The plain-SQL write and read paths (runlab.store.sql._raw) on SQLite and PostgreSQL:
the latest-metric rule across and within batches, param immutability when only some keys
are new, run info read back after updates, and driver errors surfacing as SQLAlchemy
errors so that the store's retry and error handling still applies."""

from __future__ import annotations

import math

import pytest
from sqlalchemy.exc import DBAPIError

from runlab.entities import Metric, Param, RunStatus, RunTag
from runlab.errors import ConflictError, StorageError
from runlab.store.sql import _raw
from runlab.store.sql.store import SqlStore


def _run(store: SqlStore) -> str:
    return store.create_run("0", "alice", 1000, {"k": "v"}, "r").run_id


def _latest(store: SqlStore, rid: str, key: str) -> tuple[float, int, int]:
    (m,) = [m for m in store.get_run(rid).data.metric_objs if m.key == key]
    return m.value, m.timestamp, m.step


def test_latest_metric_rule_across_batches(store: SqlStore) -> None:
    rid = _run(store)
    store.log_batch(rid, metrics=[Metric("m", 5.0, 100, 2)])
    store.log_batch(rid, metrics=[Metric("m", 9.0, 999, 1)])  # lower step: ignored
    assert _latest(store, rid, "m") == (5.0, 100, 2)
    store.log_batch(rid, metrics=[Metric("m", 1.0, 101, 2)])  # same step, later: wins
    assert _latest(store, rid, "m") == (1.0, 101, 2)
    store.log_batch(rid, metrics=[Metric("m", 0.5, 101, 2)])  # same step and time, smaller
    assert _latest(store, rid, "m") == (1.0, 101, 2)
    store.log_batch(rid, metrics=[Metric("m", 3.0, 101, 2)])  # same step and time, larger
    assert _latest(store, rid, "m") == (3.0, 101, 2)
    store.log_batch(rid, metrics=[Metric("m", math.nan, 101, 2)])  # NaN is lowest
    assert _latest(store, rid, "m") == (3.0, 101, 2)
    store.log_batch(rid, metrics=[Metric("n", math.nan, 5, 0)])
    store.log_batch(rid, metrics=[Metric("n", -1.0, 5, 0)])  # a number beats NaN on a tie
    assert _latest(store, rid, "n") == (-1.0, 5, 0)


def test_latest_metric_rule_within_one_batch(store: SqlStore) -> None:
    rid = _run(store)
    store.log_batch(
        rid,
        metrics=[
            Metric("a", 7.0, 50, 3),
            Metric("a", 2.0, 60, 3),  # same step, later: the latest
            Metric("a", 9.0, 10, 1),
            Metric("b", math.nan, 1, 0),
            Metric("b", 4.0, 1, 0),
            Metric("b", 3.0, 1, 0),
            Metric("c", math.nan, 1, 4),
        ],
    )
    assert _latest(store, rid, "a") == (2.0, 60, 3)
    assert _latest(store, rid, "b") == (4.0, 1, 0)
    value, ts, step = _latest(store, rid, "c")
    assert math.isnan(value)
    assert (ts, step) == (1, 4)
    assert len(store.get_metric_history(rid, "a")) == 3
    assert len(store.get_metric_history(rid, "b")) == 3


def test_a_batch_longer_than_one_insert_statement_in_any_order(store: SqlStore) -> None:
    """Points are inserted several hundred to a statement, sorted by key and step: every
    point arrives, each key's history is in step order, and points tied on step and time
    all arrive, in value order (the order of the history's key)."""
    rid = _run(store)
    points = [
        Metric(f"k{i % 3}", float(i), 1000 + (i * 7919) % 1201, (i * 7919) % 1201)
        for i in range(1201)
    ]
    points += [Metric("tie", 3.0, 5, 1), Metric("tie", 1.0, 5, 1), Metric("tie", 2.0, 5, 1)]
    store.log_batch(rid, metrics=points[::-1][3:] + points[-3:])
    for key in ("k0", "k1", "k2"):
        history = store.get_metric_history(rid, key)
        expected = sorted((m.step, m.value) for m in points if m.key == key)
        assert [(m.step, m.value) for m in history] == expected
    assert [m.value for m in store.get_metric_history(rid, "tie")] == [1.0, 2.0, 3.0]


def test_params_checked_when_only_some_keys_are_new(store: SqlStore) -> None:
    rid = _run(store)
    store.log_batch(rid, params=[Param("old", "1")])
    store.log_batch(rid, params=[Param("old", "1"), Param("new", "2")])  # same value: fine
    with pytest.raises(ConflictError, match="'old'"):
        store.log_batch(rid, params=[Param("other", "3"), Param("old", "changed")])
    assert store.get_run(rid).data.params == {"old": "1", "new": "2"}


def test_run_info_read_back_after_updates(store: SqlStore) -> None:
    rid = _run(store)
    created = store.get_run(rid)
    assert created.data.tags == {"k": "v", "mlflow.runName": "r"}
    info = store.update_run_info(rid, status=RunStatus.FINISHED, end_time=2000, run_name="x")
    assert (info.status, info.end_time, info.run_name) == (RunStatus.FINISHED, 2000, "x")
    assert info.start_time == 1000
    assert info.user_id == "alice"
    assert info.experiment_id == "0"
    assert info.artifact_uri == created.info.artifact_uri
    assert store.get_run(rid).data.tags["mlflow.runName"] == "x"
    store.log_batch(rid, tags=[RunTag("mlflow.runName", "y")])
    assert store.get_run(rid).info.run_name == "y"


def test_driver_errors_surface_as_sqlalchemy_errors(store: SqlStore) -> None:
    with store.db.read() as conn, pytest.raises(DBAPIError, match="no_such_column"):
        _raw.fetch(conn, "SELECT no_such_column FROM runs WHERE run_uuid = ?", ("x",))

    def bad_write(conn: object) -> None:
        _raw.run_many(conn, "INSERT INTO no_such_table (a) VALUES (?)", [(1,)])  # type: ignore[arg-type]

    with pytest.raises((DBAPIError, StorageError), match="no_such_table"):
        store.db.write(bad_write)
    rid = _run(store)  # the connection is usable again afterwards
    assert store.get_run(rid).info.run_id == rid
