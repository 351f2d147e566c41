"""``/runs/*``: create, read, update, delete, restore, search runs and log to them."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import Field

from runlab import _validation as check
from runlab import wire
from runlab.entities import (
    Dataset,
    DatasetInput,
    InputTag,
    Metric,
    Param,
    Run,
    RunInfo,
    RunTag,
    ViewType,
)
from runlab.errors import InvalidInputError
from runlab.server import _schemas
from runlab.server._deps import LoggedModels, Store, require_run_id
from runlab.server._routing import JsonRoute
from runlab.server._wire import Double, Id, Int64, KeyValue, WireModel
from runlab.server.auth.rules import access, experiment, run
from runlab.store.run_json import RunJsonSource
from runlab.wire import run_info_json, run_json

router = APIRouter(tags=["runs"], route_class=JsonRoute)

RUN_NAME_TAG = "mlflow.runName"
USER_TAG = "mlflow.user"


class RunRef(WireModel):
    run_id: str | None = None
    run_uuid: str | None = None


class CreateRun(WireModel):
    experiment_id: Id = "0"
    user_id: str | None = None
    run_name: str | None = None
    start_time: Int64 | None = None
    tags: list[KeyValue] = []


class UpdateRun(RunRef):
    status: str | None = None
    end_time: Int64 | None = None
    run_name: str | None = None


class SearchRuns(WireModel):
    experiment_ids: list[Id] = []
    filter: str | None = None
    run_view_type: str | int | None = None
    max_results: Int64 = 1000
    order_by: list[str] = []
    page_token: str | None = None


class MetricIn(WireModel):
    key: str
    value: Double
    timestamp: Int64
    step: Int64 = 0
    model_id: str | None = None
    dataset_name: str | None = None
    dataset_digest: str | None = None


class LogMetric(RunRef, MetricIn):
    pass


class LogParam(RunRef):
    key: str
    value: str


class SetTag(RunRef):
    key: str
    value: str = ""


class DeleteTag(RunRef):
    key: str


class LogBatch(RunRef):
    metrics: list[MetricIn] = []
    params: list[KeyValue] = []
    tags: list[KeyValue] = []


class DatasetIn(WireModel):
    name: str
    digest: str
    source_type: str = ""
    source: str = ""
    # "schema" would shadow a BaseModel attribute: the field is renamed, the wire name kept.
    schema_: str | None = Field(None, alias="schema")
    profile: str | None = None


class DatasetInputIn(WireModel):
    tags: list[KeyValue] = []
    dataset: DatasetIn


class ModelInputIn(WireModel):
    model_id: str


class LogInputs(RunRef):
    datasets: list[DatasetInputIn] = []
    models: list[ModelInputIn] = []


def _metric(m: MetricIn) -> Metric:
    key = check.key("metric", m.key)
    links = check.metric_links(m.model_id or None, m.dataset_name or None, m.dataset_digest or None)
    return Metric(key, check.metric_value(key, m.value), m.timestamp, m.step, None, *links)


def _log_model_metrics(run_id: str, metrics: list[Metric], models: LoggedModels) -> None:
    """Points sent with a model_id go to the model's metrics too (MLflow 3)."""
    linked = [m for m in metrics if m.model_id]
    if not linked:
        return
    if models is None:
        raise InvalidInputError("model_id: this server's tracking store keeps no logged models")
    models.log_logged_model_metrics(run_id, linked)


def _param(key: str, value: str) -> Param:
    return Param(check.key("param", key), check.param_value(key, value))


def _tag(key: str, value: str) -> RunTag:
    return RunTag(check.key("tag", key), check.tag_value(key, value))


def _run_payload(store: Store, created: Run | RunInfo) -> dict[str, Any]:
    info = created.info if isinstance(created, Run) else created
    return {"run": run_json(store.get_run(info.run_id))}


@router.post("/runs/create", response_model=_schemas.GetRunOut)
@access("edit", experiment())
def create_run(body: CreateRun, store: Store) -> dict[str, Any]:
    from runlab.store._names import generate_run_name

    tags = {t.key: t.value for t in body.tags}
    name = body.run_name or tags.get(RUN_NAME_TAG) or generate_run_name()
    user = body.user_id or tags.get(USER_TAG) or "unknown"
    tags.setdefault(USER_TAG, user)
    start = body.start_time if body.start_time is not None else int(time.time() * 1000)
    created = store.create_run(body.experiment_id, user, start, tags, name)
    return _run_payload(store, created)


@router.get("/runs/get", response_model=_schemas.GetRunOut)
@access("read", run())
def get_run(store: Store, run_id: str | None = None, run_uuid: str | None = None) -> dict[str, Any]:
    return {"run": run_json(store.get_run(require_run_id(run_id, run_uuid)))}


