"""``/logged-models/*`` and ``/runs/outputs``: MLflow 3's logged-model API.

``mlflow.<flavor>.log_model`` creates a logged model here, uploads its files to the
model's ``artifact_uri`` (through the artifact proxy when that is an
``mlflow-artifacts:/`` URI), finalizes it with PATCH and links it to its run with
``runs/outputs``. ``models:/m-<id>`` URIs resolve through ``GET logged-models/{id}``.

The store is the backend's (:class:`runlab.backend.Backend`); a backend without one
answers searches with an empty page, lookups with RESOURCE_DOES_NOT_EXIST and writes
with a clear 400.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from runlab import wire
from runlab.entities_logged_models import LoggedModel
from runlab.errors import InvalidInputError, NotFoundError
from runlab.server import _schemas
from runlab.server._artifact_access import list_json
from runlab.server._deps import Artifacts, Locations, LoggedModels, Store
from runlab.server._routing import JsonRoute
from runlab.server._wire import Id, Int64, KeyValue, WireModel
from runlab.server.auth.rules import access, experiment, logged_model, run
from runlab.store.logged_models_base import LoggedModelStore
from runlab.wire import logged_model_json

router = APIRouter(tags=["logged models"], route_class=JsonRoute)


_MaybeModels = LoggedModels


def _require(models: LoggedModelStore | None) -> LoggedModelStore:
    if models is None:
        raise InvalidInputError("this server's tracking store does not keep logged models")
    return models


# ----------------------------------------------------------------------------- wire shapes


def _model_answer(model: LoggedModel) -> dict[str, Any]:
    return {"model": logged_model_json(model)}


def _pairs(items: list[KeyValue]) -> dict[str, str]:
    return {item.key: item.value for item in items}


# ----------------------------------------------------------------------------- requests


class CreateLoggedModel(WireModel):
    experiment_id: Id
    name: str | None = None
    model_type: str | None = None
    source_run_id: str | None = None
    params: list[KeyValue] = []
    tags: list[KeyValue] = []


class FinalizeLoggedModel(WireModel):
    status: str


class SetLoggedModelTags(WireModel):
    tags: list[KeyValue] = []


class LogLoggedModelParams(WireModel):
    params: list[KeyValue] = []


class SearchOrderBy(WireModel):
    field_name: str
    ascending: bool = True


class SearchLoggedModels(WireModel):
    experiment_ids: list[Id] = []
    filter: str | None = None
    max_results: Int64 | None = None
    order_by: list[SearchOrderBy] = []
    page_token: str | None = None


class ModelOutput(WireModel):
    model_id: str
    step: Int64 = 0


class LogOutputs(WireModel):
    run_id: str
    models: list[ModelOutput] = []


# ----------------------------------------------------------------------------- routes


@router.post("/logged-models")
@access("edit", experiment())
def create_logged_model(
    body: CreateLoggedModel, store: Store, models: _MaybeModels
) -> dict[str, Any]:
    created = _require(models).create_logged_model(
        body.experiment_id,
        name=body.name,
        source_run_id=body.source_run_id,
        tags=_pairs(body.tags),
        params=_pairs(body.params),
        model_type=body.model_type,
    )
    return _model_answer(created)


@router.post("/logged-models/search", response_model=_schemas.SearchLoggedModelsOut)
@access("read", narrow="experiment_ids")
def search_logged_models(
    body: SearchLoggedModels, store: Store, models: _MaybeModels
) -> dict[str, Any]:
    if models is None:
        for experiment_id in body.experiment_ids:
            store.get_experiment(experiment_id)  # an unknown experiment is still an error
        return {"models": []}
    page = models.search_logged_models(
        body.experiment_ids,
        filter_string=body.filter,
        max_results=body.max_results,
        order_by=[(o.field_name, o.ascending) for o in body.order_by],
        page_token=body.page_token,
    )
    return wire.page("models", [logged_model_json(m) for m in page], page.token)


@router.get("/logged-models/{model_id}")
@access("read", logged_model())
def get_logged_model(model_id: str, models: _MaybeModels) -> dict[str, Any]:
    if models is None:
        raise NotFoundError(f"logged model {model_id!r} not found")
    return _model_answer(models.get_logged_model(model_id))


@router.patch("/logged-models/{model_id}")
@access("edit", logged_model())
def finalize_logged_model(
    model_id: str, body: FinalizeLoggedModel, models: _MaybeModels
) -> dict[str, Any]:
    return _model_answer(_require(models).finalize_logged_model(model_id, body.status))


@router.delete("/logged-models/{model_id}")
@access("manage", logged_model())
def delete_logged_model(model_id: str, models: _MaybeModels) -> dict[str, Any]:
    _require(models).delete_logged_model(model_id)
    return {}


@router.patch("/logged-models/{model_id}/tags")
@access("edit", logged_model())
def set_logged_model_tags(
    model_id: str, body: SetLoggedModelTags, models: _MaybeModels
) -> dict[str, Any]:
    _require(models).set_logged_model_tags(model_id, _pairs(body.tags))
    return {}


@router.delete("/logged-models/{model_id}/tags/{key:path}")
@access("edit", logged_model())
def delete_logged_model_tag(model_id: str, key: str, models: _MaybeModels) -> dict[str, Any]:
    _require(models).delete_logged_model_tag(model_id, key)
    return {}


@router.post("/logged-models/{model_id}/params")
@access("edit", logged_model())
def log_logged_model_params(
    model_id: str, body: LogLoggedModelParams, models: _MaybeModels
) -> dict[str, Any]:
    _require(models).log_logged_model_params(model_id, _pairs(body.params))
    return {}


@router.get("/logged-models/{model_id}/artifacts/directories")
@access("read", logged_model())
def list_logged_model_artifacts(
    model_id: str,
    models: _MaybeModels,
    destination: Artifacts,
    locations: Locations,
    artifact_directory_path: str | None = None,
) -> dict[str, Any]:
    """The files in one folder of the model's artifacts (MLflow's ListArtifacts shape)."""
    if models is None:
        raise NotFoundError(f"logged model {model_id!r} not found")
    location = models.get_logged_model(model_id).artifact_location
    return list_json(location, destination, artifact_directory_path, locations)


@router.post("/runs/outputs")
@access("edit", run())
def log_outputs(body: LogOutputs, store: Store, models: _MaybeModels) -> dict[str, Any]:
    """Link models to the run that produced them (read back on the run's
    ``outputs.model_outputs``)."""
    store.get_run(body.run_id)
    found = _require(models)
    found.link_run_models(body.run_id, outputs=[(m.model_id, m.step) for m in body.models])
    return {}
