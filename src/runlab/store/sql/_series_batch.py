"""Many series at once, for the charts workspace: the downsampled histories of many runs
and keys, and the points logged since a chart last asked.

Over steps, each key costs a fixed number of statements whatever the number of runs: one
reads every run's step span and whether it holds more than ``max_points`` points (seeks
at the ends of its key range), one reads the short series whole, and one thins all the
long ones, each bucket of each run keeping its first, last, lowest and highest point as
:mod:`._downsample` does for one series (SQLite: four correlated lookups per bucket;
PostgreSQL: the same four as LATERAL lookups). Reading every value is what that costs,
so on SQLite, past ``SAMPLE_ABOVE`` steps of long series in all, a key's runs are sampled
instead: each run's first point in each bucket of one grid shared by all of them, found
by one seek, and its last point. Over wall time the history has no index,
so each series goes through :mod:`._wall_time` in turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, text

from runlab.entities import Metric
from runlab.errors import NotFoundError
from runlab.store.base import MetricUpdates, bucket_width, check_after_steps, check_batch_args
from runlab.store.base import check_downsample_args as check_points
from runlab.store.sql import _downsample, _interval, _raw, _series
from runlab.store.sql._engine import Database

Series = dict[str, dict[str, list[Metric]]]


class SeriesBatchMethods:
    """Mixed into SqlStore; works on its ``db``."""

    db: Database

    def get_metric_histories_downsampled(
        self,
        run_ids: Sequence[str],
        keys: Sequence[str],
        max_points: int = 2000,
        x_axis: str = "step",
    ) -> Series:
        run_ids, keys = check_batch_args(run_ids, keys)
        max_points, x_axis = check_points(max_points, x_axis)
        found: Series = {r: {} for r in run_ids}
        with self.db.read() as conn:
            _require_runs(conn, run_ids)
            # MariaDB has neither LATERAL nor named VALUES columns: one series at a time.
            batched = conn.dialect.name != "mysql"
            for key in keys:
                if x_axis == "step" and batched:
                    of_key = _by_step(conn, run_ids, key, max_points)
                else:
                    of_key = {r: _one(conn, r, key, max_points, x_axis) for r in run_ids}
                for run_id in run_ids:
                    found[run_id][key] = of_key.get(run_id, [])
        return found

    def get_metric_updates(
        self,
        run_ids: Sequence[str],
        keys: Sequence[str],
        after_step: Any = None,
        max_points: int = 2000,
    ) -> MetricUpdates:
        run_ids, keys = check_batch_args(run_ids, keys)
        max_points, _ = check_points(max_points, "step")
        after = check_after_steps(after_step, run_ids, keys)
        points: Series = {r: {k: [] for k in keys} for r in run_ids}
        with self.db.read() as conn:
            marks = ", ".join("?" * len(run_ids))
            rows = _raw.fetch(
                conn, f"SELECT run_uuid, status FROM runs WHERE run_uuid IN ({marks})", run_ids
            )
            statuses = {run_id: str(status) for run_id, status in rows}
            missing = [r for r in run_ids if r not in statuses]
            if missing:
                raise NotFoundError(f"run {missing[0]!r} not found")
            # The latest point of each (run, key) has its highest step: a pair whose
            # latest step is not above its bound has nothing new and costs no seek.
            logged: dict[str, list[str]] = {r: [] for r in run_ids}
            latest: dict[tuple[str, str], int] = {}
            listed = _raw.fetch(
                conn,
                f"SELECT run_uuid, key, step FROM latest_metrics WHERE run_uuid IN ({marks})",
                run_ids,
            )
            for run_id, key, step in listed:
                logged[run_id].append(key)
                latest[run_id, key] = step
            for of_run in logged.values():
                of_run.sort()
            near: list[tuple[str, str, int]] = []
            far: list[tuple[str, str, int]] = []
            for r in run_ids:
                for k in keys:
                    top = latest.get((r, k))
                    if top is not None and top > after[r][k]:
                        # All new points of a pair at most max_points steps behind lie in
                        # (bound, latest]: a plain range join, cut to max_points here.
                        (near if top - after[r][k] <= max_points else far).append(
                            (r, k, after[r][k])
                        )
            mysql = conn.dialect.name == "mysql"
            found: list[tuple[Any, ...]] = []
            for chunk in _series.chunks(near, _series.VALUES_PER_STATEMENT // 3):
                found += _since_each(conn, chunk, max_points) if mysql else _near(conn, chunk)
            for chunk in _series.chunks(far, _series.VALUES_PER_STATEMENT // 3):
                found += (_since_each if mysql else _since)(conn, chunk, max_points)
            for run_id, key, step, ts, value, is_nan in found:
                held = points[run_id][key]
                if len(held) < max_points:
                    held.append(Metric(key, float("nan") if is_nan else value, ts, step, run_id))
        return MetricUpdates(points, statuses, logged)


def _require_runs(conn: Connection, run_ids: Sequence[str]) -> None:
    missing = _interval.missing_runs(conn, run_ids)
    if missing:
        raise NotFoundError(f"run {missing[0]!r} not found")


def _one(conn: Connection, run_id: str, key: str, max_points: int, x_axis: str) -> list[Metric]:
    points = _downsample.history_downsampled(conn, run_id, key, max_points, x_axis)
    if points is None:  # a span too wide for SQL integers: thinned in Python
        from runlab.store.base import downsample_points

        whole = _series.whole(conn, run_id, key, "step, timestamp, value")
        return downsample_points(_series.to_metrics(whole, key, run_id), max_points, x_axis)
    return points


def _values(rows: int, casts: Sequence[str], pg: bool) -> str:
    """A VALUES list of ``rows`` rows of ``?`` placeholders, cast for PostgreSQL."""
    cells = [f"CAST(? AS {t})" if pg else "?" for t in casts]
    return ", ".join([f"({', '.join(cells)})"] * rows)


def _by_step(
    conn: Connection, run_ids: list[str], key: str, max_points: int
) -> dict[str, list[Metric]]:
    """Every run's thinned series of ``key`` over steps, in three statements."""
    pg = conn.dialect.name != "sqlite"
    listed = _values(len(run_ids), ["TEXT"], pg)
    # Each is a seek; the (max_points + 1)th point exists only in a long series.
    spans = _raw.fetch(
        conn,
        "SELECT r.column1,"
        " (SELECT min(step) FROM metrics WHERE run_uuid = r.column1 AND key = ?),"
        " (SELECT max(step) FROM metrics WHERE run_uuid = r.column1 AND key = ?),"
        " (SELECT step FROM metrics WHERE run_uuid = r.column1 AND key = ?"
        "  ORDER BY step, timestamp, value LIMIT 1 OFFSET ?)"
        f" FROM (VALUES {listed}) AS r",
        [key, key, key, max_points, *run_ids],
    )
    short = [r for r, low, _, more in spans if low is not None and more is None]
    long = [
        (r, low, high)
        for r, low, high, more in spans
        if more is not None and high - low < _series.SAFE_SPAN
    ]
    wide = [
        r for r, low, high, more in spans if more is not None and high - low >= _series.SAFE_SPAN
    ]
    found: dict[str, list[Metric]] = {r: [] for r in run_ids}
    if short:
        marks = ", ".join("?" * len(short))
        rows = _raw.fetch(
            conn,
            f"SELECT run_uuid, {_series.COLUMNS} FROM metrics"
            f" WHERE key = ? AND run_uuid IN ({marks}) ORDER BY run_uuid, step, timestamp, value",
            [key, *short],
        )
        for run_id, *point in rows:
            found[run_id].extend(_series.to_metrics([point], key, run_id))
    if not pg and sum(high - low for _, low, high in long) > SAMPLE_ABOVE:
        for run_id, points in _sqlite_shared_steps(conn, key, long, max_points).items():
            found[run_id] = _series.to_metrics(sorted(points), key, run_id)
        long = []
    if long:
        buckets = [(r, low, bucket_width(low, high, max_points), high) for r, low, high in long]
        picked = (
            _postgres_buckets(conn, key, buckets) if pg else _sqlite_buckets(conn, key, buckets)
        )
        for run_id, points in picked.items():
            found[run_id] = _series.to_metrics(sorted(points), key, run_id)
    for run_id in wide:
        found[run_id] = _one(conn, run_id, key, max_points, "step")
    return found


