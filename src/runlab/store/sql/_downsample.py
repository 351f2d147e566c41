"""Metric history thinned for charts: a million points leave the database as a few
thousand, with every extreme kept.

The x range is cut into equal buckets; each keeps its first and last point and its lowest
and highest value (NaN never counts as an extreme). A point is its whole primary key
(run, key, step, timestamp, value, is_nan), so the chosen points come back as they are
found, with nothing to look up afterwards.

Over steps, every bucket is a range of the primary key: its first and last points are
single seeks and its extremes a scan of that range. Reading every value of the series is
the cost that matters, so SQLite reads each value once: one pass gives the lowest and
highest value of every sub-bucket (an eighth of a bucket), and only the sub-buckets
holding a bucket's extremes are read again to find those points. (One query cannot return
both a ``min()`` row and a ``max()`` row, so finding them directly takes two passes over
everything.) PostgreSQL takes the four points of each bucket with LATERAL lookups;
MariaDB, which has no LATERAL, ranks the series' points within their buckets.

Over wall time see :mod:`._wall_time`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from runlab.entities import Metric
from runlab.store.base import bucket_width
from runlab.store.sql import _raw, _series, _wall_time

# Sub-buckets per bucket in SQLite's first pass: more make the second pass shorter but
# cost one more index seek each, so narrower buckets get fewer (one per _PIECE_WIDTH of
# x), and buckets narrower than _MIN_PIECES of them (many buckets of few points, where
# the seeks cost more than the values) take the direct plan.
_PIECES = 8
_MIN_PIECES = 4
_PIECE_WIDTH = 128


def history_downsampled(
    conn: Connection, run_id: str, key: str, max_points: int, x_axis: str
) -> list[Metric] | None:
    """The thinned series, or None when the span is too wide for SQL integer arithmetic."""
    # Counting stops past max_points: a long series is not counted to the end.
    counted = _raw.fetch(
        conn,
        "SELECT count(*) FROM"
        " (SELECT step FROM metrics WHERE run_uuid = ? AND key = ? LIMIT ?) AS head",
        (run_id, key, max_points + 1),
    )
    if counted[0][0] <= max_points:
        order = "step, timestamp, value" if x_axis == "step" else "timestamp, step, value"
        return _series.to_metrics(_series.whole(conn, run_id, key, order), key, run_id)
    if x_axis == "timestamp":
        return _wall_time.downsampled(conn, run_id, key, max_points)
    span = _series.step_span(conn, run_id, key)
    if span is None:
        return None
    x_min, x_max = span
    width = bucket_width(x_min, x_max, max_points)
    if conn.dialect.name == "mysql":
        points = _mysql_buckets(conn, run_id, key, x_min, width)
    elif conn.dialect.name != "sqlite":
        points = _postgres_buckets(conn, run_id, key, x_min, x_max, width)
    elif width >= _MIN_PIECES * _PIECE_WIDTH:
        points = _series.unpack(_sqlite_two_pass(conn, run_id, key, x_min, x_max, width))
    else:
        points = _series.unpack(_sqlite_direct(conn, run_id, key, x_min, x_max, width))
    return _series.to_metrics(sorted(points), key, run_id)


def _sqlite_direct(
    conn: Connection, run_id: str, key: str, x_min: int, x_max: int, width: int
) -> set[str]:
    """Four correlated lookups per bucket, each over that bucket's key range. SQLite fills
    a bare column of a ``min()``/``max()`` query from the row holding that extreme (the
    first such row in key order): one pass over the range, where ORDER BY value would sort."""
    in_bucket = f"{_series.SERIES} AND step >= ?3 + b.i * ?4 AND step < ?3 + (b.i + 1) * ?4"
    real = f"{in_bucket} AND is_nan = 0"
    picks = [
        f"SELECT {_series.PACKED} FROM metrics WHERE {in_bucket}"
        " ORDER BY step, timestamp, value LIMIT 1",
        f"SELECT {_series.PACKED} FROM metrics WHERE {in_bucket}"
        " ORDER BY step DESC, timestamp DESC, value DESC LIMIT 1",
        f"SELECT p FROM (SELECT {_series.PACKED} AS p, min(value) FROM metrics WHERE {real})",
        f"SELECT p FROM (SELECT {_series.PACKED} AS p, max(value) FROM metrics WHERE {real})",
    ]
    buckets = "WITH RECURSIVE b(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM b WHERE i + 1 < ?5) "
    sql = buckets + " UNION ALL ".join(f"SELECT ({pick}) FROM b" for pick in picks)
    count = (x_max - x_min) // width + 1
    return {p for (p,) in _raw.fetch(conn, sql, (run_id, key, x_min, width, count))}


def _sqlite_two_pass(
    conn: Connection, run_id: str, key: str, x_min: int, x_max: int, width: int
) -> set[str]:
    """The first, last, lowest and highest point of every bucket, reading each value of
    the series once, plus part of the sub-buckets that hold the extremes."""
    pieces = min(_PIECES, width // _PIECE_WIDTH)
    piece = -(-width // pieces)
    subs = ((x_max - x_min) // width + 1) * pieces
    # Sub-bucket i: piece i % pieces of bucket i / pieces, cut at the bucket's end.
    lo = "(?3 + (SUB / ?4) * ?5 + (SUB % ?4) * ?6)"
    hi = f"min({lo} + ?6, ?3 + (SUB / ?4 + 1) * ?5)"
    in_sub = f"{_series.SERIES} AND step >= {lo} AND step < {hi}"
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
    found = [_series.numbers(pair) for (pair,) in _raw.fetch(conn, first_pass, params)]
    suspects = [i for i, pair in enumerate(found) if pair is not None and 0.0 in pair]
    for chunk in _series.chunks(suspects, _series.VALUES_PER_STATEMENT):
        listed = _series.marks(len(params), len(chunk), 1)
        again = (
            f"SELECT s.i, {extremes.format(nan=' AND is_nan = 0')}"
            f" FROM (SELECT column1 AS i FROM (VALUES {listed})) AS s"
        )
        for i, pair_text in _raw.fetch(conn, again, [*params, *chunk]):
            found[i] = _series.numbers(pair_text)

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

    in_bucket = f"{_series.SERIES} AND step >= ?3 + b.i * ?5 AND step < ?3 + (b.i + 1) * ?5"
    ends = (
        "WITH RECURSIVE b(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM b WHERE i + 1 < ?7 / ?4)"
        f" SELECT (SELECT {_series.PACKED} FROM metrics WHERE {in_bucket}"
        " ORDER BY step, timestamp, value LIMIT 1) FROM b"
        f" UNION ALL SELECT (SELECT {_series.PACKED} FROM metrics WHERE {in_bucket}"
        " ORDER BY step DESC, timestamp DESC, value DESC LIMIT 1) FROM b"
    )
    found_points = {p for (p,) in _raw.fetch(conn, ends, params)}
    # The first point of the sub-bucket holding the extreme value, in key order: a scan
    # that stops there, with the value bound as a parameter (exact).
    for chunk in _series.chunks(lows + highs, _series.VALUES_PER_STATEMENT // 2):
        rows = _series.marks(len(params), len(chunk), 2)
        extreme = (
            f"SELECT (SELECT {_series.PACKED} FROM metrics WHERE {in_sub.replace('SUB', 'p.i')}"
            " AND value = p.v AND is_nan = 0 ORDER BY step, timestamp LIMIT 1)"
            f" FROM (SELECT column1 AS i, column2 AS v FROM (VALUES {rows})) AS p"
        )
        flat = [v for pick in chunk for v in pick]
        found_points.update(p for (p,) in _raw.fetch(conn, extreme, [*params, *flat]))
    return found_points


_POSTGRES_BUCKETS = """
SELECT p.step, p.timestamp, p.value, p.is_nan
FROM generate_series(CAST(0 AS BIGINT), CAST(:count AS BIGINT) - 1) AS b(i)
CROSS JOIN LATERAL (
    (SELECT {columns} FROM metrics WHERE {in_bucket}
     ORDER BY step, timestamp, value LIMIT 1)
    UNION ALL
    (SELECT {columns} FROM metrics WHERE {in_bucket}
     ORDER BY step DESC, timestamp DESC, value DESC LIMIT 1)
    UNION ALL
    (SELECT {columns} FROM metrics WHERE {in_bucket} AND NOT is_nan
     ORDER BY value, step, timestamp LIMIT 1)
    UNION ALL
    (SELECT {columns} FROM metrics WHERE {in_bucket} AND NOT is_nan
     ORDER BY value DESC, step, timestamp LIMIT 1)
) AS p
""".format(
    columns="step, timestamp, value, is_nan",
    in_bucket="run_uuid = :run AND key = :key"
    " AND step >= CAST(:lo AS BIGINT) + b.i * CAST(:width AS BIGINT)"
    " AND step < CAST(:lo AS BIGINT) + (b.i + 1) * CAST(:width AS BIGINT)",
)


def _postgres_buckets(
    conn: Connection, run_id: str, key: str, x_min: int, x_max: int, width: int
) -> set[_series.Point]:
    """Each bucket's four points, each found by its own lookup over the bucket's key range
    (the lowest and highest by a top-1 sort of that range)."""
    params = {"run": run_id, "key": key, "lo": x_min, "width": width}
    rows = conn.execute(text(_POSTGRES_BUCKETS), {**params, "count": (x_max - x_min) // width + 1})
    return {(s, t, v, n) for s, t, v, n in rows}


# The same four points per bucket as PostgreSQL's, chosen by the same orders.
_MYSQL_BUCKETS = """
SELECT step, timestamp, value, is_nan FROM (
    SELECT step, timestamp, value, is_nan,
        ROW_NUMBER() OVER (PARTITION BY b ORDER BY step, timestamp, value) AS first_rank,
        ROW_NUMBER() OVER (PARTITION BY b ORDER BY step DESC, timestamp DESC, value DESC)
            AS last_rank,
        ROW_NUMBER() OVER (PARTITION BY b, is_nan ORDER BY value, step, timestamp) AS low_rank,
        ROW_NUMBER() OVER (PARTITION BY b, is_nan ORDER BY value DESC, step, timestamp)
            AS high_rank
    FROM (SELECT step, timestamp, value, is_nan, (step - ?) DIV ? AS b
          FROM metrics WHERE run_uuid = ? AND key = ?) AS m
) AS ranked
WHERE first_rank = 1 OR last_rank = 1 OR (NOT is_nan AND (low_rank = 1 OR high_rank = 1))
"""


def _mysql_buckets(
    conn: Connection, run_id: str, key: str, x_min: int, width: int
) -> set[_series.Point]:
    rows = _raw.fetch(conn, _MYSQL_BUCKETS, (x_min, width, run_id, key))
    return {(s, t, v, bool(n)) for s, t, v, n in rows}
