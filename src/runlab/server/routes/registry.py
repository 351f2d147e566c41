"""``/registered-models/*`` and ``/model-versions/*``: MLflow's model-registry REST API.

The registry store is the backend's (:class:`runlab.backend.Backend`). On the wire a version number
is a string (``"3"``) and tags are ``[{key, value}]`` lists, as in MLflow's protocol.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from runlab import wire
from runlab.server._deps import Registry
from runlab.server._routing import GuardedRoute
from runlab.server._wire import Int64, KeyValue, WireModel
from runlab.server.auth.rules import access, logged_model, model, run
from runlab.store.registry_base import RegistryStore
from runlab.wire import model_version_json, registered_model_json

router = APIRouter(tags=["model registry"], route_class=GuardedRoute)


# ----------------------------------------------------------------------------- JSON shapes


# ----------------------------------------------------------------------------- bodies


class ModelName(WireModel):
    name: str


class CreateRegisteredModel(WireModel):
    name: str
    tags: list[KeyValue] = []
    description: str | None = None


class RenameRegisteredModel(WireModel):
    name: str
    new_name: str


class UpdateDescription(WireModel):
    name: str
    description: str | None = None


class ModelTag(WireModel):
    name: str
    key: str
    value: str = ""


class ModelTagRef(WireModel):
    name: str
    key: str


class LatestVersions(WireModel):
    name: str
    stages: list[str] = []


class SetAlias(WireModel):
    name: str
    alias: str
    version: str | int


class AliasRef(WireModel):
    name: str
    alias: str


class CreateModelVersion(WireModel):
    name: str
    source: str
    run_id: str | None = None
    tags: list[KeyValue] = []
    run_link: str | None = None
    description: str | None = None
    model_id: str | None = None


class VersionRef(WireModel):
    name: str
    version: str | int


class UpdateVersion(VersionRef):
    description: str | None = None


class TransitionStage(VersionRef):
    stage: str
    archive_existing_versions: bool = False


class VersionTag(VersionRef):
    key: str
    value: str = ""


class VersionTagRef(VersionRef):
    key: str


OrderBy = Annotated[list[str] | None, Query()]


# ----------------------------------------------------------------------------- registered models


@router.post("/registered-models/create")
@access("create", after="grant_model")
def create_registered_model(body: CreateRegisteredModel, registry: Registry) -> dict[str, Any]:
    tags = {t.key: t.value for t in body.tags}
    model = registry.create_registered_model(body.name, tags, body.description or None)
    return {"registered_model": registered_model_json(model)}


@router.get("/registered-models/get")
@access("read", model())
def get_registered_model(registry: Registry, name: str) -> dict[str, Any]:
    return {"registered_model": registered_model_json(registry.get_registered_model(name))}


@router.post("/registered-models/rename")
@access("edit", model(), after="rename_model")
def rename_registered_model(body: RenameRegisteredModel, registry: Registry) -> dict[str, Any]:
    model = registry.rename_registered_model(body.name, body.new_name)
    return {"registered_model": registered_model_json(model)}


@router.patch("/registered-models/update")
@access("edit", model())
def update_registered_model(body: UpdateDescription, registry: Registry) -> dict[str, Any]:
    model = registry.update_registered_model(body.name, body.description)
    return {"registered_model": registered_model_json(model)}


@router.delete("/registered-models/delete")
@access("manage", model(), after="forget_model")
def delete_registered_model(body: ModelName, registry: Registry) -> dict[str, Any]:
    registry.delete_registered_model(body.name)
    return {}


@router.get("/registered-models/search")
@access("authenticated", filter="registered_models")
def search_registered_models(
    registry: Registry,
    filter: str | None = None,
    max_results: Int64 = 100,
    order_by: OrderBy = None,
    page_token: str | None = None,
) -> dict[str, Any]:
    page = registry.search_registered_models(
        filter or None, max_results, order_by or None, page_token or None
    )
    return wire.page("registered_models", [registered_model_json(m) for m in page], page.token)


def _latest(registry: RegistryStore, body: LatestVersions) -> dict[str, Any]:
    found = registry.get_latest_versions(body.name, body.stages or None)
    return {"model_versions": [model_version_json(v) for v in found]}


@router.post("/registered-models/get-latest-versions")
@access("read", model())
def get_latest_versions(body: LatestVersions, registry: Registry) -> dict[str, Any]:
    return _latest(registry, body)


@router.get("/registered-models/get-latest-versions", operation_id="get_latest_versions_get")
@access("read", model())
def get_latest_versions_get(
    registry: Registry, name: str, stages: OrderBy = None
) -> dict[str, Any]:
    return _latest(registry, LatestVersions(name=name, stages=stages or []))


@router.post("/registered-models/set-tag")
@access("edit", model())
def set_registered_model_tag(body: ModelTag, registry: Registry) -> dict[str, Any]:
    registry.set_registered_model_tag(body.name, body.key, body.value)
    return {}


@router.delete("/registered-models/delete-tag")
@access("edit", model())
def delete_registered_model_tag(body: ModelTagRef, registry: Registry) -> dict[str, Any]:
    registry.delete_registered_model_tag(body.name, body.key)
    return {}


@router.post("/registered-models/alias")
@access("edit", model())
def set_registered_model_alias(body: SetAlias, registry: Registry) -> dict[str, Any]:
    registry.set_registered_model_alias(body.name, body.alias, body.version)
    return {}


@router.delete("/registered-models/alias")
@access("edit", model())
def delete_registered_model_alias(body: AliasRef, registry: Registry) -> dict[str, Any]:
    registry.delete_registered_model_alias(body.name, body.alias)
    return {}


@router.get("/registered-models/alias")
@access("read", model())
def get_model_version_by_alias(registry: Registry, name: str, alias: str) -> dict[str, Any]:
    return {"model_version": model_version_json(registry.get_model_version_by_alias(name, alias))}


# ----------------------------------------------------------------------------- model versions


@router.post("/model-versions/create")
@access("edit", model(), reads=(run(), logged_model()))
def create_model_version(
    body: CreateModelVersion, registry: Registry, request: Request
) -> dict[str, Any]:
    mv = registry.create_model_version(
        body.name,
        body.source,
        run_id=body.run_id or None,
        tags={t.key: t.value for t in body.tags},
        run_link=body.run_link or None,
        description=body.description or None,
        user_id=_user(request),
        model_id=body.model_id or None,
    )
    return {"model_version": model_version_json(mv)}


def _user(request: Request) -> str | None:
    """Who is asking: the signed-in user on a server with ``--auth`` (whatever the
    credentials: password, token or the web UI's session), else the Basic user name the
    client sent, if any."""
    import base64

    signed_in = request.scope.get("state", {}).get("runlab_user")
    if signed_in is not None:
        return str(signed_in.username)
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:]).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0] or None


@router.get("/model-versions/get")
@access("read", model())
def get_model_version(registry: Registry, name: str, version: str) -> dict[str, Any]:
    return {"model_version": model_version_json(registry.get_model_version(name, version))}


@router.patch("/model-versions/update")
@access("edit", model())
def update_model_version(body: UpdateVersion, registry: Registry) -> dict[str, Any]:
    mv = registry.update_model_version(body.name, body.version, body.description)
    return {"model_version": model_version_json(mv)}


@router.post("/model-versions/transition-stage")
@access("edit", model())
def transition_model_version_stage(
    body: TransitionStage, registry: Registry, request: Request
) -> dict[str, Any]:
    mv = registry.transition_model_version_stage(
        body.name,
        body.version,
        body.stage,
        body.archive_existing_versions,
        user_id=_user(request),
    )
    return {"model_version": model_version_json(mv)}


@router.delete("/model-versions/delete")
@access("manage", model())
def delete_model_version(body: VersionRef, registry: Registry) -> dict[str, Any]:
    registry.delete_model_version(body.name, body.version)
    return {}


@router.get("/model-versions/search")
@access("authenticated", filter="model_versions")
def search_model_versions(
    registry: Registry,
    filter: str | None = None,
    max_results: Int64 = 10_000,
    order_by: OrderBy = None,
    page_token: str | None = None,
) -> dict[str, Any]:
    page = registry.search_model_versions(
        filter or None, max_results, order_by or None, page_token or None
    )
    return wire.page("model_versions", [model_version_json(v) for v in page], page.token)


@router.get("/model-versions/get-download-uri")
@access("read", model())
def get_model_version_download_uri(registry: Registry, name: str, version: str) -> dict[str, Any]:
    return {"artifact_uri": registry.get_model_version_download_uri(name, version)}


@router.post("/model-versions/set-tag")
@access("edit", model())
def set_model_version_tag(body: VersionTag, registry: Registry) -> dict[str, Any]:
    registry.set_model_version_tag(body.name, body.version, body.key, body.value)
    return {}


@router.delete("/model-versions/delete-tag")
@access("edit", model())
def delete_model_version_tag(body: VersionTagRef, registry: Registry) -> dict[str, Any]:
    registry.delete_model_version_tag(body.name, body.version, body.key)
    return {}


@router.get("/model-versions/stage-history")
@access("read", model())
def get_model_version_stage_history(registry: Registry, name: str, version: str) -> dict[str, Any]:
    """runlab's own: every stage change of a version, oldest first."""
    history = registry.get_model_version_stage_history(name, version)
    return {
        "transitions": [
            {
                "name": h.name,
                "version": str(h.version),
                "from_stage": h.from_stage,
                "to_stage": h.to_stage,
                "user_id": h.user_id,
                "timestamp": h.timestamp,
            }
            for h in history
        ]
    }
