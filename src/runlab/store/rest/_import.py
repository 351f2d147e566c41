"""Imports into a tracking server.

A runlab server takes whole runs at ``/api/2.0/runlab/runs/import`` (see
:mod:`runlab.server.routes.imports`): run ids, names, users, statuses, start and end
times, lifecycle, params, tags, inputs and every metric point are kept, one request per
run or per slice of a long history. Experiments keep their name, tags, stage and times;
the server numbers them.

An MLflow server has no such call, so there the ordinary calls are used: the server
chooses run ids and stamps creation times itself, the answers say which ids things got,
and the importer records the mapping. Version numbers of registered models are kept by
creating (and deleting again) a placeholder for each number missing at the source.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from runlab.entities import (
    Experiment,
    LifecycleStage,
    Metric,
    ModelVersionStage,
    Param,
    RunInfo,
    RunTag,
    all_pages,
)
from runlab.errors import AlreadyExistsError, NotFoundError, NotSupportedError
from runlab.store.imports import ModelRecord, RunRecord
from runlab.wire import (
    dataset_input_json,
    experiment_json,
    metric_json,
    run_info_from_json,
    run_info_json,
)

if TYPE_CHECKING:
    from runlab.store.rest.registry import RestRegistryStore
    from runlab.store.rest.store import RestStore

__all__ = ["import_experiment", "import_registered_model", "import_runs"]

_RUN_NAME_TAG = "mlflow.runName"
_IMPORTS = "/api/2.0/runlab"
POINTS_PER_REQUEST = 50_000  # under the server's limit of 100,000, a few MB of JSON


def import_experiment(store: RestStore, exp: Experiment) -> str:
    found = store.get_experiment_by_name(exp.name)
    if found is not None:
        for key, value in exp.tags.items():
            if found.tags.get(key) != value:
                store.set_experiment_tag(found.experiment_id, key, value)
        return found.experiment_id
    if store.takes_imports is not False:
        body = {k: v for k, v in experiment_json(exp).items() if k != "experiment_id"}
        try:
            answer = store.http.call(
                "POST", f"{_IMPORTS}/experiments/import", body=body, repeatable=False
            )
        except NotSupportedError:
            store.takes_imports = False
        except AlreadyExistsError:  # made by someone else since the look-up
            return import_experiment(store, exp)
        else:
            store.takes_imports = True
            return str(answer["experiment_id"])
    new_id = store.create_experiment(exp.name, tags=dict(exp.tags))
    if exp.lifecycle_stage == LifecycleStage.DELETED:
        store.delete_experiment(new_id)
    return new_id


def import_runs(
    store: RestStore, experiment_id: str, records: Sequence[RunRecord]
) -> list[RunInfo]:
    infos: list[RunInfo] = []
    for record in records:
        if store.takes_imports is not False:
            try:
                infos.append(_send_run(store, experiment_id, record))
                store.takes_imports = True
                continue
            except NotSupportedError:
                store.takes_imports = False
        infos.append(_import_run(store, experiment_id, record))
    return infos


def _send_run(store: RestStore, experiment_id: str, record: RunRecord) -> RunInfo:
    """The run in one request, or its history in slices: the first slice carries the
    rest of the run and says which id the run has here; the others go to that id."""
    points = list(record.metrics)
    run_id = record.run_id
    info: RunInfo | None = None
    for start in range(0, max(len(points), 1), POINTS_PER_REQUEST):
        first = info is None
        body: dict[str, Any] = {
            "info": {**run_info_json(record.info), "run_id": run_id},
            "params": [{"key": k, "value": v} for k, v in record.params.items()] if first else [],
            "tags": [{"key": k, "value": v} for k, v in record.tags.items()] if first else [],
            "metrics": [metric_json(m) for m in points[start : start + POINTS_PER_REQUEST]],
            "inputs": [dataset_input_json(i) for i in record.inputs] if first else [],
        }
        if record.deleted_time is not None:
            body["deleted_time"] = record.deleted_time
        answer = store.http.call(
            "POST",
            f"{_IMPORTS}/runs/import",
            body={"experiment_id": experiment_id, "runs": [body]},
            repeatable=True,  # a run sent again stores nothing twice
        )
        info = run_info_from_json(answer["runs"][0])
        run_id = info.run_id
    assert info is not None
    return info


def _import_run(store: RestStore, experiment_id: str, record: RunRecord) -> RunInfo:
    src = record.info
    run_id = None
    try:
        existing = store.get_run(src.run_id)
        if existing.info.experiment_id == str(experiment_id):
            run_id = existing.info.run_id
            if existing.info.lifecycle_stage == LifecycleStage.DELETED:
                store.restore_run(run_id)  # logging to a deleted run is refused
    except NotFoundError:
        pass
    if run_id is None:
        created = store.create_run(
            experiment_id,
            src.user_id,
            src.start_time or 0,
            {},
            src.run_name or record.tags.get(_RUN_NAME_TAG) or "",
        )
        run_id = created.run_id
    store.log_batch(
        run_id,
        metrics=[Metric(m.key, m.value, m.timestamp, m.step) for m in record.metrics],
        params=[Param(k, v) for k, v in record.params.items()],
        tags=[RunTag(k, v) for k, v in record.tags.items()],
    )
    if record.inputs:
        store.log_inputs(run_id, record.inputs)
    info = store.update_run_info(run_id, status=src.status, end_time=src.end_time)
    if src.lifecycle_stage == LifecycleStage.DELETED:
        store.delete_run(run_id)
    return info


def import_registered_model(store: RestRegistryStore, record: ModelRecord) -> list[int]:
    model = record.model
    try:
        store.get_registered_model(model.name)
    except NotFoundError:
        store.create_registered_model(model.name, dict(model.tags), model.description)
    for key, value in model.tags.items():
        store.set_registered_model_tag(model.name, key, value)
    have = {
        v.version
        for v in all_pages(
            lambda token: store.search_model_versions(
                f"name = '{_quoted(model.name)}'", page_token=token
            )
        )
    }
    top = max(have, default=0)
    added: list[int] = []
    history = {(t.version, t.to_stage) for t in record.transitions}
    for mv in sorted(record.versions, key=lambda v: v.version):
        if mv.version in have:
            continue
        if mv.version <= top:
            continue  # the server numbers versions itself: a lower number cannot be made
        while top < mv.version - 1:  # numbers deleted at the source
            placeholder = store.create_model_version(model.name, mv.source or "none")
            store.delete_model_version(model.name, placeholder.version)
            top = placeholder.version
        made = store.create_model_version(
            model.name,
            mv.source or "none",
            mv.run_id,
            dict(mv.tags),
            mv.run_link,
            mv.description,
            mv.user_id,
        )
        top = made.version
        for tr in record.transitions:
            if tr.version == mv.version and tr.to_stage != ModelVersionStage.NONE:
                store.transition_model_version_stage(model.name, made.version, tr.to_stage)
        stage = mv.current_stage or ModelVersionStage.NONE
        if stage != ModelVersionStage.NONE and (mv.version, stage) not in history:
            store.transition_model_version_stage(model.name, made.version, stage)
        added.append(made.version)
        have.add(made.version)
    for alias, number in model.aliases.items():
        if number in have:
            store.set_registered_model_alias(model.name, alias, number)
    return added


def _quoted(name: str) -> str:
    return name.replace("'", "\\'")
