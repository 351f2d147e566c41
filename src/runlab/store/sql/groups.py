"""Runs grouped by one param, tag or attribute in a single ``GROUP BY`` query.

Each metric to summarise is one outer join on ``latest_metrics`` (its primary key is
(run, key), so the joins never multiply rows); NaN values are left out of the summaries.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, TextClause, and_, case, func, select

from runlab.entities import MetricSummary, RunGroup, RunGroups
from runlab.store.filter import OrderKey
from runlab.store.sql.schema import latest_metrics, params, runs, tags

__all__ = ["group_query", "read_groups"]


def group_query(
    where: Sequence[ColumnElement[bool] | TextClause],
    key: OrderKey,
    metric_keys: Sequence[str],
    max_groups: int,
) -> Select[Any]:
    """One row per group: value, run count, then min, max, mean and count per metric.

    One row past ``max_groups`` is asked for, so the caller knows there were more.
    """
    source: Any = runs
    if key.kind == "attribute":
        value: ColumnElement[Any] = runs.c[key.key]
    else:
        keyed = (params if key.kind == "param" else tags).alias("g")
        source = source.outerjoin(
            keyed, and_(keyed.c.run_uuid == runs.c.run_uuid, keyed.c.key == key.key)
        )
        value = keyed.c.value
    columns: list[ColumnElement[Any]] = [value.label("value"), func.count().label("n")]
    for i, metric in enumerate(metric_keys):
        m = latest_metrics.alias(f"m{i}")
        source = source.outerjoin(
            m, and_(m.c.run_uuid == runs.c.run_uuid, m.c.key == metric, ~m.c.is_nan)
        )
        columns += [func.min(m.c.value), func.max(m.c.value), func.avg(m.c.value)]
        columns.append(func.count(m.c.value))
    return (
        select(*columns)
        .select_from(source)
        .where(*where)
        .group_by(value)
        .order_by(case((value.is_(None), 1), else_=0), value)
        .limit(max_groups + 1)
    )


def read_groups(rows: Sequence[Any], metric_keys: Sequence[str], max_groups: int) -> RunGroups:
    groups = []
    for row in rows[:max_groups]:
        summaries = {}
        for i, metric in enumerate(metric_keys):
            low, high, mean, count = row[2 + 4 * i : 6 + 4 * i]
            summaries[metric] = MetricSummary(
                _number(low), _number(high), _number(mean), int(count)
            )
        value = row[0]
        groups.append(RunGroup(None if value is None else str(value), int(row[1]), summaries))
    return RunGroups(groups, truncated=len(rows) > max_groups)


def _number(value: Any) -> float | None:
    # PostgreSQL's mean of inf and -inf is NaN, SQLite's is NULL: both mean "undefined".
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number
