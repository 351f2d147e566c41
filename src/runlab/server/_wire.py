"""Entities to MLflow's JSON shapes, and the request field types clients send.

MLflow clients encode int64 fields as JSON strings or numbers and non-finite
doubles as ``"NaN"``/``"Infinity"`` strings (or bare ``NaN`` tokens); the types
below accept all of those. Responses write int64 as numbers and non-finite
metric values as those strings, which both the Python client and the browser's
``JSON.parse`` read.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from runlab import _validation as check
from runlab.entities import DatasetInput, Experiment, Metric, Run, RunInfo

__all__ = [
    "Double",
    "Id",
    "Int64",
    "KeyValue",
    "WireModel",
    "experiment_json",
    "metric_json",
    "number_json",
    "page_json",
    "run_info_json",
    "run_json",
]


def _int64(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
    return value


def _double(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("nan", "+nan", "-nan"):
            return math.nan
        if text in ("infinity", "+infinity", "inf", "+inf"):
            return math.inf
        if text in ("-infinity", "-inf"):
            return -math.inf
    return value


Int64 = Annotated[
    int,
    BeforeValidator(_int64),
    Field(ge=check.INT64_MIN, le=check.INT64_MAX, json_schema_extra={"format": "int64"}),
]
Double = Annotated[float, BeforeValidator(_double)]


class WireModel(BaseModel):
    """A request body: unknown fields are ignored, as protobuf's JSON parser does."""

    model_config = ConfigDict(extra="ignore")


class KeyValue(WireModel):
    key: str
    value: str = ""


def number_json(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def page_json(key: str, items: list[dict[str, Any]], token: str | None) -> dict[str, Any]:
    """A page of a search: ``{key: items}``, with ``next_page_token`` when more follow."""
    out: dict[str, Any] = {key: items}
    if token:
        out["next_page_token"] = token
    return out


def metric_json(m: Metric, run_id: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "key": m.key,
        "value": number_json(m.value),
        "timestamp": m.timestamp,
        "step": m.step,
    }
    if run_id is not None:
        out["run_id"] = run_id
    return out


def _tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in tags.items()]


def experiment_json(e: Experiment) -> dict[str, Any]:
    out: dict[str, Any] = {
        "experiment_id": e.experiment_id,
        "name": e.name,
        "artifact_location": e.artifact_location,
        "lifecycle_stage": e.lifecycle_stage,
        "tags": _tags(e.tags),
    }
    if e.creation_time is not None:
        out["creation_time"] = e.creation_time
    if e.last_update_time is not None:
        out["last_update_time"] = e.last_update_time
    return out


def run_info_json(info: RunInfo) -> dict[str, Any]:
    out: dict[str, Any] = {
        "run_id": info.run_id,
        "run_uuid": info.run_id,
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


def _dataset_input_json(item: DatasetInput) -> dict[str, Any]:
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


def run_json(run: Run) -> dict[str, Any]:
    data = run.data
    if data.metric_objs:
        metrics = [metric_json(m) for m in data.metric_objs]
    else:  # a store that only has the latest values
        metrics = [
            {"key": k, "value": number_json(v), "timestamp": 0, "step": 0}
            for k, v in data.metrics.items()
        ]
    return {
        "info": run_info_json(run.info),
        "data": {
            "metrics": metrics,
            "params": [{"key": k, "value": v} for k, v in data.params.items()],
            "tags": _tags(data.tags),
        },
        "inputs": {"dataset_inputs": [_dataset_input_json(i) for i in run.inputs.dataset_inputs]},
    }


def _id_text(value: Any) -> Any:
    # Ids are strings on the wire; a client that sends a bare number means the same id.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


Id = Annotated[str, BeforeValidator(_id_text)]
