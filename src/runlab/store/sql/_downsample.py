"""Metric history thinned for charts, in SQL: a million points leave the database as a few
thousand, with every extreme kept.

The x range is cut into equal buckets (integer division, the same on SQLite and PostgreSQL).
Each bucket keeps the ids of its first and last point and of its lowest and highest value
(NaN never counts as an extreme); the chosen rows are then read by primary key. On the step
axis every bucket is a range of the history index; wall time has no index, so the buckets
are formed with a GROUP BY over the run's points instead.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Connection, and_, case, func, literal, not_, or_, select, union

from runlab.entities import Metric
from runlab.store.base import bucket_width
from runlab.store.sql.schema import metrics

# Beyond this span (x_max - x_min), ``x - x_min`` could overflow a 64-bit integer in SQL.
_SAFE_SPAN = 2**62


def history_downsampled(
    conn: Connection, run_id: str, key: str, max_points: int, x_axis: str
) -> list[Metric] | None:
    """The thinned series, or None when the span is too wide for SQL integer arithmetic."""
    m = metrics.c
    x: Any = m.step if x_axis == "step" else m.timestamp
    where = (m.run_uuid == run_id, m.key == key)
    # Counting stops past max_points: a long series is not counted to the end.
    head = select(m.id).where(*where).limit(max_points + 1).subquery()
    if conn.execute(select(func.count()).select_from(head)).scalar_one() <= max_points:
        query = select(m.key, m.value, m.is_nan, m.timestamp, m.step).where(*where)
        return _points(conn, query.order_by(x, m.id), run_id)
    x_min, x_max = conn.execute(select(func.min(x), func.max(x)).where(*where)).one()
    if x_max - x_min >= _SAFE_SPAN:
        return None
    width = bucket_width(x_min, x_max, max_points)

    if x_axis == "step":
        ids = _step_bucket_ids(where, x_min, x_max, width)
    else:
        bucket = (x - x_min) // width
        real_value = case((m.is_nan, None), else_=m.value)
        if conn.dialect.name == "sqlite":
            ids = _sqlite_extreme_ids(x, real_value, bucket, where)
        else:
            ids = _window_extreme_ids(m, x, real_value, bucket, where)
    query = (
        select(m.key, m.value, m.is_nan, m.timestamp, m.step).where(m.id.in_(ids)).order_by(x, m.id)
    )
    return _points(conn, query, run_id)


def _sqlite_extreme_ids(x: Any, real_value: Any, bucket: Any, where: tuple[Any, ...]) -> Any:
    """SQLite fills a bare column of a ``min()``/``max()`` query from the row holding that
    extreme, so one GROUP BY per role names that point in every bucket."""
    roles = (func.min(x), func.max(x), func.min(real_value), func.max(real_value))
    picks = [
        select(
            select(role, metrics.c.id.label("id")).where(*where).group_by(bucket).subquery().c.id
        )
        for role in roles
    ]
    return union(*picks).scalar_subquery()


def _step_bucket_ids(where: tuple[Any, ...], x_min: int, x_max: int, width: int) -> Any:
    """Steps are indexed (run, key, step): each bucket is one index range. Its first and last
    points are single seeks, its lowest and highest values a top-1 over that range only, so
    nothing is sorted or grouped as a whole."""
    m = metrics.c
    starts = select(literal(x_min, BigInteger).label("lo")).cte("starts", recursive=True)
    starts = starts.union_all(
        select((starts.c.lo + width).label("lo")).where(starts.c.lo + width <= x_max)
    )
    in_bucket = (*where, m.step >= starts.c.lo, m.step < starts.c.lo + width)
    real = (*in_bucket, not_(m.is_nan))
    roles = (
        (in_bucket, (m.step, m.id)),
        (in_bucket, (m.step.desc(), m.id.desc())),
        (real, (m.value, m.id)),
        (real, (m.value.desc(), m.id)),
    )
    picks = []
    for conditions, order in roles:
        pick = (
            select(m.id)
            .where(*conditions)
            .order_by(*order)
            .limit(1)
            .correlate(starts)
            .scalar_subquery()
        )
        picks.append(select(pick.label("id")).select_from(starts))
    return union(*picks).scalar_subquery()


def _window_extreme_ids(
    m: Any, x: Any, real_value: Any, bucket: Any, where: tuple[Any, ...]
) -> Any:
    """Portable SQL: one window (one sort) gives every row its bucket's bounds; a GROUP BY
    over the rows holding one of the four roles picks one id per role, so ties (a flat line)
    cost one point, not thousands."""
    whole_bucket: dict[str, Any] = {"partition_by": bucket}
    b = (
        select(
            m.id.label("id"),
            x.label("x"),
            m.value.label("value"),
            m.is_nan.label("is_nan"),
            bucket.label("bucket"),
            func.min(x).over(**whole_bucket).label("x_first"),
            func.max(x).over(**whole_bucket).label("x_last"),
            func.min(real_value).over(**whole_bucket).label("v_min"),
            func.max(real_value).over(**whole_bucket).label("v_max"),
        )
        .where(*where)
        .subquery("b")
    )
    is_real = not_(b.c.is_nan)
    is_first = b.c.x == b.c.x_first
    is_last = b.c.x == b.c.x_last
    is_min = and_(is_real, b.c.value == b.c.v_min)
    is_max = and_(is_real, b.c.value == b.c.v_max)
    picked = (
        select(
            func.min(case((is_first, b.c.id))).label("first_id"),
            func.max(case((is_last, b.c.id))).label("last_id"),
            func.min(case((is_min, b.c.id))).label("min_id"),
            func.min(case((is_max, b.c.id))).label("max_id"),
        )
        .where(or_(is_first, is_last, is_min, is_max))
        .group_by(b.c.bucket)
        .cte("picked")
    )
    return union(*(select(column) for column in picked.c)).scalar_subquery()


def _points(conn: Connection, query: Any, run_id: str) -> list[Metric]:
    nan = float("nan")
    return [
        Metric(key, nan if is_nan else value, timestamp, step, run_id)
        for key, value, is_nan, timestamp, step in conn.execute(query)
    ]
