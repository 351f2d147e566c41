"""Runs as a pandas DataFrame, with the columns MLflow users expect."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from runlab.entities import Run

_INFO_COLUMNS = ("run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time")


def runs_to_frame(runs: Sequence[Run]) -> Any:
    """``run_id, experiment_id, status, artifact_uri, start_time, end_time``, then
    ``metrics.*``, ``params.*`` and ``tags.*`` (sorted); a list when pandas is missing."""
    try:
        import pandas as pd
    except ImportError:
        return list(runs)
    columns: dict[str, list[Any]] = {name: [] for name in _INFO_COLUMNS}
    metric_keys: dict[str, None] = {}
    param_keys: dict[str, None] = {}
    tag_keys: dict[str, None] = {}
    for run in runs:
        info = run.info
        columns["run_id"].append(info.run_id)
        columns["experiment_id"].append(info.experiment_id)
        columns["status"].append(info.status)
        columns["artifact_uri"].append(info.artifact_uri)
        columns["start_time"].append(info.start_time)
        columns["end_time"].append(info.end_time)
        metric_keys.update(dict.fromkeys(run.data.metrics))
        param_keys.update(dict.fromkeys(run.data.params))
        tag_keys.update(dict.fromkeys(run.data.tags))
    nan = float("nan")
    for prefix, keys, attr, missing in (
        ("metrics", metric_keys, "metrics", nan),
        ("params", param_keys, "params", None),
        ("tags", tag_keys, "tags", None),
    ):
        for key in sorted(keys):
            columns[f"{prefix}.{key}"] = [getattr(r.data, attr).get(key, missing) for r in runs]
    frame = pd.DataFrame(columns)
    for name in ("start_time", "end_time"):
        frame[name] = pd.to_datetime(frame[name], unit="ms", utc=True)
    return frame
