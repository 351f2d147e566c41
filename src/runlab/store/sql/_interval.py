"""Several runs' histories of one metric at a shared sample of steps, picked in SQL.

The steps are numbered in order among the distinct steps of all the runs in range, the
positions to keep are chosen as :func:`runlab.store.base.sample_indices` chooses them,
and only the points at those steps are read: a chart of long runs never loads their
whole histories.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

from runlab.entities import Metric
from runlab.store.base import sample_indices
from runlab.store.sql import _raw, _series


def interval(
    conn: Connection,
    run_ids: Sequence[str],
    key: str,
    max_steps: int,
    start_step: int | None,
    end_step: int | None,
) -> dict[str, list[Metric]]:
    where = f"run_uuid IN ({', '.join('?' * len(run_ids))}) AND key = ?"
    params: list[object] = [*run_ids, key]
    if start_step is not None:
        where += " AND step >= ?"
        params.append(start_step)
    if end_step is not None:
        where += " AND step <= ?"
        params.append(end_step)
    steps = f"SELECT DISTINCT step FROM metrics WHERE {where}"
    count = _raw.fetch(conn, f"SELECT count(*) FROM ({steps}) AS d", params)[0][0]
    found: dict[str, list[Metric]] = {r: [] for r in run_ids}
    if count == 0:
        return found
    if count > max_steps:
        keep = sample_indices(count, max_steps)
        numbered = f"SELECT step, ROW_NUMBER() OVER (ORDER BY step) - 1 AS i FROM ({steps}) AS d"
        chosen = f"SELECT step FROM ({numbered}) AS n WHERE i IN ({', '.join('?' * len(keep))})"
        where += f" AND step IN ({chosen})"
        params = [*params, *params, *keep]  # the range is bound twice: outer and inner
    rows = _raw.fetch(
        conn,
        f"SELECT run_uuid, {_series.COLUMNS} FROM metrics WHERE {where}"
        " ORDER BY run_uuid, step, timestamp, value",
        params,
    )
    nan = float("nan")
    for run_id, step, timestamp, value, is_nan in rows:
        found[run_id].append(Metric(key, nan if is_nan else value, timestamp, step, run_id))
    return found


def missing_runs(conn: Connection, run_ids: Sequence[str]) -> list[str]:
    """Those of ``run_ids`` that name no run."""
    marks = ", ".join("?" * len(run_ids))
    rows = _raw.fetch(conn, f"SELECT run_uuid FROM runs WHERE run_uuid IN ({marks})", run_ids)
    known = {row[0] for row in rows}
    return [r for r in run_ids if r not in known]
