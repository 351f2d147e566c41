"""Metric history thinned over wall time: equal buckets of time, each keeping its first and
last point and its lowest and highest value, as over steps.

The history is keyed by step, not by time (an index by time would cost every logged point
a second b-tree insert), so a bucket of time is not a range of any index. Every point is
streamed through one pass in Python that keeps the four points of each bucket.

On SQLite most of the series is left out of that pass. A first pass in SQL cuts the steps
into pieces (``_PIECES_PER_BUCKET`` per bucket of time) and reads each piece's time span
and value extremes, reading each value once. A piece whose time span falls inside one
bucket can only give that bucket its extremes or ends, and only the pieces that hold
them (ties included) are read again, with the pieces that straddle buckets. When time
follows the steps, as in a training loop, that is a few pieces per bucket.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection

from runlab.entities import Metric
from runlab.store.base import bucket_width
from runlab.store.sql import _raw, _series

_PIECES_PER_BUCKET = 32
# Rows fetched at a time while streaming.
_FETCH = 10_000


def downsampled(conn: Connection, run_id: str, key: str, max_points: int) -> list[Metric]:
    """The thinned series of a key holding more than ``max_points`` points."""
    rows: Iterable[_series.Point] | None = None
    if conn.dialect.name == "sqlite":
        found = _sqlite_pieces(conn, run_id, key, max_points)
        if found is not None:
            t_min, t_max, ranges = found
            rows = _ranges(conn, run_id, key, ranges)
    if rows is None:
        (t_min, t_max), *_ = _raw.fetch(
            conn,
            "SELECT min(timestamp), max(timestamp) FROM metrics WHERE run_uuid = ? AND key = ?",
            (run_id, key),
        )
        rows = _raw.stream(
            conn,
            f"SELECT {_series.COLUMNS} FROM metrics WHERE run_uuid = ? AND key = ?",
            (run_id, key),
            _FETCH,
        )
    chosen = _bucket_points(rows, t_min, bucket_width(t_min, t_max, max_points))
    return _series.to_metrics(sorted(chosen, key=lambda p: (p[1], p[0], p[2])), key, run_id)


def _bucket_points(rows: Iterable[Any], t_min: int, width: int) -> set[Any]:
    """The first, last, lowest and highest point of each bucket of time.

    Rows arrive in key order (step, then time), so ties go to the earlier point in
    (time, step) order: the first of a bucket is replaced only by an earlier time, the
    last by a later or equal one, an extreme only by a more extreme value or an equal one
    at an earlier time. NaN never counts as an extreme.
    """
    first: dict[int, Any] = {}
    last: dict[int, Any] = {}
    low: dict[int, Any] = {}
    high: dict[int, Any] = {}
    for row in rows:
        t = row[1]
        b = (t - t_min) // width
        f = first.get(b)
        if f is None:
            first[b] = last[b] = row
        elif t < f[1]:
            first[b] = row
        elif t >= last[b][1]:
            last[b] = row
        if row[3]:
            continue
        v = row[2]
        lo = low.get(b)
        if lo is None:
            low[b] = high[b] = row
            continue
        if v < lo[2] or (v == lo[2] and t < lo[1]):
            low[b] = row
        hi = high[b]
        if v > hi[2] or (v == hi[2] and t < hi[1]):
            high[b] = row
    return {*first.values(), *last.values(), *low.values(), *high.values()}


def _sqlite_pieces(
    conn: Connection, run_id: str, key: str, max_points: int
) -> tuple[int, int, list[tuple[int, int]]] | None:
    """The series' time span and the step ranges that can hold a bucket's chosen points;
    None when the step span is too wide for SQL integers."""
    span = _series.step_span(conn, run_id, key)
    if span is None:
        return None
    s_min, s_max = span
    count = min((max_points // 4) * _PIECES_PER_BUCKET, s_max - s_min + 1)
    width = -(-(s_max - s_min + 1) // count)
    count = (s_max - s_min) // width + 1
    in_piece = f"{_series.SERIES} AND step >= ?3 + s.i * ?4 AND step < ?3 + (s.i + 1) * ?4"
    params: list[Any] = [run_id, key, s_min, width, count]
    # Time span and value extremes of each piece, NaN read as its stored 0: only a piece
    # whose lowest or highest value reads 0 may owe it to a NaN, and only those are read
    # again without their NaN (a NaN test on every row would cost a tenth of the pass).
    spans = _raw.fetch(
        conn,
        "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i + 1 < ?5)"
        " SELECT (SELECT CASE WHEN count(*) = 0 THEN NULL ELSE"
        " printf('%d %d %!.18g %!.18g', min(timestamp), max(timestamp), min(value), max(value))"
        f" END FROM metrics WHERE {in_piece}) FROM s",
        params,
    )
    pieces = [_piece(text) for (text,) in spans]
    suspects = [i for i, p in enumerate(pieces) if p is not None and 0.0 in p[2:]]
    for chunk in _series.chunks(suspects, _series.VALUES_PER_STATEMENT):
        again = (
            "SELECT s.i, (SELECT printf('%!.18g %!.18g', min(value), max(value))"
            f" FROM metrics WHERE {in_piece} AND is_nan = 0 HAVING count(*) > 0)"
            f" FROM (SELECT column1 AS i FROM (VALUES {_series.marks(5, len(chunk), 1)})) AS s"
        )
        for i, text in _raw.fetch(conn, again, [*params, *chunk]):
            pieces[i][2:] = _series.numbers(text) or (None, None)
    present = [(i, p) for i, p in enumerate(pieces) if p is not None]
    t_min = min(p[0] for _, p in present)
    t_max = max(p[1] for _, p in present)
    t_width = bucket_width(t_min, t_max, max_points)
    wanted = _pieces_to_read(present, t_min, t_width)
    return t_min, t_max, _merged(wanted, s_min, width)


def _piece(text: str | None) -> list[Any] | None:
    """[earliest time, latest time, lowest value, highest value] of a piece, None if empty."""
    if text is None:
        return None
    start, end, low, high = text.split()
    return [int(start), int(end), float(low), float(high)]


def _pieces_to_read(present: list[tuple[int, list[Any]]], t_min: int, t_width: int) -> set[int]:
    """Pieces spanning more than one bucket, and in each bucket the pieces holding its
    earliest and latest time and its lowest and highest value (every one on a tie)."""
    wanted: set[int] = set()
    # Per bucket: [earliest time, its pieces, latest, pieces, lowest, pieces, highest, pieces]
    best: dict[int, list[Any]] = {}
    for i, (start, end, low, high) in present:
        b = (start - t_min) // t_width
        if (end - t_min) // t_width != b:
            wanted.add(i)
            continue
        slot = best.get(b)
        if slot is None:
            best[b] = [start, [i], end, [i], low, [i] if low is not None else [], high, [i]]
            continue
        _better(slot, 0, start, i, start < slot[0])
        _better(slot, 2, end, i, end > slot[2])
        if low is not None:
            _better(slot, 4, low, i, slot[4] is None or low < slot[4])
            _better(slot, 6, high, i, slot[6] is None or high > slot[6])
    for slot in best.values():
        for at in (1, 3, 5, 7):
            wanted.update(slot[at])
    return wanted


def _better(slot: list[Any], at: int, value: Any, piece: int, beats: bool) -> None:
    if beats:
        slot[at], slot[at + 1] = value, [piece]
    elif value == slot[at]:
        slot[at + 1].append(piece)


def _merged(pieces: set[int], s_min: int, width: int) -> list[tuple[int, int]]:
    """Step ranges [lo, hi) of the pieces, neighbours joined."""
    ranges: list[tuple[int, int]] = []
    for i in sorted(pieces):
        lo = s_min + i * width
        if ranges and ranges[-1][1] == lo:
            ranges[-1] = (ranges[-1][0], lo + width)
        else:
            ranges.append((lo, lo + width))
    return ranges


def _ranges(
    conn: Connection, run_id: str, key: str, ranges: list[tuple[int, int]]
) -> Iterable[_series.Point]:
    """The points of the step ranges, in key order."""
    for chunk in _series.chunks(ranges, _series.VALUES_PER_STATEMENT // 2):
        flat = [bound for pair in chunk for bound in pair]
        listed = _series.marks(2, len(chunk), 2)
        yield from _raw.stream(
            conn,
            f"SELECT {_series.COLUMNS} FROM"
            f" (SELECT column1 AS lo, column2 AS hi FROM (VALUES {listed}))"
            f" AS r CROSS JOIN metrics WHERE {_series.SERIES} AND step >= r.lo AND step < r.hi"
            " ORDER BY step, timestamp, value",
            [run_id, key, *flat],
            _FETCH,
        )
