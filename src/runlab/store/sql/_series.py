"""One metric series as chart code reads it: points as rows of the primary key, and the
small SQL helpers the step and wall-time plans share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection

from runlab.entities import Metric
from runlab.store.sql import _raw

Point = tuple[int, int, float, bool]  # step, timestamp, value, is_nan
COLUMNS = "step, timestamp, value, is_nan"
# A point as one SQLite value, so that a scalar subquery can return it whole; a double
# printed with %!.18g reads back exactly.
PACKED = "printf('%d %d %!.18g %d', step, timestamp, value, is_nan)"
# The series in SQLite's numbered parameters: ?1 the run, ?2 the key.
SERIES = "run_uuid = ?1 AND key = ?2"
# Beyond this span (x_max - x_min), ``x - x_min`` could overflow a 64-bit integer in SQL.
SAFE_SPAN = 2**62
# Values bound per statement, well under SQLite's limit of 32,766 variables.
VALUES_PER_STATEMENT = 20_000


def whole(conn: Connection, run_id: str, key: str, order: str) -> list[Point]:
    return _raw.fetch(
        conn,
        f"SELECT {COLUMNS} FROM metrics WHERE run_uuid = ? AND key = ? ORDER BY {order}",
        (run_id, key),
    )


def step_span(conn: Connection, run_id: str, key: str) -> tuple[int, int] | None:
    """The lowest and highest step of a (non-empty) series, or None when the span is too
    wide for SQL integer arithmetic. Two scalar subqueries: each is one seek at an end of
    the key, where one query holding both would scan the whole series on SQLite."""
    (low, high), *_ = _raw.fetch(
        conn,
        "SELECT (SELECT min(step) FROM metrics WHERE run_uuid = ? AND key = ?),"
        " (SELECT max(step) FROM metrics WHERE run_uuid = ? AND key = ?)",
        (run_id, key, run_id, key),
    )
    return None if high - low >= SAFE_SPAN else (low, high)


def unpack(packed: Iterable[str | None]) -> set[Point]:
    points: set[Point] = set()
    for point in packed:
        if point is not None:
            step, timestamp, value, is_nan = point.split()
            points.add((int(step), int(timestamp), float(value), is_nan == "1"))
    return points


def to_metrics(points: Iterable[Any], key: str, run_id: str) -> list[Metric]:
    nan = float("nan")
    return [
        Metric(key, nan if is_nan else value, timestamp, step, run_id)
        for step, timestamp, value, is_nan in points
    ]


def numbers(text: str | None) -> tuple[float, ...] | None:
    """The numbers SQLite's printf wrote, space separated, or None for no row."""
    return None if text is None else tuple(float(part) for part in text.split())


def chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def marks(after: int, rows: int, width: int) -> str:
    """``(?8, ?9), (?10, ?11), ...``: numbered placeholders for a VALUES list of ``rows``
    rows of ``width`` after the first ``after`` parameters."""
    return ", ".join(
        "(" + ", ".join(f"?{after + r * width + c + 1}" for c in range(width)) + ")"
        for r in range(rows)
    )
