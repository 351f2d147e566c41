"""``runlab.log_table`` and ``runlab.load_table``, as MLflow's: tables as run artifacts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runlab.tracking import fluent

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["load_table", "log_table"]


def log_table(data: Any, artifact_file: str, run_id: str | None = None) -> None:
    """Log ``data`` (a DataFrame or dict of columns) to the active run (or ``run_id``) as
    a JSON table at ``artifact_file``; logging to the same file again appends rows."""
    fluent._client().log_table(run_id or fluent._run_id(), data, artifact_file)


def load_table(
    artifact_file: str, run_ids: list[str] | None = None, extra_columns: list[str] | None = None
) -> pd.DataFrame:
    """The table ``artifact_file`` of the current experiment's runs (or of ``run_ids``)
    as one DataFrame; ``extra_columns=["run_id"]`` adds the run of each row."""
    client = fluent._client()
    client.flush()
    frame: pd.DataFrame = client.load_table(
        fluent._current_experiment_id(), artifact_file, run_ids, extra_columns
    )
    return frame
