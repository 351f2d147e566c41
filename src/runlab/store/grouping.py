"""Grouping runs by one param, tag or attribute, with summaries of their latest metrics.

The group key is written as in ``order_by`` (``params.lr``, ``tags.`team name```,
``attributes.status``); metrics cannot be group keys, their values are continuous.
:func:`group_runs` here is the reference implementation over any iterable of runs; SQL
stores compute the same answer with ``GROUP BY`` in the database.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import cast

from runlab.entities import MetricSummary, Run, RunGroup, RunGroups
from runlab.errors import InvalidInputError
from runlab.store import filter as flt

__all__ = [
    "GROUPABLE_ATTRIBUTES",
    "MAX_GROUP_METRICS",
    "MAX_GROUPS",
    "check_group_args",
    "group_runs",
]

GROUPABLE_ATTRIBUTES = ("status", "user_id")
MAX_GROUP_METRICS = 20
MAX_GROUPS = 10_000


def check_group_args(
    group_by: object, metric_keys: object, max_groups: object
) -> tuple[flt.OrderKey, list[str], int]:
    """Parse and check the arguments of a grouping; errors name the argument and the rule."""
    if not isinstance(group_by, str) or not group_by.strip():
        raise InvalidInputError(
            "group_by must name a param, tag or attribute, e.g. params.lr or tags.team"
        )
    try:
        (key,) = flt.parse_order_by([group_by])
    except InvalidInputError as exc:
        raise InvalidInputError(f"group_by {group_by!r} is not a valid key: {exc}") from exc
    if not key.ascending or group_by.strip().upper().endswith((" ASC", " DESC")):
        raise InvalidInputError(f"group_by {group_by!r} takes a key only, without ASC or DESC")
    if key.kind == "metric":
        raise InvalidInputError(
            f"group_by {group_by!r}: runs are grouped by a param, tag or attribute, not a metric"
        )
    if key.kind == "attribute" and key.key not in GROUPABLE_ATTRIBUTES:
        allowed = ", ".join(f"attributes.{a}" for a in GROUPABLE_ATTRIBUTES)
        raise InvalidInputError(
            f"group_by {group_by!r}: the attributes that group runs are {allowed}"
        )
    if key.kind not in ("param", "tag", "attribute"):
        raise InvalidInputError(f"group_by {group_by!r}: runs cannot be grouped by {key.kind}s")
    keys = _metric_keys(metric_keys)
    if isinstance(max_groups, bool) or not isinstance(max_groups, int):
        raise InvalidInputError(f"max_groups must be an integer, got {max_groups!r}")
    if not 1 <= max_groups <= MAX_GROUPS:
        raise InvalidInputError(f"max_groups must be between 1 and {MAX_GROUPS}, got {max_groups}")
    return key, keys, max_groups


def _metric_keys(metric_keys: object) -> list[str]:
    if metric_keys is None:
        return []
    if isinstance(metric_keys, str) or not isinstance(metric_keys, Sequence):
        raise InvalidInputError("metric_keys must be a list of metric keys")
    keys: list[str] = []
    for k in metric_keys:
        if not isinstance(k, str) or not k:
            raise InvalidInputError(f"metric_keys must hold non-empty strings, got {k!r}")
        if k not in keys:
            keys.append(k)
    if len(keys) > MAX_GROUP_METRICS:
        raise InvalidInputError(
            f"metric_keys holds {len(keys)} keys; at most {MAX_GROUP_METRICS} are summarised"
        )
    return keys


def group_runs(
    runs: Iterable[Run], key: flt.OrderKey, metric_keys: Sequence[str], max_groups: int
) -> RunGroups:
    """Group already-filtered runs in Python: the reference for the SQL implementation."""
    members: dict[str | None, list[Run]] = {}
    for run in runs:
        members.setdefault(_value_of(run, key), []).append(run)
    ordered = sorted(members, key=lambda v: (v is None, v or ""))
    groups = [
        RunGroup(value, len(members[value]), _summaries(members[value], metric_keys))
        for value in ordered[:max_groups]
    ]
    return RunGroups(groups, truncated=len(ordered) > max_groups)


def _value_of(run: Run, key: flt.OrderKey) -> str | None:
    if key.kind == "param":
        return run.data.params.get(key.key)
    if key.kind == "tag":
        return run.data.tags.get(key.key)
    return cast("str | None", getattr(run.info, key.key))


def _summaries(runs: Sequence[Run], metric_keys: Sequence[str]) -> dict[str, MetricSummary]:
    out: dict[str, MetricSummary] = {}
    for k in metric_keys:
        values = [v for r in runs if (v := r.data.metrics.get(k)) is not None and not math.isnan(v)]
        out[k] = summary(values)
    return out


def summary(values: Sequence[float]) -> MetricSummary:
    """min, max and mean; the mean of both infinities is undefined, so ``None``."""
    if not values:
        return MetricSummary(None, None, None, 0)
    try:
        mean: float | None = math.fsum(values) / len(values)
    except ValueError:  # inf and -inf together
        mean = None
    return MetricSummary(min(values), max(values), mean, len(values))
