"""The write path of ``log_batch``: params (immutable), tags (upserted), metrics (appended,
latest value kept per key). Everything runs inside the caller's transaction."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from runlab.entities import LifecycleStage, Metric, Param, RunTag
from runlab.errors import ConflictError, InvalidInputError, NotFoundError
from runlab.store.sql.schema import latest_metrics, params, runs, tags

RUN_NAME_TAG = "mlflow.runName"


def _insert(conn: Connection, table: Any) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT on both SQLite and PostgreSQL."""
    module = postgresql if conn.dialect.name == "postgresql" else sqlite
    return module.insert(table)


def require_active_run(conn: Connection, run_id: str) -> None:
    stage = conn.execute(select(runs.c.lifecycle_stage).where(runs.c.run_uuid == run_id)).scalar()
    if stage is None:
        raise NotFoundError(f"run {run_id!r} not found")
    if stage != LifecycleStage.ACTIVE:
        raise ConflictError(f"run {run_id!r} is deleted; restore it before logging to it")


def write_params(conn: Connection, run_id: str, items: Sequence[Param]) -> None:
    wanted: dict[str, str] = {}
    for p in items:
        if wanted.setdefault(p.key, p.value) != p.value:
            raise ConflictError(
                f"param {p.key!r} appears twice in one batch with different values "
                f"({wanted[p.key]!r} and {p.value!r})"
            )
    stmt = _insert(conn, params).on_conflict_do_nothing(index_elements=["run_uuid", "key"])
    conn.execute(stmt, [{"run_uuid": run_id, "key": k, "value": v} for k, v in wanted.items()])
    # Whatever is stored now (ours, or an earlier value) must equal what was asked for.
    stored = conn.execute(
        select(params.c.key, params.c.value).where(
            params.c.run_uuid == run_id, params.c.key.in_(list(wanted))
        )
    ).all()
    for key, value in stored:
        if value != wanted[key]:
            raise ConflictError(
                f"param {key!r} of run {run_id!r} is already {value!r} and cannot change to "
                f"{wanted[key]!r}: params are immutable (use a tag for values that change)"
            )


def write_tags(conn: Connection, run_id: str, items: Sequence[RunTag]) -> None:
    latest: dict[str, str] = {t.key: t.value for t in items}  # last write in a batch wins
    stmt = _insert(conn, tags)
    stmt = stmt.on_conflict_do_update(
        index_elements=["run_uuid", "key"], set_={"value": stmt.excluded.value}
    )
    conn.execute(stmt, [{"run_uuid": run_id, "key": k, "value": v} for k, v in latest.items()])
    if RUN_NAME_TAG in latest:
        name = latest[RUN_NAME_TAG]
        if not name:
            raise InvalidInputError(f"tag {RUN_NAME_TAG!r} (the run name) must not be empty")
        conn.execute(update(runs).where(runs.c.run_uuid == run_id).values(name=name))


def _rank(m: Metric) -> tuple[int, int, bool, float]:
    """Which point is 'latest': highest step, then timestamp, then value (NaN lowest)."""
    nan = math.isnan(m.value)
    return (m.step, m.timestamp, not nan, 0.0 if nan else m.value)


def write_metrics(conn: Connection, run_id: str, items: Sequence[Metric]) -> None:
    """Append every point, then upsert one latest row per key.

    The points arrive validated (the client builds them through its checks), so the hot
    insert goes straight to the DBAPI cursor's ``executemany`` with plain tuples: building
    a dict per row and letting SQLAlchemy process each one costs more than SQLite's insert.
    """
    isnan = math.isnan
    rows: list[tuple[str, str, float, bool, int, int]] = []
    append = rows.append
    best: dict[str, tuple[int, int, bool, float]] = {}
    for m in items:
        value = m.value
        nan = isnan(value)
        if nan:
            value = 0.0
        append((run_id, m.key, value, nan, m.timestamp, m.step))
        rank = (m.step, m.timestamp, not nan, value)  # 'latest': see _rank
        cur = best.get(m.key)
        if cur is None or rank > cur:
            best[m.key] = rank
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(_metric_insert_sql(conn), rows)
    finally:
        cursor.close()
    _upsert_latest(
        conn,
        run_id,
        [
            Metric(key, value if ok else math.nan, ts, step)
            for key, (step, ts, ok, value) in best.items()
        ],
    )


def _metric_insert_sql(conn: Connection) -> str:
    mark = "%s" if conn.dialect.paramstyle in ("format", "pyformat") else "?"
    columns = "run_uuid, key, value, is_nan, timestamp, step"
    return f"INSERT INTO metrics ({columns}) VALUES ({', '.join([mark] * 6)})"


_LATEST_UPSERTS: dict[str, Any] = {}


def _upsert_latest(conn: Connection, run_id: str, points: Any) -> None:
    stmt = _LATEST_UPSERTS.get(conn.dialect.name)
    if stmt is None:
        stmt = _LATEST_UPSERTS[conn.dialect.name] = _latest_upsert(conn)
    conn.execute(
        stmt,
        [
            {
                "run_uuid": run_id,
                "key": m.key,
                "value": 0.0 if math.isnan(m.value) else m.value,
                "is_nan": math.isnan(m.value),
                "timestamp": m.timestamp,
                "step": m.step,
            }
            for m in points
        ],
    )


def _latest_upsert(conn: Connection) -> Any:
    """INSERT into latest_metrics that replaces a row only with a later point (built once
    per dialect: constructing it costs more than running it for a few keys)."""
    stmt = _insert(conn, latest_metrics)
    new, old = stmt.excluded, latest_metrics.c
    newer = or_(
        new.step > old.step,
        and_(new.step == old.step, new.timestamp > old.timestamp),
        and_(
            new.step == old.step,
            new.timestamp == old.timestamp,
            or_(
                and_(old.is_nan, ~new.is_nan),
                and_(~old.is_nan, ~new.is_nan, new.value > old.value),
            ),
        ),
    )
    return stmt.on_conflict_do_update(
        index_elements=["run_uuid", "key"],
        set_={
            "value": new.value,
            "is_nan": new.is_nan,
            "timestamp": new.timestamp,
            "step": new.step,
        },
        where=newer,
    )
