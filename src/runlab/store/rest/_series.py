"""The charts workspace's many-series reads over runlab's own endpoints
(``/api/2.0/runlab/metrics/...``): one request for every run and key."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from runlab.entities import Metric
from runlab.store.base import MetricUpdates, check_batch_args
from runlab.store.rest._http import HttpSession

RUNLAB_API = "/api/2.0/runlab"
Series = dict[str, dict[str, list[Metric]]]


def downsampled(
    http: HttpSession, run_ids: Sequence[str], keys: Sequence[str], max_points: int, x_axis: str
) -> Series:
    run_ids, keys = check_batch_args(run_ids, keys)
    body = {"run_ids": run_ids, "metric_keys": keys, "max_points": max_points, "x_axis": x_axis}
    answer = http.call(
        "POST", f"{RUNLAB_API}/metrics/downsampled/batch", body=body, repeatable=True
    )
    return _series(answer, run_ids, keys)


def updates(
    http: HttpSession,
    run_ids: Sequence[str],
    keys: Sequence[str],
    after_step: Mapping[str, Mapping[str, int]] | None,
    max_points: int,
) -> MetricUpdates:
    run_ids, keys = check_batch_args(run_ids, keys)
    body = {
        "run_ids": run_ids,
        "metric_keys": keys,
        "after_step": {r: dict(steps) for r, steps in (after_step or {}).items()},
        "max_points": max_points,
    }
    answer = http.call("POST", f"{RUNLAB_API}/metrics/updates", body=body, repeatable=True)
    listed = answer.get("runs") or ()
    statuses = {str(r["run_id"]): str(r["status"]) for r in listed}
    logged = {str(r["run_id"]): [str(k) for k in r.get("metric_keys") or ()] for r in listed}
    return MetricUpdates(_series(answer, run_ids, keys), statuses, logged)


def _series(answer: dict[str, Any], run_ids: list[str], keys: list[str]) -> Series:
    """Every pair asked for, filled from the answer's columns (values may be "NaN")."""
    found: Series = {r: {k: [] for k in keys} for r in run_ids}
    for entry in answer.get("series") or ():
        run_id, key = str(entry["run_id"]), str(entry["metric_key"])
        found.setdefault(run_id, {})[key] = [
            Metric(key, float(v), int(t), int(s), run_id)
            for s, t, v in zip(entry["step"], entry["timestamp"], entry["value"], strict=True)
        ]
    return found
