"""Contract: taking in data made elsewhere (another store, MLflow, an archive).

Every store keeps names, users, statuses, start and end times, params, tags, every
metric point (NaN and infinities too), inputs and lifecycle, and a second import adds
nothing. A database store also keeps the source's run ids and times; a server chooses
ids and creation times itself, and says which ids things got.
"""

from __future__ import annotations

import math
import uuid

import pytest
from contract_support import START, Names, StoreUnderTest

from runlab.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    InputTag,
    LifecycleStage,
    Metric,
    ModelVersion,
    ModelVersionStageTransition,
    RegisteredModel,
    RunInfo,
    ViewType,
)
from runlab.entities_logged_models import LoggedModel
from runlab.errors import NotFoundError
from runlab.store.base import TrackingStore
from runlab.store.imports import ModelRecord, RunRecord
from runlab.store.rest.logged_models import IMPORTED_FROM_TAG


def _record(run_id: str, points: int = 3, **info: object) -> RunRecord:
    fields: dict[str, object] = {
        "run_id": run_id,
        "experiment_id": "999999",
        "run_name": "imported",
        "user_id": "alice",
        "status": "FINISHED",
        "start_time": START,
        "end_time": START + 500,
        "artifact_uri": "elsewhere",
    }
    fields.update(info)
    metrics = [Metric("loss", 1.0 / (i + 1), START + i, i) for i in range(points)]
    metrics += [Metric("odd", math.nan, START, 0), Metric("odd", math.inf, START + 1, 1)]
    dataset = Dataset("wine", "abc123", "local", '{"uri": "x.csv"}', '{"c": 1}', None)
    return RunRecord(
        info=RunInfo(**fields),  # type: ignore[arg-type]
        params={"lr": "0.1"},
        tags={"mlflow.runName": "imported", "team": "x"},
        metrics=metrics,
        inputs=[DatasetInput(dataset, (InputTag("mlflow.data.context", "train"),))],
    )


def test_import_experiment_keeps_name_tags_and_stage(
    contract_store: StoreUnderTest, names: Names
) -> None:
    store = contract_store.tracking
    eid = store.import_experiment(
        Experiment("987654", names("gone"), "s3://old", LifecycleStage.DELETED, {"k": "v"})
    )
    got = store.get_experiment(eid)
    assert (got.name, got.lifecycle_stage, got.tags) == (names("gone"), "deleted", {"k": "v"})
    live = store.import_experiment(Experiment("1", names("live"), "", tags={"a": "1"}))
    assert store.get_experiment(live).lifecycle_stage == LifecycleStage.ACTIVE
    # The same name again is the same experiment, its tags merged.
    again = store.import_experiment(Experiment("2", names("live"), "", tags={"b": "2"}))
    assert again == live
    assert store.get_experiment(live).tags == {"a": "1", "b": "2"}


def test_import_runs_keeps_every_point_and_adds_nothing_the_second_time(
    contract_store: StoreUnderTest, names: Names
) -> None:
    store = contract_store.tracking
    eid = store.import_experiment(Experiment("1", names(), ""))
    kept_id, gone_id = uuid.uuid4().hex, uuid.uuid4().hex
    gone = _record(gone_id, lifecycle_stage=LifecycleStage.DELETED, status="FAILED")
    infos = store.import_runs(eid, [_record(kept_id, points=1200), gone])
    assert len(infos) == 2
    kept = infos[0].run_id
    assert [i.run_id for i in infos] == [kept_id, gone_id]  # a runlab server keeps them too
    run = store.get_run(kept)
    assert run.info.experiment_id == eid
    assert (run.info.run_name, run.info.user_id, run.info.status) == (
        "imported",
        "alice",
        "FINISHED",
    )
    assert (run.info.start_time, run.info.end_time) == (START, START + 500)
    assert run.data.params == {"lr": "0.1"}
    assert run.data.tags["team"] == "x"
    assert [d.dataset.name for d in run.inputs.dataset_inputs] == ["wine"]
    history = _history(store, kept, "loss")
    assert [(m.step, m.timestamp) for m in history] == [(i, START + i) for i in range(1200)]
    odd = _history(store, kept, "odd")
    assert math.isnan(odd[0].value)
    assert odd[1].value == math.inf
    assert store.get_run(infos[1].run_id).info.lifecycle_stage == LifecycleStage.DELETED

    # Again, with a new status: no point and no run is added; the status is taken.
    again = store.import_runs(eid, [_record(run.info.run_id, points=1200, status="KILLED")])
    assert again[0].run_id == kept
    assert len(_history(store, kept, "loss")) == 1200
    assert store.get_run(kept).info.status == "KILLED"
    assert len(store.search_runs([eid], run_view_type=ViewType.ALL)) == 2


