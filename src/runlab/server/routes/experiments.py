"""``/experiments/*``: create, read, search, rename, delete, restore and tag experiments."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from runlab import _validation as check
from runlab import wire
from runlab.entities import ViewType
from runlab.errors import NotFoundError
from runlab.server import _schemas
from runlab.server._deps import Locations, Store
from runlab.server._routing import JsonRoute
from runlab.server._wire import Id, Int64, KeyValue, WireModel
from runlab.server.auth.rules import access, experiment, experiment_name
from runlab.wire import experiment_json

router = APIRouter(tags=["experiments"], route_class=JsonRoute)


class CreateExperiment(WireModel):
    name: str
    artifact_location: str | None = None
    tags: list[KeyValue] = []


class SearchExperiments(WireModel):
    max_results: Int64 = 1000
    page_token: str | None = None
    filter: str | None = None
    order_by: list[str] = []
    view_type: str | int | None = None


class UpdateExperiment(WireModel):
    experiment_id: Id
    new_name: str


class ExperimentRef(WireModel):
    experiment_id: Id


class ExperimentTag(WireModel):
    experiment_id: Id
    key: str
    value: str = ""


class ExperimentTagRef(WireModel):
    experiment_id: Id
    key: str


@router.post("/experiments/create", response_model=_schemas.CreateExperimentOut)
@access("create", after="grant_experiment")
def create_experiment(body: CreateExperiment, store: Store, locations: Locations) -> dict[str, Any]:
    tags = {t.key: t.value for t in body.tags}
    location = locations.check_new(body.artifact_location) if body.artifact_location else None
    experiment_id = store.create_experiment(body.name, location, tags)
    return {"experiment_id": experiment_id}


@router.get("/experiments/get", response_model=_schemas.GetExperimentOut)
@access("read", experiment())
def get_experiment(store: Store, experiment_id: Id) -> dict[str, Any]:
    return {"experiment": experiment_json(store.get_experiment(experiment_id))}


@router.get("/experiments/get-by-name", response_model=_schemas.GetExperimentOut)
@access("read", experiment_name())
def get_experiment_by_name(store: Store, experiment_name: str) -> dict[str, Any]:
    found = store.get_experiment_by_name(experiment_name)
    if found is None:
        raise NotFoundError(f"experiment {experiment_name!r} does not exist")
    return {"experiment": experiment_json(found)}


def _search(store: Store, body: SearchExperiments) -> dict[str, Any]:
    page = store.search_experiments(
        ViewType.parse(body.view_type),
        check.max_results(body.max_results, check.MAX_RESULTS_SEARCH_EXPERIMENTS),
        body.filter or None,
        body.order_by or None,
        body.page_token or None,
    )
    return wire.page("experiments", [experiment_json(e) for e in page], page.token)


@router.post("/experiments/search", response_model=_schemas.SearchExperimentsOut)
@access("authenticated", filter="experiments")
def search_experiments(body: SearchExperiments, store: Store) -> dict[str, Any]:
    return _search(store, body)


@router.get(
    "/experiments/search",
    response_model=_schemas.SearchExperimentsOut,
    operation_id="search_experiments_get",
)
@access("authenticated", filter="experiments")
def search_experiments_get(
    store: Store,
    max_results: Int64 = 1000,
    page_token: str | None = None,
    filter: str | None = None,
    order_by: Annotated[list[str] | None, Query()] = None,
    view_type: str | None = None,
) -> dict[str, Any]:
    body = SearchExperiments(
        max_results=max_results,
        page_token=page_token,
        filter=filter,
        order_by=order_by or [],
        # a query string carries the enum's number ("3") or its name ("ALL")
        view_type=int(view_type) if view_type and view_type.isdigit() else view_type,
    )
    return _search(store, body)


@router.post("/experiments/update", response_model=_schemas.Empty)
@access("edit", experiment())
def update_experiment(body: UpdateExperiment, store: Store) -> dict[str, Any]:
    store.rename_experiment(body.experiment_id, body.new_name)
    return {}


@router.post("/experiments/delete", response_model=_schemas.Empty)
@access("manage", experiment())
def delete_experiment(body: ExperimentRef, store: Store) -> dict[str, Any]:
    store.delete_experiment(body.experiment_id)
    return {}


@router.post("/experiments/restore", response_model=_schemas.Empty)
@access("manage", experiment())
def restore_experiment(body: ExperimentRef, store: Store) -> dict[str, Any]:
    store.restore_experiment(body.experiment_id)
    return {}


@router.post("/experiments/set-experiment-tag", response_model=_schemas.Empty)
@access("edit", experiment())
def set_experiment_tag(body: ExperimentTag, store: Store) -> dict[str, Any]:
    store.set_experiment_tag(body.experiment_id, body.key, body.value)
    return {}


@router.post("/experiments/delete-experiment-tag", response_model=_schemas.Empty)
@access("edit", experiment())
def delete_experiment_tag(body: ExperimentTagRef, store: Store) -> dict[str, Any]:
    store.delete_experiment_tag(body.experiment_id, body.key)
    return {}