# Past this many steps in all over the long series of one key, SQLite samples them at
# shared steps instead of finding every bucket's extremes, which reads every value: 100
# runs of 10,000 points a key took 0.6 s to thin, and take a tenth of that to sample.
SAMPLE_ABOVE = 250_000


def _sqlite_shared_steps(
    conn: Connection, key: str, series: list[tuple[str, int, int]], max_points: int
) -> dict[str, set[_series.Point]]:
    """Each run's first point in each of ``max_points - 1`` buckets of one grid shared by
    all the runs (runs logged at the same steps are sampled at the same steps, as a chart
    that overlays them wants), and its last point; one index seek per bucket, no scan."""
    lo = min(low for _, low, _ in series)
    hi = max(high for _, _, high in series)
    count = max(1, max_points - 1)
    width = max(1, -(-(hi - lo + 1) // count))
    count = (hi - lo) // width + 1
    found: dict[str, set[_series.Point]] = {}
    for chunk in _series.chunks(series, _series.VALUES_PER_STATEMENT):
        listed = _series.marks(4, len(chunk), 1)
        in_series = "run_uuid = s.run AND key = ?1"
        sql = (
            f"WITH RECURSIVE s(run) AS (VALUES {listed}),"
            " b(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM b WHERE i + 1 < ?4)"
            f" SELECT s.run, (SELECT {_series.PACKED} FROM metrics WHERE {in_series}"
            " AND step >= ?2 + b.i * ?3 AND step < ?2 + (b.i + 1) * ?3"
            " ORDER BY step, timestamp, value LIMIT 1) FROM s, b"
            f" UNION ALL SELECT s.run, (SELECT {_series.PACKED} FROM metrics WHERE {in_series}"
            " ORDER BY step DESC, timestamp DESC, value DESC LIMIT 1) FROM s"
        )
        params = [key, lo, width, count, *(r for r, _, _ in chunk)]
        for run_id, packed in _raw.fetch(conn, sql, params):
            found.setdefault(run_id, set()).update(_series.unpack([packed]))
    return found


def _sqlite_buckets(
    conn: Connection, key: str, series: list[tuple[str, int, int, int]]
) -> dict[str, set[_series.Point]]:
    """The four points of each bucket of each run: SQLite fills a bare column of a
    ``min()``/``max()`` query from the row holding that extreme, one pass over the range."""
    in_bucket = (
        "run_uuid = b.run AND key = ?1"
        " AND step >= b.lo + b.i * b.w AND step < b.lo + (b.i + 1) * b.w"
    )
    real = f"{in_bucket} AND is_nan = 0"
    picks = [
        f"SELECT {_series.PACKED} FROM metrics WHERE {in_bucket}"
        " ORDER BY step, timestamp, value LIMIT 1",
        f"SELECT {_series.PACKED} FROM metrics WHERE {in_bucket}"
        " ORDER BY step DESC, timestamp DESC, value DESC LIMIT 1",
        f"SELECT p FROM (SELECT {_series.PACKED} AS p, min(value) FROM metrics WHERE {real})",
        f"SELECT p FROM (SELECT {_series.PACKED} AS p, max(value) FROM metrics WHERE {real})",
    ]
    found: dict[str, set[_series.Point]] = {}
    for chunk in _series.chunks(series, _series.VALUES_PER_STATEMENT // 4):
        rows = [(r, lo, w, (hi - lo) // w + 1) for r, lo, w, hi in chunk]
        sql = (
            f"WITH RECURSIVE s(run, lo, w, n) AS (VALUES {_series.marks(1, len(rows), 4)}),"
            " b(run, lo, w, n, i) AS (SELECT run, lo, w, n, 0 FROM s"
            " UNION ALL SELECT run, lo, w, n, i + 1 FROM b WHERE i + 1 < n) "
            + " UNION ALL ".join(f"SELECT b.run, ({pick}) FROM b" for pick in picks)
        )
        flat = [v for row in rows for v in row]
        for run_id, packed in _raw.fetch(conn, sql, [key, *flat]):
            found.setdefault(run_id, set()).update(_series.unpack([packed]))
    return found


_POSTGRES_BUCKETS = """
SELECT s.run, p.step, p.timestamp, p.value, p.is_nan
FROM (VALUES {listed}) AS s(run, lo, w, n)
CROSS JOIN LATERAL generate_series(CAST(0 AS BIGINT), s.n - 1) AS b(i)
CROSS JOIN LATERAL (
    (SELECT {columns} FROM metrics WHERE {in_bucket} ORDER BY step, timestamp, value LIMIT 1)
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
"""
_PG_IN_BUCKET = (
    "run_uuid = s.run AND key = :key AND step >= s.lo + b.i * s.w AND step < s.lo + (b.i + 1) * s.w"
)


def _postgres_buckets(
    conn: Connection, key: str, series: list[tuple[str, int, int, int]]
) -> dict[str, set[_series.Point]]:
    found: dict[str, set[_series.Point]] = {}
    for chunk in _series.chunks(series, _series.VALUES_PER_STATEMENT // 4):
        params: dict[str, Any] = {"key": key}
        listed = []
        for i, (run_id, lo, w, hi) in enumerate(chunk):
            params.update({f"r{i}": run_id, f"l{i}": lo, f"w{i}": w, f"n{i}": (hi - lo) // w + 1})
            listed.append(
                f"(CAST(:r{i} AS TEXT), CAST(:l{i} AS BIGINT),"
                f" CAST(:w{i} AS BIGINT), CAST(:n{i} AS BIGINT))"
            )
        sql = _POSTGRES_BUCKETS.format(
            listed=", ".join(listed), columns=_series.COLUMNS, in_bucket=_PG_IN_BUCKET
        )
        for run_id, step, ts, value, is_nan in conn.execute(text(sql), params):
            found.setdefault(run_id, set()).add((step, ts, value, is_nan))
    return found


def _near(conn: Connection, pairs: list[tuple[str, str, int]]) -> list[tuple[Any, ...]]:
    """Every point of each (run, key) with a step above its own bound, in step order."""
    pg = conn.dialect.name != "sqlite"
    listed = _values(len(pairs), ["TEXT", "TEXT", "BIGINT"], pg)
    return _raw.fetch(
        conn,
        "SELECT p.column1, m.key, m.step, m.timestamp, m.value, m.is_nan"
        f" FROM (VALUES {listed}) AS p"
        " JOIN metrics AS m ON m.run_uuid = p.column1 AND m.key = p.column2 AND m.step > p.column3"
        " ORDER BY p.column1, m.key, m.step, m.timestamp, m.value",
        [v for pair in pairs for v in pair],
    )


def _since(
    conn: Connection, pairs: list[tuple[str, str, int]], max_points: int
) -> list[tuple[Any, ...]]:
    """Up to ``max_points`` points of each (run, key) with a step above its own bound, in
    step order: one statement, each pair a seek into its key range."""
    pg = conn.dialect.name != "sqlite"
    listed = _values(len(pairs), ["TEXT", "TEXT", "BIGINT"], pg)
    flat = [*(v for pair in pairs for v in pair), max_points]
    return _raw.fetch(
        conn,
        "SELECT run, key, step, timestamp, value, is_nan FROM ("
        " SELECT p.column1 AS run, m.key, m.step, m.timestamp, m.value, m.is_nan,"
        "  ROW_NUMBER() OVER (PARTITION BY m.run_uuid, m.key"
        "   ORDER BY m.step, m.timestamp, m.value) AS n"
        f" FROM (VALUES {listed}) AS p"
        " JOIN metrics AS m ON m.run_uuid = p.column1 AND m.key = p.column2 AND m.step > p.column3"
        ") AS q WHERE n <= ? ORDER BY run, key, step, timestamp, value",
        flat,
    )


def _since_each(
    conn: Connection, pairs: list[tuple[str, str, int]], max_points: int
) -> list[tuple[Any, ...]]:
    """:func:`_since` one pair at a time, each a seek into its key range (MySQL)."""
    rows: list[tuple[Any, ...]] = []
    for run_id, key, step in pairs:
        rows += _raw.fetch(
            conn,
            "SELECT run_uuid, key, step, timestamp, value, is_nan FROM metrics"
            " WHERE run_uuid = ? AND key = ? AND step > ?"
            " ORDER BY step, timestamp, value LIMIT ?",
            [run_id, key, step, max_points],
        )
    return rows
