"""Metric history thinned for charts, in SQL: a million points leave the database as a few
thousand, with every extreme kept.

The x range is cut into equal buckets (integer division, the same on SQLite and PostgreSQL).
Each bucket keeps the ids of its first and last point and of its lowest and highest value
(NaN never counts as an extreme); the chosen rows are then read by primary key. Both x axes
(step and wall time) have an index (run, key, x, value, ...), so every bucket is one index
range: its first and last points are single seeks and its extremes a scan of that range in
the index alone. Nothing is sorted or grouped as a whole.

Reading every value of the series is the cost that matters, so SQLite reads each value
once: one pass gives the lowest and highest value of every sub-bucket (an eighth of a
bucket), and only the sub-buckets holding a bucket's extremes are read again to find those
rows. (One query cannot return both a ``min()`` row and a ``max()`` row, so finding them
directly takes two passes over everything.)
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from sqlalchemy import BigInteger, Connection, func, literal, not_, select, union

from runlab.entities import Metric
from runlab.store.base import bucket_width
from runlab.store.sql import _raw
from runlab.store.sql.schema import metrics

# Beyond this span (x_max - x_min), ``x - x_min`` could overflow a 64-bit integer in SQL.
_SAFE_SPAN = 2**62
# Sub-buckets per bucket in SQLite's first pass: more make the second pass shorter but
# cost one more index seek each, so narrower buckets get fewer (one per _PIECE_WIDTH of
# x), and buckets narrower than _MIN_PIECES of them (many buckets of few points, where
# the seeks cost more than the values) take the direct plan.
_PIECES = 8
_MIN_PIECES = 4
_PIECE_WIDTH = 128
# json_each() and the two-pass plan need SQLite 3.38 (JSON built in); older ones use the
# direct plan.
_SQLITE_TWO_PASS = sqlite3.sqlite_version_info >= (3, 38, 0)
# Values bound per statement, well under SQLite's limit of 32,766 variables.
_VALUES_PER_STATEMENT = 20_000


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

    if conn.dialect.name == "sqlite" and _SQLITE_TWO_PASS and width >= _MIN_PIECES * _PIECE_WIDTH:
        column = "step" if x_axis == "step" else "timestamp"
        found = _sqlite_bucket_ids(conn, column, run_id, key, x_min, x_max, width)
        rows = _raw.fetch(
            conn,
            "SELECT key, value, is_nan, timestamp, step FROM metrics"
            f" WHERE id IN (SELECT value FROM json_each(?)) ORDER BY {column}, id",
            (json.dumps(found),),
        )
        return _metrics(rows, run_id)
    ids = _range_bucket_ids(conn.dialect.name, x, where, x_min, x_max, width)
    query = (
        select(m.key, m.value, m.is_nan, m.timestamp, m.step).where(m.id.in_(ids)).order_by(x, m.id)
    )
    return _points(conn, query, run_id)


def _sqlite_bucket_ids(
    conn: Connection, x: str, run_id: str, key: str, x_min: int, x_max: int, width: int
) -> list[int]:
    """The ids of the first, last, lowest and highest point of every bucket, reading each
    value of the series once, plus part of the sub-buckets that hold the extremes."""
    pieces = min(_PIECES, width // _PIECE_WIDTH)
    piece = -(-width // pieces)
    subs = ((x_max - x_min) // width + 1) * pieces
    # Sub-bucket i: piece i % pieces of bucket i / pieces, cut at the bucket's end.
    lo = "(?3 + (SUB / ?4) * ?5 + (SUB % ?4) * ?6)"
    hi = f"min({lo} + ?6, ?3 + (SUB / ?4 + 1) * ?5)"
    in_sub = f"run_uuid = ?1 AND key = ?2 AND {x} >= {lo} AND {x} < {hi}"
    params: list[Any] = [run_id, key, x_min, pieces, width, piece, subs]
    # SQLite's printf writes a double with %!.18g so that it reads back exactly.
    extremes = (
        "(SELECT CASE WHEN min(value) IS NULL THEN NULL"
        " ELSE printf('%!.18g %!.18g', min(value), max(value)) END"
        f" FROM metrics WHERE {in_sub.replace('SUB', 's.i')}{{nan}})"
    )
    # No NaN test per row (a tenth of the pass): a NaN is stored as 0.0, so only a
    # sub-bucket whose lowest or highest value reads 0 may owe it to a NaN, and only those
    # are read again, without their NaN.
    first_pass = (
        "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i + 1 < ?7)"
        f" SELECT {extremes.format(nan='')} FROM s"
    )
    found = [_low_high(text) for (text,) in _raw.fetch(conn, first_pass, params)]
    suspects = [i for i, pair in enumerate(found) if pair is not None and 0.0 in pair]
    for chunk in _chunks(suspects, _VALUES_PER_STATEMENT):
        again = (
            f"SELECT s.i, {extremes.format(nan=' AND is_nan = 0')}"
            f" FROM (SELECT column1 AS i FROM (VALUES {_marks(len(params), len(chunk), 1)})) AS s"
        )
        for i, text in _raw.fetch(conn, again, [*params, *chunk]):
            found[i] = _low_high(text)

    lows: list[tuple[int, float]] = []
    highs: list[tuple[int, float]] = []
    best: tuple[float, int, float, int] | None = None
    for i, pair in enumerate(found):
        if i % pieces == 0 and best is not None:
            lows.append((best[1], best[0]))
            highs.append((best[3], best[2]))
            best = None
        if pair is None:
            continue
        low, high = pair
        # On a tie the earlier sub-bucket wins, as the earlier point does in the bucket.
        if best is None or low < best[0]:
            best = (low, i, *(best[2:] if best else (high, i)))
        if high > best[2]:
            best = (*best[:2], high, i)
    if best is not None:
        lows.append((best[1], best[0]))
        highs.append((best[3], best[2]))

    in_bucket = f"run_uuid = ?1 AND key = ?2 AND {x} >= ?3 + b.i * ?5 AND {x} < ?3 + (b.i + 1) * ?5"
    ends = (
        "WITH RECURSIVE b(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM b WHERE i + 1 < ?7 / ?4)"
        # In index order: points tied on (x, value) are the same point on the chart.
        f" SELECT (SELECT id FROM metrics WHERE {in_bucket} ORDER BY {x}, value LIMIT 1) FROM b"
        f" UNION ALL SELECT (SELECT id FROM metrics WHERE {in_bucket}"
        f" ORDER BY {x} DESC, value DESC LIMIT 1) FROM b"
    )
    ids = {i for (i,) in _raw.fetch(conn, ends, params)}
    # The first row of the sub-bucket holding the extreme value, in index order (x, then
    # id): a scan that stops there, with the value bound as a parameter (exact).
    for chunk in _chunks(lows + highs, _VALUES_PER_STATEMENT // 2):
        rows = _marks(len(params), len(chunk), 2)
        extreme = (
            f"SELECT (SELECT id FROM metrics WHERE {in_sub.replace('SUB', 'p.i')}"
            f" AND value = p.v AND is_nan = 0 ORDER BY {x}, id LIMIT 1)"
            f" FROM (SELECT column1 AS i, column2 AS v FROM (VALUES {rows})) AS p"
        )
        flat = [v for pick in chunk for v in pick]
        ids.update(i for (i,) in _raw.fetch(conn, extreme, [*params, *flat]))
    return sorted(i for i in ids if i is not None)


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _marks(after: int, rows: int, width: int) -> str:
    """``(?8, ?9), (?10, ?11), ...``: numbered placeholders for a VALUES list of ``rows``
    rows of ``width`` after the first ``after`` parameters."""
    return ", ".join(
        "(" + ", ".join(f"?{after + r * width + c + 1}" for c in range(width)) + ")"
        for r in range(rows)
    )


def _low_high(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    low, high = text.split()
    return float(low), float(high)


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
    return _metrics(conn.execute(query), run_id)


def _metrics(rows: Any, run_id: str) -> list[Metric]:
    nan = float("nan")
    return [
        Metric(key, nan if is_nan else value, timestamp, step, run_id)
        for key, value, is_nan, timestamp, step in rows
    ]
