"""Metric history thinned for charts, in SQL: a million points leave the database as a few
thousand, with every extreme kept.

The x range is cut into equal buckets (integer division, the same on SQLite and PostgreSQL).
Each bucket keeps the ids of its first and last point and of its lowest and highest value
(NaN never counts as an extreme); the chosen rows are then read by primary key. Both x axes
(step and wall time) have an index (run, key, x, value, is_nan), so every bucket is one
index range: its first and last points are single seeks and its extremes a scan of that
range in the index alone. Nothing is sorted or grouped as a whole.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Connection, func, literal, not_, select, union

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
    # Two scalar subqueries: each is one index seek, where a single min()/max() query would
    # scan the whole series on SQLite.
    x_min, x_max = conn.execute(
        select(
            select(func.min(x)).where(*where).scalar_subquery(),
            select(func.max(x)).where(*where).scalar_subquery(),
        )
    ).one()
    if x_max - x_min >= _SAFE_SPAN:
        return None
    width = bucket_width(x_min, x_max, max_points)

    ids = _range_bucket_ids(conn.dialect.name, x, where, x_min, x_max, width)
    query = (
        select(m.key, m.value, m.is_nan, m.timestamp, m.step).where(m.id.in_(ids)).order_by(x, m.id)
    )
    return _points(conn, query, run_id)


def _range_bucket_ids(
    dialect: str, x: Any, where: tuple[Any, ...], x_min: int, x_max: int, width: int
) -> Any:
    """One id per role (first, last, lowest, highest) per bucket, each a correlated lookup
    over that bucket's index range."""
    m = metrics.c
    starts = select(literal(x_min, BigInteger).label("lo")).cte("starts", recursive=True)
    starts = starts.union_all(
        select((starts.c.lo + width).label("lo")).where(starts.c.lo + width <= x_max)
    )
    in_bucket = (*where, x >= starts.c.lo, x < starts.c.lo + width)
    real = (*in_bucket, not_(m.is_nan))
    picks = [
        # In index order: points tied on (x, value) are the same point on the chart.
        _top_one(in_bucket, (x, m.value), starts),
        _top_one(in_bucket, (x.desc(), m.value.desc()), starts),
    ]
    if dialect == "sqlite":
        picks += [_sqlite_extreme(func.min, real, starts), _sqlite_extreme(func.max, real, starts)]
    else:
        picks += [
            _top_one(real, (m.value, m.id), starts),
            _top_one(real, (m.value.desc(), m.id), starts),
        ]
    return union(
        *(select(pick.label("id")).select_from(starts) for pick in picks)
    ).scalar_subquery()


def _top_one(conditions: tuple[Any, ...], order: tuple[Any, ...], starts: Any) -> Any:
    m = metrics.c
    query = select(m.id).where(*conditions).order_by(*order).limit(1)
    return query.correlate(starts).scalar_subquery()


def _sqlite_extreme(aggregate: Any, conditions: tuple[Any, ...], starts: Any) -> Any:
    """SQLite fills a bare column of a ``min()``/``max()`` query from the row holding that
    extreme: one pass over the range, where ORDER BY value LIMIT 1 would sort it."""
    m = metrics.c
    extreme = select(aggregate(m.value), m.id.label("id")).where(*conditions)
    extreme = extreme.correlate(starts).subquery()
    return select(extreme.c.id).correlate(starts).scalar_subquery()


def _points(conn: Connection, query: Any, run_id: str) -> list[Metric]:
    nan = float("nan")
    return [
        Metric(key, nan if is_nan else value, timestamp, step, run_id)
        for key, value, is_nan, timestamp, step in conn.execute(query)
    ]
