"""Runs as a pandas DataFrame, with the columns MLflow users expect."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from runlab.entities import Run

_INFO_COLUMNS = ("run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time")


def runs_to_frame(runs: Sequence[Run]) -> Any:
    """``run_id, experiment_id, status, artifact_uri, start_time, end_time``, then
    ``metrics.*``, ``params.*`` and ``tags.*`` (sorted); a list when pandas is missing.

    Built column by column (a dict of lists, one ``DataFrame`` call), never row by row."""
    try:
        import pandas as pd
    except ImportError:
        return list(runs)
    infos = [run.info for run in runs]
    datas = [run.data for run in runs]
    columns: dict[str, Any] = {
        "run_id": [i.run_id for i in infos],
        "experiment_id": [i.experiment_id for i in infos],
        "status": [i.status for i in infos],
        "artifact_uri": [i.artifact_uri for i in infos],
        "start_time": [i.start_time for i in infos],
        "end_time": [i.end_time for i in infos],
    }
    nan = float("nan")
    for prefix, dicts, missing in (
        ("metrics", [d.metrics for d in datas], nan),
        ("params", [d.params for d in datas], None),
        ("tags", [d.tags for d in datas], None),
    ):
        keys: dict[str, None] = {}
        for values in dicts:
            keys.update(dict.fromkeys(values))
        for key in sorted(keys):
            columns[f"{prefix}.{key}"] = [values.get(key, missing) for values in dicts]
    frame = pd.DataFrame(columns)
    for name in ("start_time", "end_time"):
        frame[name] = pd.to_datetime(frame[name], unit="ms", utc=True)
    return frame