@router.post("/runs/update", response_model=_schemas.UpdateRunOut)
@access("edit", run())
def update_run(body: UpdateRun, store: Store) -> dict[str, Any]:
    info = store.update_run_info(
        require_run_id(body.run_id, body.run_uuid),
        status=body.status or None,
        end_time=body.end_time,
        run_name=body.run_name or None,
    )
    return {"run_info": run_info_json(info)}


@router.post("/runs/delete", response_model=_schemas.Empty)
@access("manage", run())
def delete_run(body: RunRef, store: Store) -> dict[str, Any]:
    store.delete_run(require_run_id(body.run_id, body.run_uuid))
    return {}


@router.post("/runs/restore", response_model=_schemas.Empty)
@access("manage", run())
def restore_run(body: RunRef, store: Store) -> dict[str, Any]:
    store.restore_run(require_run_id(body.run_id, body.run_uuid))
    return {}


@router.post("/runs/search", response_model=_schemas.SearchRunsOut)
@access("read", narrow="experiment_ids")
def search_runs(body: SearchRuns, store: Store) -> dict[str, Any] | Response:
    query = (
        body.experiment_ids,
        body.filter or None,
        ViewType.parse(body.run_view_type),
        check.max_results(body.max_results, check.MAX_RESULTS_SEARCH_RUNS),
        body.order_by or None,
        body.page_token or None,
    )
    if isinstance(store, RunJsonSource):  # the JSON text straight from the rows
        return Response(store.search_runs_json(*query), media_type="application/json")
    page = store.search_runs(*query)
    return wire.page("runs", [run_json(r) for r in page], page.token)


@router.post("/runs/log-metric", response_model=_schemas.Empty)
@access("edit", run())
def log_metric(body: LogMetric, store: Store, models: LoggedModels) -> dict[str, Any]:
    run_id = require_run_id(body.run_id, body.run_uuid)
    metric = _metric(body)
    store.log_batch(run_id, metrics=[metric])
    _log_model_metrics(run_id, [metric], models)
    return {}


@router.post("/runs/log-parameter", response_model=_schemas.Empty)
@access("edit", run())
def log_param(body: LogParam, store: Store) -> dict[str, Any]:
    param = _param(body.key, body.value)
    store.log_batch(require_run_id(body.run_id, body.run_uuid), params=[param])
    return {}


@router.post("/runs/set-tag", response_model=_schemas.Empty)
@access("edit", run())
def set_tag(body: SetTag, store: Store) -> dict[str, Any]:
    tag = _tag(body.key, body.value)
    store.log_batch(require_run_id(body.run_id, body.run_uuid), tags=[tag])
    return {}


@router.post("/runs/delete-tag", response_model=_schemas.Empty)
@access("edit", run())
def delete_tag(body: DeleteTag, store: Store) -> dict[str, Any]:
    store.delete_tag(require_run_id(body.run_id, body.run_uuid), body.key)
    return {}


@router.post("/runs/log-batch", response_model=_schemas.Empty)
@access("edit", run())
def log_batch(body: LogBatch, store: Store, models: LoggedModels) -> dict[str, Any]:
    run_id = require_run_id(body.run_id, body.run_uuid)
    check.batch_sizes(body.metrics, body.params, body.tags)
    metrics = [_metric(m) for m in body.metrics]
    store.log_batch(
        run_id,
        metrics=metrics,
        params=[_param(p.key, p.value) for p in body.params],
        tags=[_tag(t.key, t.value) for t in body.tags],
    )
    _log_model_metrics(run_id, metrics, models)
    return {}


@router.post("/runs/log-inputs", response_model=_schemas.Empty)
@access("edit", run())
def log_inputs(body: LogInputs, store: Store, models: LoggedModels) -> dict[str, Any]:
    run_id = require_run_id(body.run_id, body.run_uuid)
    used = []
    for i, model in enumerate(body.models):
        if not model.model_id:
            raise InvalidInputError(f"models[{i}].model_id: must not be empty")
        used.append(model.model_id)
    if used and models is None:
        raise InvalidInputError("models: this server's tracking store keeps no logged models")
    items = []
    for i, item in enumerate(body.datasets):
        d = item.dataset
        for field, value in (("name", d.name), ("digest", d.digest)):
            if not value:
                raise InvalidInputError(f"datasets[{i}].dataset.{field}: must not be empty")
        dataset = Dataset(d.name, d.digest, d.source_type, d.source, d.schema_, d.profile)
        tags = tuple(InputTag(t.key, t.value) for t in item.tags)
        items.append(DatasetInput(dataset, tags))
    if items or not used:
        store.log_inputs(run_id, items)
    if used and models is not None:
        models.link_run_models(run_id, inputs=used)
    return {}
