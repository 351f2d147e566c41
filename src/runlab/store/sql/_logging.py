"""The write path of ``log_batch``: params (immutable), tags (upserted), metrics (appended,
latest value kept per key). Everything runs inside the caller's transaction.

These run for every logged batch, so they are plain SQL through :mod:`._raw` (valid on
SQLite and PostgreSQL alike, with MySQL spellings of the upserts) rather than SQLAlchemy
expressions. The checks are the cheap ones every caller of the store gets (an importer
writing to it directly too): param and tag keys and values, and each distinct metric key
once (a set lookup after the first batch). Steps and times are checked only when the
database refuses one, so the per-point path stays as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DataError

from runlab import _validation as check
from runlab.entities import LifecycleStage, Metric, Param, RunTag
from runlab.errors import ConflictError, InvalidInputError, NotFoundError
from runlab.store.sql import _raw

RUN_NAME_TAG = "mlflow.runName"

_INSERT_PARAM = (
    "INSERT INTO params (run_uuid, key, value) VALUES (?, ?, ?) "
    "ON CONFLICT (run_uuid, key) DO NOTHING"
)
_UPSERT_TAG = (
    "INSERT INTO tags (run_uuid, key, value) VALUES (?, ?, ?) "
    "ON CONFLICT (run_uuid, key) DO UPDATE SET value = excluded.value"
)
# An identical point already stored (a retried batch) is skipped, as MLflow does.
_INSERT_METRICS = "INSERT INTO metrics (run_uuid, key, value, is_nan, timestamp, step)"
_SKIP_STORED = " ON CONFLICT DO NOTHING"
# MySQL: a conflict sets a key column to itself, which changes nothing.
_MYSQL_INSERT_PARAM = (
    "INSERT INTO params (run_uuid, key, value) VALUES (?, ?, ?) "
    "ON DUPLICATE KEY UPDATE run_uuid = run_uuid"
)
_MYSQL_UPSERT_TAG = (
    "INSERT INTO tags (run_uuid, key, value) VALUES (?, ?, ?) "
    "ON DUPLICATE KEY UPDATE value = VALUES(value)"
)
_MYSQL_SKIP_STORED = " ON DUPLICATE KEY UPDATE run_uuid = run_uuid"
# 3,000 parameters a statement: within SQLite's limit (32,766 since 3.32) and PostgreSQL's.
_METRIC_ROWS_PER_STATEMENT = 500
_Row = tuple[str, str, float, bool, int, int]  # run, key, value, is_nan, timestamp, step
_STEP = itemgetter(5)
# Replace the stored latest point only with a later one: higher step, then later
# timestamp, then larger value, a NaN being lower than any number.
_UPSERT_LATEST = (
    "INSERT INTO latest_metrics (run_uuid, key, value, is_nan, timestamp, step) "
    "VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (run_uuid, key) DO UPDATE SET value = excluded.value, "
    "is_nan = excluded.is_nan, timestamp = excluded.timestamp, step = excluded.step "
    "WHERE excluded.step > latest_metrics.step "
    "OR (excluded.step = latest_metrics.step "
    "AND excluded.timestamp > latest_metrics.timestamp) "
    "OR (excluded.step = latest_metrics.step "
    "AND excluded.timestamp = latest_metrics.timestamp "
    "AND ((latest_metrics.is_nan AND NOT excluded.is_nan) "
    "OR (NOT latest_metrics.is_nan AND NOT excluded.is_nan "
    "AND excluded.value > latest_metrics.value)))"
)
# MySQL assigns ON DUPLICATE KEY UPDATE's columns one by one, each assignment seeing the
# ones before, so "newer than the stored point" cannot be tested there: new keys are
# inserted, then an UPDATE replaces a stored point that its WHERE finds older.
_MYSQL_INSERT_LATEST = (
    "INSERT INTO latest_metrics (run_uuid, key, value, is_nan, timestamp, step) "
    "VALUES (?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE run_uuid = run_uuid"
)
_MYSQL_REPLACE_LATEST = (
    "UPDATE latest_metrics SET value = ?, is_nan = ?, timestamp = ?, step = ? "
    "WHERE run_uuid = ? AND key = ? AND (? > step OR (? = step AND ? > timestamp) "
    "OR (? = step AND ? = timestamp AND ((is_nan AND NOT ?) "
    "OR (NOT is_nan AND NOT ? AND ? > value))))"
)


def _upsert_latest(conn: Connection, latest: list[_Row]) -> None:
    if conn.dialect.name != "mysql":
        _raw.run_many(conn, _UPSERT_LATEST, latest)
        return
    _raw.run_many(conn, _MYSQL_INSERT_LATEST, latest)
    _raw.run_many(
        conn,
        _MYSQL_REPLACE_LATEST,
        [(v, nan, t, s, run, key, s, s, t, s, t, nan, nan, v) for run, key, v, nan, t, s in latest],
    )


def _insert(conn: Connection, table: Any) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT on SQLite and PostgreSQL (and has
    the same methods on MySQL)."""
    from sqlalchemy.dialects import postgresql, sqlite

    if conn.dialect.name == "mysql":
        from runlab.store.sql import _mysql

        return _mysql.insert(table)

    module = postgresql if conn.dialect.name == "postgresql" else sqlite
    return module.insert(table)


