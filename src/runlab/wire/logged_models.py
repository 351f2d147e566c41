"""MLflow 3's logged models: an ``info`` part and a ``data`` part (params, metrics)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runlab.entities_logged_models import LoggedModel, LoggedModelStatus
from runlab.wire._scalars import key_values, pairs
from runlab.wire.tracking import metric_from_json, metric_json


def logged_model_json(model: LoggedModel) -> dict[str, Any]:
    info: dict[str, Any] = {
        "model_id": model.model_id,
        "experiment_id": model.experiment_id,
        "name": model.name,
        "artifact_uri": model.artifact_location,
        "creation_timestamp_ms": model.creation_timestamp,
        "last_updated_timestamp_ms": model.last_updated_timestamp,
        "status": model.status,
        "tags": key_values(model.tags),
    }
    for key, value in (
        ("status_message", model.status_message),
        ("model_type", model.model_type),
        ("source_run_id", model.source_run_id),
    ):
        if value:
            info[key] = value
    metrics = [metric_json(m, m.run_id) for m in model.metrics]
    return {"info": info, "data": {"params": key_values(model.params), "metrics": metrics}}


def logged_model_from_json(obj: Mapping[str, Any]) -> LoggedModel:
    info = obj.get("info") or {}
    data = obj.get("data") or {}
    return LoggedModel(
        model_id=str(info["model_id"]),
        experiment_id=str(info.get("experiment_id", "")),
        name=str(info.get("name", "")),
        artifact_location=str(info.get("artifact_uri", "")),
        creation_timestamp=int(info.get("creation_timestamp_ms") or 0),
        last_updated_timestamp=int(info.get("last_updated_timestamp_ms") or 0),
        status=str(info.get("status") or LoggedModelStatus.PENDING),
        status_message=info.get("status_message") or None,
        model_type=info.get("model_type") or None,
        source_run_id=info.get("source_run_id") or None,
        tags=pairs(info.get("tags")),
        params=pairs(data.get("params")),
        metrics=[metric_from_json(m) for m in data.get("metrics") or ()],
    )
