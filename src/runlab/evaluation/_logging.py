"""Where an evaluation lands in its run (the layout the web UI reads):

* metrics under MLflow's names;
* plots at ``evaluation/<plot>.png`` and the per-row table at
  ``evaluation/eval_results_table.json`` (a ``log_table`` table);
* the manifest ``evaluation/evaluation.json``: ``model_type``, ``dataset`` (``name``,
  ``rows``, ``path`` when given), ``model_id`` (the logged model evaluated, or null),
  ``metrics``, ``baseline_metrics`` (or null), ``plots`` and ``tables`` (artifact paths);
* the run tag ``runlab.evaluations``: a JSON list of manifest paths. A run's second
  evaluation goes under ``evaluation/2/``, its third under ``evaluation/3/``...
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from runlab.errors import InvalidInputError
from runlab.evaluation.results import EvaluationArtifact, EvaluationResult

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from runlab.evaluation._data import EvalData
    from runlab.tracking.client import RunlabClient

EVALUATIONS_TAG = "runlab.evaluations"
MANIFEST = "evaluation.json"
RESULTS_TABLE = "eval_results_table"


def _prefix(client: RunlabClient, run_id: str) -> tuple[str, list[str]]:
    raw = client.get_run(run_id).data.tags.get(EVALUATIONS_TAG)
    try:
        done = [str(p) for p in json.loads(raw)] if raw else []
    except ValueError:
        done = []
    return ("evaluation" if not done else f"evaluation/{len(done) + 1}"), done


def log_evaluation(
    model_type: str,
    data: EvalData,
    metrics: dict[str, float],
    baseline_metrics: dict[str, float] | None,
    figures: dict[str, Figure],
    results: pd.DataFrame,
    importance: pd.DataFrame | None,
    custom_artifacts: Sequence[Callable[..., Any]] | None,
    lineage: dict[str, str | None] | None = None,
) -> EvaluationResult:
    from runlab.tracking import fluent

    started = fluent.active_run() is None
    run = fluent.start_run() if started else fluent.active_run()
    assert run is not None
    try:
        return _log(
            fluent._client(), run.info.run_id, model_type, data, metrics, baseline_metrics,
            figures, results, importance, custom_artifacts, lineage or {},
        )  # fmt: skip
    finally:
        if started:
            fluent.end_run()


def _log(
    client: RunlabClient,
    run_id: str,
    model_type: str,
    data: EvalData,
    metrics: dict[str, float],
    baseline_metrics: dict[str, float] | None,
    figures: dict[str, Figure],
    results: pd.DataFrame,
    importance: pd.DataFrame | None,
    custom_artifacts: Sequence[Callable[..., Any]] | None,
    lineage: dict[str, str | None],
) -> EvaluationResult:
    from runlab.tracking import _tables

    client.flush(run_id)
    prefix, done = _prefix(client, run_id)
    client.log_metrics(run_id, metrics)
    paths: dict[str, str] = {}
    plots, tables = [], []
    for name, figure in figures.items():
        paths[name] = f"{prefix}/{name}.png"
        client.log_figure(run_id, figure, paths[name])
        plots.append(paths[name])
    named_tables = {RESULTS_TABLE: results}
    if importance is not None:
        named_tables["permutation_importance_table"] = importance
    for name, table in named_tables.items():
        paths[name] = f"{prefix}/{name}.json"
        _tables.log_table(client, run_id, table, paths[name])
        tables.append(paths[name])
    for fn in custom_artifacts or ():
        paths.update(_custom(client, run_id, prefix, fn, results, metrics))
    manifest_path = f"{prefix}/{MANIFEST}"
    client.log_dict(run_id, {
        "model_type": model_type,
        "dataset": {
            "name": data.name,
            "rows": len(data.targets),
            **({"path": lineage["dataset_path"]} if lineage.get("dataset_path") else {}),
        },
        "model_id": lineage.get("model_id"),
        "metrics": metrics,
        "baseline_metrics": baseline_metrics,
        "plots": plots,
        "tables": tables,
    }, manifest_path)  # fmt: skip
    client.set_tag(run_id, EVALUATIONS_TAG, json.dumps([*done, manifest_path]))
    artifacts = {
        name: EvaluationArtifact(
            client.get_artifact_uri(run_id, path), path=path, run_id=run_id, client=client
        )
        for name, path in paths.items()
    }
    return EvaluationResult(
        metrics, artifacts, baseline_metrics, run_id, manifest_path, {RESULTS_TABLE: results}
    )


def _custom(
    client: RunlabClient,
    run_id: str,
    prefix: str,
    fn: Callable[..., Any],
    results: pd.DataFrame,
    metrics: dict[str, float],
) -> dict[str, str]:
    """Call ``fn(eval_df, builtin_metrics, artifacts_dir)``; log each file path (or JSON
    value) it returns under ``prefix``."""
    if not callable(fn):
        raise InvalidInputError(f"custom_artifacts: expected functions, got {fn!r}")
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        made = fn(results.copy(), dict(metrics), tmp)
        if not isinstance(made, dict):
            raise InvalidInputError(
                f"custom_artifacts: {getattr(fn, '__name__', fn)} must return a dict of name "
                f"-> file path or JSON value, got {type(made).__name__}"
            )
        for name, value in made.items():
            if isinstance(value, (str, os.PathLike)) and os.path.isfile(value):
                path = f"{prefix}/{os.path.basename(value)}"
                client.log_artifact(run_id, value, prefix)
            else:
                path = f"{prefix}/{name}.json"
                client.log_dict(run_id, value, path)
            out[str(name)] = path
    return out