def require_active_run(conn: Connection, run_id: str) -> None:
    found = _raw.fetch(conn, "SELECT lifecycle_stage FROM runs WHERE run_uuid = ?", (run_id,))
    if not found:
        raise NotFoundError(f"run {run_id!r} not found")
    if found[0][0] != LifecycleStage.ACTIVE:
        raise ConflictError(f"run {run_id!r} is deleted; restore it before logging to it")


def write_params(conn: Connection, run_id: str, items: Sequence[Param]) -> None:
    wanted: dict[str, str] = {}
    for p in items:
        value = check.param_value(check.key("param", p.key), p.value)
        if wanted.setdefault(p.key, value) != value:
            raise ConflictError(
                f"param {p.key!r} appears twice in one batch with different values "
                f"({wanted[p.key]!r} and {value!r})"
            )
    mysql = conn.dialect.name == "mysql"
    sql = _MYSQL_INSERT_PARAM if mysql else _INSERT_PARAM
    added = _raw.run_many(conn, sql, [(run_id, k, v) for k, v in wanted.items()])
    # MySQL counts a conflict as a changed row too (SQLAlchemy asks for found rows).
    if added == len(wanted) and not mysql:
        return  # all new: nothing stored earlier to compare with
    # Whatever is stored now (ours, or an earlier value) must equal what was asked for.
    keys = list(wanted)
    stored = _raw.fetch(
        conn,
        f"SELECT key, value FROM params WHERE run_uuid = ? "
        f"AND key IN ({_raw.placeholders(len(keys))})",
        (run_id, *keys),
    )
    for key, value in stored:
        if value != wanted[key]:
            raise ConflictError(
                f"param {key!r} of run {run_id!r} is already {value!r} and cannot change to "
                f"{wanted[key]!r}: params are immutable (use a tag for values that change)"
            )


def write_tags(conn: Connection, run_id: str, items: Sequence[RunTag]) -> None:
    # The last write of a key in a batch wins.
    latest = {check.key("tag", t.key): check.tag_value(t.key, t.value) for t in items}
    if RUN_NAME_TAG in latest and not latest[RUN_NAME_TAG]:
        raise InvalidInputError(f"tag {RUN_NAME_TAG!r} (the run name) must not be empty")
    sql = _MYSQL_UPSERT_TAG if conn.dialect.name == "mysql" else _UPSERT_TAG
    _raw.run_many(conn, sql, [(run_id, k, v) for k, v in latest.items()])
    if RUN_NAME_TAG in latest:
        _raw.run(
            conn, "UPDATE runs SET name = ? WHERE run_uuid = ?", (latest[RUN_NAME_TAG], run_id)
        )


def write_metrics(conn: Connection, run_id: str, items: Sequence[Metric]) -> None:
    """Append every point, then upsert one latest row per key (the batch's best point,
    found here, so the database sees one upsert per key rather than one per point)."""
    by_key: dict[str, list[_Row]] = {}
    for m in items:
        # NaN, the one value unequal to itself, is stored as 0 with is_nan set.
        v = m.value
        row = (run_id, m.key, v, False, m.timestamp, m.step) if v == v else (
            run_id, m.key, 0.0, True, m.timestamp, m.step
        )  # fmt: skip
        group = by_key.get(m.key)
        if group is None:
            by_key[m.key] = group = []
        group.append(row)
    # In the order of the (run, key, step, ...) index, so that each insert lands next to
    # the one before. Sorts are stable: a batch's first copy of a point is the one kept.
    in_order: list[_Row] = []
    latest: list[_Row] = []
    for key in sorted(by_key):
        check.key("metric", key)
        group = by_key[key]
        group.sort(key=_STEP)  # one pass when the batch is in step order already
        in_order += group
        latest.append(_latest(group))
    try:
        skip = _MYSQL_SKIP_STORED if conn.dialect.name == "mysql" else _SKIP_STORED
        _raw.insert_values(conn, _INSERT_METRICS, skip, in_order, _METRIC_ROWS_PER_STATEMENT)
    except (OverflowError, DataError):
        _check_steps_and_times(items)  # names the point the database refused, if one was
        raise
    _upsert_latest(conn, latest)


def _check_steps_and_times(items: Sequence[Metric]) -> None:
    for m in items:
        check.int64(f"metric {m.key!r}: step", m.step)
        check.int64(f"metric {m.key!r}: timestamp", m.timestamp)


def _latest(group: list[_Row]) -> _Row:
    """The latest of one key's rows, sorted by step: among those at the highest step, the
    latest time, then a number over NaN, then the larger value; on a tie the first."""
    best = group[-1]
    for row in reversed(group):
        if row[5] != best[5]:
            break
        if not _later(best, row):  # ``row`` came earlier, so it wins ties
            best = row
    return best


def _later(a: _Row, b: _Row) -> bool:
    """``a`` is the later of two rows at one step: a later time, or at the same time a
    number against NaN or a larger number."""
    if a[4] != b[4]:
        return bool(a[4] > b[4])
    return not a[3] and (b[3] or a[2] > b[2])
