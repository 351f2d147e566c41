"""MLflow's JSON shapes (protobuf's JSON mapping) to runlab entities and back.

Protobuf JSON writes int64 fields either as numbers or as strings and non-finite
doubles as the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"``; the readers
here accept both forms, and the writers send the strings, which every server parses.
Fields at their default value may be missing altogether.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from runlab.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    InputTag,
    LifecycleStage,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunStatus,
    RunTag,
)

_INF = math.inf


# ------------------------------------------------------------------ scalars
def number(value: Any) -> float:
    if isinstance(value, float):
        return value
    return float(value)  # ints, and "NaN" / "Infinity" / "-Infinity" / "1.5" strings


def optional_int(value: Any) -> int | None:
    return None if value is None or value == "" else int(value)


def double(value: float) -> float | str:
    """A double as protobuf JSON writes it (JSON has no NaN or infinities)."""
    if value != value:
        return "NaN"
    if value == _INF:
        return "Infinity"
    if value == -_INF:
        return "-Infinity"
    return value


def pairs(items: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    return {str(t["key"]): str(t.get("value", "")) for t in items or ()}


def key_values(mapping: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in mapping.items()]


# ------------------------------------------------------------------ to entities
def experiment(obj: Mapping[str, Any]) -> Experiment:
    return Experiment(
        experiment_id=str(obj["experiment_id"]),
        name=str(obj.get("name", "")),
        artifact_location=str(obj.get("artifact_location", "")),
        lifecycle_stage=str(obj.get("lifecycle_stage", LifecycleStage.ACTIVE)),
        tags=pairs(obj.get("tags")),
        creation_time=optional_int(obj.get("creation_time")),
        last_update_time=optional_int(obj.get("last_update_time")),
    )


def run_info(obj: Mapping[str, Any]) -> RunInfo:
    return RunInfo(
        run_id=str(obj.get("run_id") or obj["run_uuid"]),
        experiment_id=str(obj.get("experiment_id", "")),
        run_name=str(obj.get("run_name", "")),
        user_id=str(obj.get("user_id", "")),
        status=str(obj.get("status", RunStatus.RUNNING)),
        start_time=optional_int(obj.get("start_time")),
        end_time=optional_int(obj.get("end_time")),
        artifact_uri=str(obj.get("artifact_uri", "")),
        lifecycle_stage=str(obj.get("lifecycle_stage", LifecycleStage.ACTIVE)),
    )


def metric(obj: Mapping[str, Any], run_id: str | None = None) -> Metric:
    return Metric(
        str(obj["key"]),
        number(obj.get("value", 0.0)),
        int(obj.get("timestamp", 0)),
        int(obj.get("step", 0)),
        run_id,
    )


def dataset_input(obj: Mapping[str, Any]) -> DatasetInput:
    ds = obj.get("dataset") or {}
    return DatasetInput(
        Dataset(
            name=str(ds.get("name", "")),
            digest=str(ds.get("digest", "")),
            source_type=str(ds.get("source_type", "")),
            source=str(ds.get("source", "")),
            schema=ds.get("schema"),
            profile=ds.get("profile"),
        ),
        tuple(InputTag(str(t["key"]), str(t.get("value", ""))) for t in obj.get("tags") or ()),
    )


def run(obj: Mapping[str, Any]) -> Run:
    info = run_info(obj["info"])
    data = obj.get("data") or {}
    metric_objs = tuple(metric(m) for m in data.get("metrics") or ())
    tags = pairs(data.get("tags"))
    if info.run_name and "mlflow.runName" not in tags:
        tags["mlflow.runName"] = info.run_name
    inputs = obj.get("inputs") or {}
    return Run(
        info=info,
        data=RunData(
            metrics={m.key: m.value for m in metric_objs},
            params=pairs(data.get("params")),
            tags=tags,
            metric_objs=metric_objs,
        ),
        inputs=RunInputs(tuple(dataset_input(d) for d in inputs.get("dataset_inputs") or ())),
    )


# ------------------------------------------------------------------ from entities
def metric_json(m: Metric) -> dict[str, Any]:
    return {"key": m.key, "value": double(m.value), "timestamp": m.timestamp, "step": m.step}


def param_json(p: Param) -> dict[str, str]:
    return {"key": p.key, "value": p.value}


def tag_json(t: RunTag) -> dict[str, str]:
    return {"key": t.key, "value": t.value}


def dataset_input_json(item: DatasetInput) -> dict[str, Any]:
    ds = item.dataset
    dataset: dict[str, Any] = {
        "name": ds.name,
        "digest": ds.digest,
        "source_type": ds.source_type,
        "source": ds.source,
    }
    if ds.schema is not None:
        dataset["schema"] = ds.schema
    if ds.profile is not None:
        dataset["profile"] = ds.profile
    return {"tags": [{"key": t.key, "value": t.value} for t in item.tags], "dataset": dataset}


def strings(values: Sequence[Any] | None) -> list[str]:
    return [str(v) for v in values or ()]
