"""``/api/2.0/runlab/{experiments,runs}/import``: take in data made elsewhere as it was.

``runlab copy --to``, ``runlab sync --from … --to`` and the MLflow importer send whole
runs here, so that a server keeps what the ordinary calls cannot: run ids, start and end
times, statuses, the lifecycle stage, and every metric point with its own timestamp,
in one request per run (or per slice of a long history). The same checks as
``runs/log-batch`` apply to every key and value.

Experiments keep their name, tags, stage and times but get an id from the server: a
number it once gave to another experiment may still carry that experiment's grants.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from runlab import _validation as check
from runlab.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    InputTag,
    LifecycleStage,
    RunInfo,
    RunStatus,
)
from runlab.errors import AlreadyExistsError, InvalidInputError
from runlab.server._deps import Store
from runlab.server._routing import JsonRoute
from runlab.server._wire import Id, Int64, KeyValue, WireModel
from runlab.server.auth.rules import access, experiment
from runlab.server.routes.runs import DatasetInputIn, MetricIn, _metric
from runlab.store.imports import RunRecord
from runlab.wire import run_info_json

router = APIRouter(tags=["imports"], route_class=JsonRoute)

MAX_RUNS_PER_REQUEST = 100
MAX_POINTS_PER_REQUEST = 100_000
MAX_KEYS_PER_RUN = 10_000  # params, tags or dataset inputs of one run


class ImportExperiment(WireModel):
    name: str
    tags: list[KeyValue] = []
    lifecycle_stage: str = LifecycleStage.ACTIVE
    creation_time: Int64 | None = None
    last_update_time: Int64 | None = None


class ImportedRunInfo(WireModel):
    run_id: str
    run_name: str = ""
    user_id: str = ""
    status: str = RunStatus.FINISHED
    start_time: Int64 | None = None
    end_time: Int64 | None = None
    lifecycle_stage: str = LifecycleStage.ACTIVE


class ImportedRun(WireModel):
    info: ImportedRunInfo
    params: list[KeyValue] = []
    tags: list[KeyValue] = []
    metrics: list[MetricIn] = []
    inputs: list[DatasetInputIn] = []
    deleted_time: Int64 | None = None


class ImportRuns(WireModel):
    experiment_id: Id
    runs: list[ImportedRun]


def _stage(field: str, value: str) -> str:
    if value not in (LifecycleStage.ACTIVE, LifecycleStage.DELETED):
        raise InvalidInputError(f"{field} must be 'active' or 'deleted', got {value!r}")
    return value


@router.post("/experiments/import")
@access("create", after="grant_experiment")
def import_experiment(body: ImportExperiment, store: Store) -> dict[str, Any]:
    name = check.experiment_name(body.name)
    if store.get_experiment_by_name(name) is not None:
        raise AlreadyExistsError(f"an experiment named {name!r} already exists")
    tags = {check.key("tag", t.key): check.tag_value(t.key, t.value) for t in body.tags}
    exp = Experiment(
        "",  # the server numbers it
        name,
        "",
        _stage("lifecycle_stage", body.lifecycle_stage),
        tags,
        body.creation_time,
        body.last_update_time,
    )
    return {"experiment_id": store.import_experiment(exp)}


@router.post("/runs/import")
@access("edit", experiment())
def import_runs(body: ImportRuns, store: Store) -> dict[str, Any]:
    if len(body.runs) > MAX_RUNS_PER_REQUEST:
        raise InvalidInputError(
            f"runs: {len(body.runs)} runs; the limit is {MAX_RUNS_PER_REQUEST} per request"
        )
    points = sum(len(r.metrics) for r in body.runs)
    if points > MAX_POINTS_PER_REQUEST:
        raise InvalidInputError(
            f"runs: {points} metric points; the limit is {MAX_POINTS_PER_REQUEST} per request"
        )
    records = [_record(i, r) for i, r in enumerate(body.runs)]
    infos = store.import_runs(check.experiment_id(body.experiment_id), records)
    return {"runs": [run_info_json(info) for info in infos]}


def _record(index: int, run: ImportedRun) -> RunRecord:
    where = f"runs[{index}]"
    for field, items in (("params", run.params), ("tags", run.tags), ("inputs", run.inputs)):
        if len(items) > MAX_KEYS_PER_RUN:
            raise InvalidInputError(
                f"{where}.{field}: {len(items)} entries; the limit is {MAX_KEYS_PER_RUN}"
            )
    src = run.info
    if src.status not in RunStatus.ALL:
        raise InvalidInputError(
            f"{where}.info.status must be one of {', '.join(RunStatus.ALL)}, got {src.status!r}"
        )
    info = RunInfo(
        run_id=check.run_id(src.run_id),
        experiment_id="",
        run_name=check.run_name(src.run_name) if src.run_name else "",
        user_id=src.user_id,
        status=src.status,
        start_time=src.start_time,
        end_time=src.end_time,
        artifact_uri="",
        lifecycle_stage=_stage(f"{where}.info.lifecycle_stage", src.lifecycle_stage),
    )
    inputs = []
    for i, item in enumerate(run.inputs):
        check.dataset_input(i, item)
        d = item.dataset
        dataset = Dataset(d.name, d.digest, d.source_type, d.source, d.schema_, d.profile)
        inputs.append(DatasetInput(dataset, tuple(InputTag(t.key, t.value) for t in item.tags)))
    return RunRecord(
        info=info,
        params={check.key("param", p.key): check.param_value(p.key, p.value) for p in run.params},
        tags={check.key("tag", t.key): check.tag_value(t.key, t.value) for t in run.tags},
        metrics=[_metric(m) for m in run.metrics],
        inputs=inputs,
        deleted_time=run.deleted_time,
    )
