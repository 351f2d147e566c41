"""Registered models and their versions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runlab.entities import ModelVersion, ModelVersionStage, ModelVersionStatus, RegisteredModel
from runlab.wire._scalars import key_values, optional_int, pairs


def model_version_json(mv: ModelVersion) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": mv.name,
        "version": str(mv.version),
        "creation_timestamp": mv.creation_timestamp,
        "current_stage": mv.current_stage,
        "source": mv.source or "",
        "status": mv.status,
        "tags": key_values(mv.tags),
        "aliases": list(mv.aliases),
    }
    optional = {
        "last_updated_timestamp": mv.last_updated_timestamp,
        "user_id": mv.user_id,
        "description": mv.description,
        "run_id": mv.run_id,
        "run_link": mv.run_link,
        "status_message": mv.status_message,
        "model_id": mv.model_id,
    }
    out.update({k: v for k, v in optional.items() if v is not None})
    return out


def model_version_from_json(data: Mapping[str, Any]) -> ModelVersion:
    return ModelVersion(
        name=str(data["name"]),
        version=int(data["version"]),
        creation_timestamp=int(data.get("creation_timestamp") or 0),
        last_updated_timestamp=optional_int(data.get("last_updated_timestamp")),
        description=data.get("description") or None,
        user_id=data.get("user_id") or None,
        current_stage=data.get("current_stage") or ModelVersionStage.NONE,
        source=data.get("source") or None,
        run_id=data.get("run_id") or None,
        run_link=data.get("run_link") or None,
        status=data.get("status") or ModelVersionStatus.READY,
        status_message=data.get("status_message") or None,
        tags=pairs(data.get("tags")),
        aliases=[str(a) for a in data.get("aliases") or ()],
        model_id=data.get("model_id") or None,
    )


def registered_model_json(model: RegisteredModel) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": model.name,
        "creation_timestamp": model.creation_timestamp,
        "latest_versions": [model_version_json(v) for v in model.latest_versions],
        "tags": key_values(model.tags),
        "aliases": [{"alias": a, "version": str(v)} for a, v in model.aliases.items()],
    }
    if model.last_updated_timestamp is not None:
        out["last_updated_timestamp"] = model.last_updated_timestamp
    if model.description is not None:
        out["description"] = model.description
    return out


def registered_model_from_json(data: Mapping[str, Any]) -> RegisteredModel:
    return RegisteredModel(
        name=str(data["name"]),
        creation_timestamp=int(data.get("creation_timestamp") or 0),
        last_updated_timestamp=optional_int(data.get("last_updated_timestamp")),
        description=data.get("description") or None,
        latest_versions=[model_version_from_json(v) for v in data.get("latest_versions") or ()],
        tags=pairs(data.get("tags")),
        aliases={str(a["alias"]): int(a["version"]) for a in data.get("aliases") or ()},
    )
