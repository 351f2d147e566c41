"""Experiments, runs, metrics and dataset inputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runlab.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    InputTag,
    LifecycleStage,
    LoggedModelInput,
    LoggedModelOutput,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunOutputs,
    RunStatus,
    RunTag,
)
from runlab.wire._scalars import double, key_values, number, optional_int, pairs


# ------------------------------------------------------------------ experiments
def experiment_json(e: Experiment) -> dict[str, Any]:
    out: dict[str, Any] = {
        "experiment_id": e.experiment_id,
        "name": e.name,
        "artifact_location": e.artifact_location,
        "lifecycle_stage": e.lifecycle_stage,
        "tags": key_values(e.tags),
    }
    if e.creation_time is not None:
        out["creation_time"] = e.creation_time
    if e.last_update_time is not None:
        out["last_update_time"] = e.last_update_time
    return out


def experiment_from_json(obj: Mapping[str, Any]) -> Experiment:
    return Experiment(
        experiment_id=str(obj["experiment_id"]),
        name=str(obj.get("name", "")),
        artifact_location=str(obj.get("artifact_location", "")),
        lifecycle_stage=str(obj.get("lifecycle_stage", LifecycleStage.ACTIVE)),
        tags=pairs(obj.get("tags")),
        creation_time=optional_int(obj.get("creation_time")),
        last_update_time=optional_int(obj.get("last_update_time")),
    )


# ------------------------------------------------------------------ metrics, params, tags
def metric_json(m: Metric, run_id: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "key": m.key,
        "value": double(m.value),
        "timestamp": m.timestamp,
        "step": m.step,
    }
    if run_id is not None:
        out["run_id"] = run_id
    for field in ("model_id", "dataset_name", "dataset_digest"):
        value = getattr(m, field)
        if value is not None:
            out[field] = value
    return out


def metric_from_json(obj: Mapping[str, Any], run_id: str | None = None) -> Metric:
    return Metric(
        str(obj["key"]),
        number(obj.get("value", 0.0)),
        int(obj.get("timestamp", 0)),
        int(obj.get("step", 0)),
        run_id if run_id is not None else (obj.get("run_id") or None),
        obj.get("model_id") or None,
        obj.get("dataset_name") or None,
        obj.get("dataset_digest") or None,
    )


def param_json(p: Param) -> dict[str, str]:
    return {"key": p.key, "value": p.value}


def tag_json(t: RunTag) -> dict[str, str]:
    return {"key": t.key, "value": t.value}


# ------------------------------------------------------------------ dataset inputs
def dataset_input_json(item: DatasetInput) -> dict[str, Any]:
    d = item.dataset
    dataset: dict[str, Any] = {
        "name": d.name,
        "digest": d.digest,
        "source_type": d.source_type,
        "source": d.source,
    }
    if d.schema is not None:
        dataset["schema"] = d.schema
    if d.profile is not None:
        dataset["profile"] = d.profile
    return {"tags": [{"key": t.key, "value": t.value} for t in item.tags], "dataset": dataset}


def dataset_input_from_json(obj: Mapping[str, Any]) -> DatasetInput:
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


# ------------------------------------------------------------------ runs
def run_info_json(info: RunInfo) -> dict[str, Any]:
    out: dict[str, Any] = {
        "run_id": info.run_id,
        "run_uuid": info.run_id,  # the older name, which older clients read
        "run_name": info.run_name,
        "experiment_id": info.experiment_id,
        "user_id": info.user_id,
        "status": info.status,
        "artifact_uri": info.artifact_uri,
        "lifecycle_stage": info.lifecycle_stage,
    }
    if info.start_time is not None:
        out["start_time"] = info.start_time
    if info.end_time is not None:
        out["end_time"] = info.end_time
    return out


def run_info_from_json(obj: Mapping[str, Any]) -> RunInfo:
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


def run_json(run: Run) -> dict[str, Any]:
    data = run.data
    if data.metric_objs:
        metrics = [metric_json(m) for m in data.metric_objs]
    else:  # a store that only has the latest values
        metrics = [
            {"key": k, "value": double(v), "timestamp": 0, "step": 0}
            for k, v in data.metrics.items()
        ]
    inputs: dict[str, Any] = {
        "dataset_inputs": [dataset_input_json(i) for i in run.inputs.dataset_inputs]
    }
    # as MLflow, the model links are left out when there are none
    if run.inputs.model_inputs:
        inputs["model_inputs"] = [{"model_id": m.model_id} for m in run.inputs.model_inputs]
    out: dict[str, Any] = {
        "info": run_info_json(run.info),
        "data": {
            "metrics": metrics,
            "params": key_values(data.params),
            "tags": key_values(data.tags),
        },
        "inputs": inputs,
    }
    if run.outputs.model_outputs:
        out["outputs"] = {
            "model_outputs": [
                {"model_id": m.model_id, "step": m.step} for m in run.outputs.model_outputs
            ]
        }
    return out


def run_from_json(obj: Mapping[str, Any]) -> Run:
    info = run_info_from_json(obj["info"])
    data = obj.get("data") or {}
    metric_objs = tuple(metric_from_json(m) for m in data.get("metrics") or ())
    tags = pairs(data.get("tags"))
    if info.run_name and "mlflow.runName" not in tags:
        tags["mlflow.runName"] = info.run_name  # some servers send the name in info only
    inputs = obj.get("inputs") or {}
    return Run(
        info=info,
        data=RunData(
            metrics={m.key: m.value for m in metric_objs},
            params=pairs(data.get("params")),
            tags=tags,
            metric_objs=metric_objs,
        ),
        inputs=RunInputs(
            tuple(dataset_input_from_json(d) for d in inputs.get("dataset_inputs") or ()),
            tuple(LoggedModelInput(m["model_id"]) for m in inputs.get("model_inputs") or ()),
        ),
        outputs=RunOutputs(
            tuple(
                LoggedModelOutput(m["model_id"], int(m.get("step") or 0))
                for m in (obj.get("outputs") or {}).get("model_outputs") or ()
            )
        ),
    )
