"""The stores' import methods: ids, times, every point kept; importing again adds nothing."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

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
from runlab.store.imports import ModelRecord, RunRecord
from runlab.store.sql.logged_models import SqlLoggedModelStore
from runlab.store.sql.registry import SqlRegistryStore
from runlab.store.sql.store import SqlStore
from runlab.store.uri import build_store

RUN_A = "a" * 32
RUN_B = "b" * 32


@pytest.fixture
def store(store_uri: str, tmp_path: Path) -> Iterator[SqlStore]:
    s = build_store(store_uri, artifact_root=(tmp_path / "artifacts").as_uri())
    assert isinstance(s, SqlStore)
    yield s
    s.close()


def _record(run_id: str, points: int = 5, **info: object) -> RunRecord:
    fields: dict[str, object] = {
        "run_id": run_id,
        "experiment_id": "99",
        "run_name": f"run-{run_id[:4]}",
        "user_id": "alice",
        "status": "FINISHED",
        "start_time": 1_000,
        "end_time": 2_000,
        "artifact_uri": "elsewhere",
    }
    fields.update(info)
    metrics = [Metric("loss", 1.0 / (i + 1), 1_000 + i, i) for i in range(points)]
    metrics += [Metric("odd", math.nan, 1_500, 0), Metric("odd", math.inf, 1_501, 1)]
    metrics += [Metric("odd", -math.inf, 1_501, 1)]
    dataset = Dataset("wine", "abc123", "local", '{"uri": "x.csv"}', '{"c": 1}', None)
    return RunRecord(
        info=RunInfo(**fields),  # type: ignore[arg-type]
        params={"lr": "0.1"},
        tags={"mlflow.runName": str(fields["run_name"]), "team": "x"},
        metrics=metrics,
        inputs=[DatasetInput(dataset, (InputTag("mlflow.data.context", "train"),))],
    )


def test_experiment_keeps_id_name_tags_times_and_stage(store: SqlStore) -> None:
    exp = Experiment("42", "imported", "s3://old", LifecycleStage.DELETED, {"k": "v"}, 111, 222)
    assert store.import_experiment(exp) == "42"
    got = store.get_experiment("42")
    assert (got.name, got.lifecycle_stage, got.tags) == ("imported", "deleted", {"k": "v"})
    assert (got.creation_time, got.last_update_time) == (111, 222)
    assert got.artifact_location.endswith("/42")
    # Same name again: the same experiment, tags merged.
    again = Experiment("7", "imported", "", tags={"k2": "v2"})
    assert store.import_experiment(again) == "42"
    assert store.get_experiment("42").tags == {"k": "v", "k2": "v2"}
    # A taken id gets the next free one; a new experiment afterwards gets a later one still.
    other = Experiment("42", "other", "")
    assert store.import_experiment(other) == "43"
    assert store.create_experiment("fresh") == "44"


def test_runs_keep_ids_times_and_every_point(store: SqlStore) -> None:
    eid = store.import_experiment(Experiment("5", "e", ""))
    deleted = _record(RUN_B, lifecycle_stage=LifecycleStage.DELETED, status="FAILED")
    deleted = RunRecord(deleted.info, deleted.params, deleted.tags, deleted.metrics, (), 3_000)
    infos = store.import_runs(eid, [_record(RUN_A, points=1200), deleted])
    assert [i.run_id for i in infos] == [RUN_A, RUN_B]
    assert infos[0].artifact_uri.endswith(f"/5/{RUN_A}/artifacts")
    run = store.get_run(RUN_A)
    assert (run.info.run_name, run.info.user_id, run.info.status) == (
        "run-aaaa",
        "alice",
        "FINISHED",
    )
    assert (run.info.start_time, run.info.end_time) == (1_000, 2_000)
    assert run.data.params == {"lr": "0.1"}
    assert run.data.tags["team"] == "x"
    assert [d.dataset.name for d in run.inputs.dataset_inputs] == ["wine"]
    history = store.get_metric_history(RUN_A, "loss")
    assert [(m.step, m.timestamp) for m in history] == [(i, 1_000 + i) for i in range(1200)]
    odd = store.get_metric_history(RUN_A, "odd")
    assert math.isnan(odd[0].value)
    assert sorted(m.value for m in odd[1:]) == [-math.inf, math.inf]
    assert store.get_run(RUN_B).info.lifecycle_stage == LifecycleStage.DELETED
    assert RUN_B in store.deleted_run_ids()

    # Importing again adds no point, no run; a changed status is taken.
    again = _record(RUN_A, points=1200, status="KILLED")
    store.import_runs(eid, [again])
    assert len(store.get_metric_history(RUN_A, "loss")) == 1200
    assert store.get_run(RUN_A).info.status == "KILLED"
    assert len(store.search_runs([eid], run_view_type=ViewType.ALL)) == 2


def test_a_run_id_taken_by_another_experiment_gets_a_new_id(store: SqlStore) -> None:
    first = store.import_experiment(Experiment("1", "one", ""))
    second = store.import_experiment(Experiment("2", "two", ""))
    store.import_runs(first, [_record(RUN_A)])
    (info,) = store.import_runs(second, [_record(RUN_A)])
    assert info.run_id != RUN_A
    assert info.experiment_id == second
    assert store.get_run(info.run_id).data.params == {"lr": "0.1"}


def test_registered_model_keeps_numbers_stages_history_and_aliases(store: SqlStore) -> None:
    eid = store.import_experiment(Experiment("1", "one", ""))
    store.import_runs(eid, [_record(RUN_A)])
    registry = SqlRegistryStore(store.db)
    versions = [
        ModelVersion("m", n, 100 * n, 100 * n + 5, f"v{n}", "bob", stage, "runs:/x/model", RUN_A)
        for n, stage in ((1, "Archived"), (3, "Production"), (4, "Staging"))
    ]
    history = [
        ModelVersionStageTransition("m", 1, "None", "Production", "bob", 150),
        ModelVersionStageTransition("m", 1, "Production", "Archived", "bob", 350),
        ModelVersionStageTransition("m", 3, "None", "Production", "bob", 350),
    ]
    model = RegisteredModel("m", 50, 60, "desc", tags={"team": "x"}, aliases={"champion": 3})
    record = ModelRecord(model, versions, history)
    assert registry.import_registered_model(record) == [1, 3, 4]
    assert registry.import_registered_model(record) == []
    got = registry.get_registered_model("m")
    assert (got.creation_timestamp, got.description, got.tags) == (50, "desc", {"team": "x"})
    assert got.aliases == {"champion": 3}
    v3 = registry.get_model_version("m", 3)
    assert (v3.current_stage, v3.creation_timestamp, v3.run_id) == ("Production", 300, RUN_A)
    moves = registry.get_model_version_stage_history("m", 1)
    assert [(t.to_stage, t.timestamp) for t in moves] == [("Production", 150), ("Archived", 350)]
    # Numbering continues after the highest imported version.
    assert registry.create_model_version("m", "runs:/x/model").version == 5


def test_logged_model_keeps_its_id(store: SqlStore) -> None:
    eid = store.import_experiment(Experiment("3", "three", ""))
    models = SqlLoggedModelStore(store.db)
    lm = LoggedModel(
        "m-" + "c" * 32, "999", "net", "old", 10, 20, "LOGGED_MODEL_READY",
        tags={"t": "1"}, params={"p": "2"},
    )  # fmt: skip
    lm = LoggedModel(**{**_fields(lm), "experiment_id": eid})
    got = models.import_logged_model(lm)
    assert (got.model_id, got.creation_timestamp, got.status) == (lm.model_id, 10, lm.status)
    assert got.artifact_location.endswith(f"/3/models/{lm.model_id}/artifacts")
    assert (got.tags, got.params) == ({"t": "1"}, {"p": "2"})
    assert models.import_logged_model(lm) == got


def _fields(lm: LoggedModel) -> dict[str, object]:
    return {name: getattr(lm, name) for name in lm.__dataclass_fields__}


def test_a_version_keeps_the_logged_model_it_was_registered_from(store: SqlStore) -> None:
    eid = store.import_experiment(Experiment("4", "four", ""))
    store.import_runs(eid, [_record(RUN_A)])
    model_id = "m-" + "d" * 32
    lm = LoggedModel(model_id, eid, "net", "old", 10, 20, "LOGGED_MODEL_READY")
    SqlLoggedModelStore(store.db).import_logged_model(lm)
    version = ModelVersion(
        "lineage", 1, 100, 100, None, "bob", "None", f"models:/{model_id}", RUN_A,
        model_id=model_id,
    )  # fmt: skip
    registry = SqlRegistryStore(store.db)
    registry.import_registered_model(ModelRecord(RegisteredModel("lineage", 50, 60), [version]))
    got = registry.get_model_version("lineage", 1)
    assert (got.model_id, got.run_id) == (model_id, RUN_A)
