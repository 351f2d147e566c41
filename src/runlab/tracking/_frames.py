"""Runs as a pandas DataFrame, with the columns MLflow users expect."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from runlab.entities import Run
from runlab.store.run_table import INFO_COLUMNS, RunTable


def runs_to_frame(runs: Sequence[Run]) -> Any:
    """:func:`table_to_frame` of ``runs``; a list when pandas is missing."""
    try:
        import pandas  # noqa: F401
    except ImportError:
        return list(runs)
    return table_to_frame(RunTable.from_runs(runs))


def table_to_frame(table: RunTable) -> Any:
    """``run_id, experiment_id, status, artifact_uri, start_time, end_time``, then
    ``metrics.*``, ``params.*`` and ``tags.*`` (each sorted by key). Times are UTC
    datetimes, a missing metric is NaN and a missing param or tag None.

    One ``DataFrame`` call over ready columns: nothing is built row by row."""
    import pandas as pd

    columns: dict[str, Any] = {name: getattr(table, name) for name in INFO_COLUMNS}
    for prefix, values in (
        ("metrics", table.metrics),
        ("params", table.params),
        ("tags", table.tags),
    ):
        for key in sorted(values):
            columns[f"{prefix}.{key}"] = values[key]
    frame = pd.DataFrame(columns)
    for name in ("start_time", "end_time"):
        frame[name] = pd.to_datetime(frame[name], unit="ms", utc=True)
    return frame