def _history(store: TrackingStore, run_id: str, key: str) -> list[Metric]:
    return sorted(store.get_metric_history(run_id, key), key=lambda m: (m.step, m.timestamp))


def test_import_registered_model_keeps_numbers_stages_and_aliases(
    contract_store: StoreUnderTest, names: Names
) -> None:
    registry = contract_store.registry
    eid = contract_store.tracking.import_experiment(Experiment("1", names(), ""))
    (info,) = contract_store.tracking.import_runs(eid, [_record(uuid.uuid4().hex)])
    name = names("model")
    versions = [
        ModelVersion(name, n, 100 * n, 100 * n + 5, f"v{n}", "bob", stage, "runs:/x/m", info.run_id)
        for n, stage in ((1, "Archived"), (3, "Production"), (4, "Staging"))
    ]
    history = [
        ModelVersionStageTransition(name, 1, "None", "Production", "bob", 150),
        ModelVersionStageTransition(name, 1, "Production", "Archived", "bob", 350),
        ModelVersionStageTransition(name, 3, "None", "Production", "bob", 350),
    ]
    model = RegisteredModel(name, 50, 60, "desc", tags={"team": "x"}, aliases={"champion": 3})
    record = ModelRecord(model, versions, history)
    assert registry.import_registered_model(record) == [1, 3, 4]
    assert registry.import_registered_model(record) == []
    got = registry.get_registered_model(name)
    assert (got.description, got.tags, got.aliases) == ("desc", {"team": "x"}, {"champion": 3})
    v3 = registry.get_model_version(name, 3)
    assert (v3.current_stage, v3.run_id, v3.description) == ("Production", info.run_id, "v3")
    assert registry.get_model_version(name, 1).current_stage == "Archived"
    moves = registry.get_model_version_stage_history(name, 1)
    assert [t.to_stage for t in moves] == ["Production", "Archived"]
    with pytest.raises(NotFoundError):
        registry.get_model_version(name, 2)
    # Numbering goes on after the highest imported version.
    assert registry.create_model_version(name, "runs:/x/m").version == 5


def test_import_logged_model_keeps_its_id_tags_and_params(
    contract_store: StoreUnderTest, names: Names
) -> None:
    models, tracking = contract_store.logged_models, contract_store.tracking
    assert models is not None
    eid = tracking.import_experiment(Experiment("1", names(), ""))
    model_id = "m-" + uuid.uuid4().hex
    lm = LoggedModel(
        model_id, eid, "net", "old", 10, 20, "LOGGED_MODEL_READY",
        tags={"t": "1"}, params={"p": "2"},
    )  # fmt: skip
    got = models.import_logged_model(lm)
    assert (got.experiment_id, got.name, got.status) == (eid, "net", "LOGGED_MODEL_READY")
    assert got.artifact_location != "old"
    assert got.params == {"p": "2"}
    if contract_store.database:
        assert (got.model_id, got.tags) == (model_id, {"t": "1"})
    else:  # a server chooses the id; the source's is kept in a tag
        assert got.tags == {"t": "1", IMPORTED_FROM_TAG: model_id}
    assert models.get_logged_model(got.model_id) == got
    assert models.import_logged_model(lm) == got
