"""Tables as run artifacts, in MLflow's format: a JSON file ``{"columns": [...],
"data": [[...], ...]}`` and an entry ``{"path": ..., "type": "table"}`` in the run tag
``mlflow.loggedArtifacts``, so ``load_table`` finds the runs that logged a table.

pandas is imported only when a table is logged or loaded.
"""

from __future__ import annotations

import json
import math
import posixpath
from typing import TYPE_CHECKING, Any

from runlab.errors import InvalidInputError, NotFoundError

if TYPE_CHECKING:
    import pandas as pd

    from runlab.tracking.client import RunlabClient

LOGGED_ARTIFACTS_TAG = "mlflow.loggedArtifacts"
_RUN_INFO_COLUMNS = ("run_id", "run_name", "experiment_id", "status", "start_time", "end_time")


def to_frame(data: Any) -> pd.DataFrame:
    """``data`` (a DataFrame or a dict of columns) as a DataFrame."""
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, dict):
        try:
            return pd.DataFrame(data)
        except ValueError as exc:
            raise InvalidInputError(
                f"data: the columns of a table must all have the same length ({exc})"
            ) from None
    raise InvalidInputError(
        f"data: expected a pandas DataFrame or a dict of columns, got {type(data).__name__}"
    )


def _checked_file(artifact_file: str) -> str:
    if not isinstance(artifact_file, str) or not artifact_file.endswith(".json"):
        raise InvalidInputError(f"artifact_file: a table is a .json file, got {artifact_file!r}")
    return artifact_file


def _json_cell(value: Any) -> Any:
    """A cell as JSON can hold it: numpy scalars as Python numbers, NaN as null."""
    if hasattr(value, "item") and not isinstance(value, (list, dict, str)):
        try:
            value = value.item()
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (list, tuple)):
        return [_json_cell(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_cell(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def frame_to_json(frame: pd.DataFrame) -> str:
    rows = [[_json_cell(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    return json.dumps({"columns": [str(c) for c in frame.columns], "data": rows})


def frame_from_json(text: str, where: str) -> pd.DataFrame:
    import pandas as pd

    try:
        doc = json.loads(text)
        return pd.DataFrame(doc["data"], columns=doc["columns"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInputError(
            f"{where}: not a table (expected JSON with 'columns' and 'data'): {exc}"
        ) from None


def _read_artifact(client: RunlabClient, run_id: str, artifact_file: str) -> str | None:
    """The text of a run's artifact, or None when the run has no such file."""
    import tempfile

    parent = posixpath.dirname(artifact_file) or None
    names = {f.path for f in client.list_artifacts(run_id, parent)}
    if artifact_file not in names:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        local = client.download_artifacts(run_id, artifact_file, tmp)
        with open(local, encoding="utf-8") as f:
            return f.read()


def log_table(client: RunlabClient, run_id: str, data: Any, artifact_file: str) -> None:
    """Write ``data`` at ``artifact_file``, after the rows already there (if any)."""
    import pandas as pd

    _checked_file(artifact_file)
    frame = to_frame(data)
    existing = _read_artifact(client, run_id, artifact_file)
    if existing is not None:
        frame = pd.concat(
            [frame_from_json(existing, artifact_file), frame], ignore_index=True, sort=False
        )
    client.log_text(run_id, frame_to_json(frame), artifact_file)
    _record(client, run_id, artifact_file)


def _record(client: RunlabClient, run_id: str, artifact_file: str) -> None:
    raw = client.get_run(run_id).data.tags.get(LOGGED_ARTIFACTS_TAG)
    entries: list[dict[str, str]] = json.loads(raw) if raw else []
    entry = {"path": artifact_file, "type": "table"}
    if entry not in entries:
        client.set_tag(run_id, LOGGED_ARTIFACTS_TAG, json.dumps([*entries, entry]))


def _logged_tables(tags: dict[str, str]) -> set[str]:
    try:
        entries = json.loads(tags.get(LOGGED_ARTIFACTS_TAG) or "[]")
    except ValueError:
        return set()
    return {str(e.get("path")) for e in entries if isinstance(e, dict) and e.get("type") == "table"}


def load_table(
    client: RunlabClient,
    experiment_id: str,
    artifact_file: str,
    run_ids: list[str] | None = None,
    extra_columns: list[str] | None = None,
) -> pd.DataFrame:
    """The rows of ``artifact_file`` of every run (of ``run_ids``, else of the
    experiment) that logged it, one frame; ``extra_columns`` adds run fields such as
    ``run_id`` to each row."""
    import pandas as pd

    _checked_file(artifact_file)
    for column in extra_columns or ():
        if column not in _RUN_INFO_COLUMNS:
            raise InvalidInputError(
                f"extra_columns: {column!r} is not a run field; use one of "
                + ", ".join(_RUN_INFO_COLUMNS)
            )
    runs = (
        [client.get_run(r) for r in run_ids]
        if run_ids is not None
        else list(client.search_runs([experiment_id], max_results=50000))
    )
    frames = []
    for run in runs:
        if artifact_file not in _logged_tables(run.data.tags):
            continue
        text = _read_artifact(client, run.info.run_id, artifact_file)
        if text is None:
            continue
        frame = frame_from_json(text, artifact_file)
        for column in extra_columns or ():
            frame[column] = getattr(run.info, column)
        frames.append(frame)
    if not frames:
        raise NotFoundError(
            f"no run logged the table {artifact_file!r}"
            + (f" among runs {', '.join(run_ids)}" if run_ids is not None else "")
        )
    return pd.concat(frames, ignore_index=True, sort=False)
