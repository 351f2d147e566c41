"""The SQL tracking store against real SQLite and PostgreSQL databases."""

from __future__ import annotations

import math

import pytest

from runlab.entities import (
    Dataset,
    DatasetInput,
    InputTag,
    LifecycleStage,
    Metric,
    Param,
    RunStatus,
    RunTag,
    ViewType,
)
from runlab.errors import (
    AlreadyExistsError,
    ConflictError,
    InvalidFilterError,
    InvalidInputError,
    NotFoundError,
)
from runlab.store.base import TrackingStore


def _run(store: TrackingStore, exp: str = "0", name: str = "r", start: int = 1000) -> str:
    return store.create_run(exp, "alice", start, {}, name).run_id


# ------------------------------------------------------------------ experiments
def test_default_experiment_exists(store: TrackingStore) -> None:
    exp = store.get_experiment("0")
    assert exp.name == "Default"
    assert exp.lifecycle_stage == LifecycleStage.ACTIVE
    assert exp.artifact_location.endswith("/artifacts/0")


def test_create_get_and_duplicate_experiment(store: TrackingStore) -> None:
    eid = store.create_experiment("wine", tags={"team": "ml"})
    exp = store.get_experiment(eid)
    assert (exp.name, exp.tags) == ("wine", {"team": "ml"})
    assert exp.artifact_location.endswith(f"/artifacts/{eid}")
    assert exp.creation_time
    assert exp.last_update_time
    assert store.get_experiment_by_name("wine") == exp
    assert store.get_experiment_by_name("nope") is None
    with pytest.raises(AlreadyExistsError, match="'wine' already exists"):
        store.create_experiment("wine")


def test_experiment_not_found_and_bad_ids(store: TrackingStore) -> None:
    with pytest.raises(NotFoundError, match="'999' not found"):
        store.get_experiment("999")
    with pytest.raises(NotFoundError):
        store.get_experiment("abc")


def test_rename_delete_restore_experiment(store: TrackingStore) -> None:
    eid = store.create_experiment("a")
    store.create_experiment("b")
    run_kept_deleted = _run(store, eid)
    store.delete_run(run_kept_deleted)
    run_alive = _run(store, eid)
    with pytest.raises(AlreadyExistsError):
        store.rename_experiment(eid, "b")
    store.rename_experiment(eid, "a2")
    assert store.get_experiment(eid).name == "a2"

    store.delete_experiment(eid)
    assert store.get_experiment(eid).lifecycle_stage == LifecycleStage.DELETED
    assert store.get_run(run_alive).info.lifecycle_stage == LifecycleStage.DELETED
    with pytest.raises(ConflictError, match="deleted"):
        store.create_run(eid, "u", 1, {}, "x")
    with pytest.raises(AlreadyExistsError, match="deleted stage"):
        store.create_experiment("a2")

    store.restore_experiment(eid)
    assert store.get_experiment(eid).lifecycle_stage == LifecycleStage.ACTIVE
    assert store.get_run(run_alive).info.lifecycle_stage == LifecycleStage.ACTIVE
    # a run deleted on its own before the experiment stays deleted
    assert store.get_run(run_kept_deleted).info.lifecycle_stage == LifecycleStage.DELETED


def test_default_experiment_cannot_be_deleted(store: TrackingStore) -> None:
    with pytest.raises(InvalidInputError, match="Default"):
        store.delete_experiment("0")


def test_experiment_tags(store: TrackingStore) -> None:
    eid = store.create_experiment("t")
    store.set_experiment_tag(eid, "k", "v1")
    store.set_experiment_tag(eid, "k", "v2")
    assert store.get_experiment(eid).tags == {"k": "v2"}
    store.delete_experiment_tag(eid, "k")
    assert store.get_experiment(eid).tags == {}
    with pytest.raises(NotFoundError, match="no tag 'k'"):
        store.delete_experiment_tag(eid, "k")
    with pytest.raises(InvalidInputError, match="5000"):
        store.set_experiment_tag(eid, "big", "x" * 5001)


def test_search_experiments_views_filter_and_pages(store: TrackingStore) -> None:
    ids = [store.create_experiment(f"exp-{i}", tags={"even": str(i % 2 == 0)}) for i in range(5)]
    store.delete_experiment(ids[0])
    active = store.search_experiments(ViewType.ACTIVE_ONLY)
    assert {e.name for e in active} == {"Default", "exp-1", "exp-2", "exp-3", "exp-4"}
    deleted = store.search_experiments(ViewType.DELETED_ONLY)
    assert [e.name for e in deleted] == ["exp-0"]
    assert len(store.search_experiments(ViewType.ALL)) == 6
    found = store.search_experiments(filter_string="name LIKE 'exp-%' AND tags.even = 'True'")
    assert {e.name for e in found} == {"exp-2", "exp-4"}
    ordered = store.search_experiments(order_by=["name DESC"])
    assert [e.name for e in ordered][:2] == ["exp-4", "exp-3"]

    seen, token = [], None
    while True:
        page = store.search_experiments(ViewType.ALL, max_results=2, page_token=token)
        seen.extend(e.experiment_id for e in page)
        token = page.token
        if token is None:
            break
    assert sorted(seen) == sorted({*ids, "0"})


# ------------------------------------------------------------------ runs
def test_create_and_get_run(store: TrackingStore) -> None:
    info = store.create_run("0", "alice", 1234, {"owner": "ml"}, "baseline")
    assert info.status == RunStatus.RUNNING
    assert info.artifact_uri.endswith(f"/artifacts/0/{info.run_id}/artifacts")
    run = store.get_run(info.run_id)
    assert run.info == info
    assert run.data.tags == {"owner": "ml", "mlflow.runName": "baseline"}
    assert run.info.run_uuid == info.run_id
    with pytest.raises(NotFoundError, match="not found"):
        store.get_run("f" * 32)


def test_update_run_and_run_name_tag(store: TrackingStore) -> None:
    rid = _run(store)
    info = store.update_run_info(rid, status=RunStatus.FINISHED, end_time=5000, run_name="renamed")
    assert (info.status, info.end_time, info.run_name) == ("FINISHED", 5000, "renamed")
    assert store.get_run(rid).data.tags["mlflow.runName"] == "renamed"
    store.log_batch(rid, tags=[RunTag("mlflow.runName", "via-tag")])
    assert store.get_run(rid).info.run_name == "via-tag"
    with pytest.raises(InvalidInputError, match="status 'DONE'"):
        store.update_run_info(rid, status="DONE")


def test_params_are_immutable(store: TrackingStore) -> None:
    rid = _run(store)
    store.log_batch(rid, params=[Param("lr", "0.01")])
    store.log_batch(rid, params=[Param("lr", "0.01")])  # same value: fine
    with pytest.raises(ConflictError) as err:
        store.log_batch(rid, params=[Param("lr", "0.02")])
    assert "'lr'" in err.value.message
    assert "'0.01'" in err.value.message
    assert "'0.02'" in err.value.message
    assert store.get_run(rid).data.params == {"lr": "0.01"}


def test_batch_is_all_or_nothing(store: TrackingStore) -> None:
    rid = _run(store)
    store.log_batch(rid, params=[Param("fixed", "1")])
    with pytest.raises(ConflictError):
        store.log_batch(
            rid,
            metrics=[Metric("loss", 0.5, 1, 0)],
            params=[Param("new", "x"), Param("fixed", "2")],
            tags=[RunTag("t", "v")],
        )
    run = store.get_run(rid)
    assert run.data.params == {"fixed": "1"}
    assert run.data.metrics == {}
    assert "t" not in run.data.tags
    assert store.get_metric_history(rid, "loss") == []


def test_metrics_history_latest_and_special_values(store: TrackingStore) -> None:
    rid = _run(store)
    store.log_batch(
        rid,
        metrics=[
            Metric("loss", 3.0, 100, 3),
            Metric("loss", 1.0, 100, 1),
            Metric("loss", 2.0, 100, 2),
            Metric("odd", float("nan"), 100, 0),
            Metric("big", float("inf"), 100, 0),
            Metric("small", float("-inf"), 100, 0),
        ],
    )
    store.log_batch(rid, metrics=[Metric("loss", 0.1, 200, 0)])  # later, but a lower step
    run = store.get_run(rid)
    assert run.data.metrics["loss"] == 3.0
    assert math.isnan(run.data.metrics["odd"])
    assert run.data.metrics["big"] == math.inf
    assert run.data.metrics["small"] == -math.inf
    history = store.get_metric_history(rid, "loss")
    assert [(m.step, m.value) for m in history] == [(0, 0.1), (1, 1.0), (2, 2.0), (3, 3.0)]
    assert math.isnan(store.get_metric_history(rid, "odd")[0].value)
    # large steps and timestamps are int64
    store.log_batch(rid, metrics=[Metric("loss", 9.0, 2**62, 2**62)])
    assert store.get_run(rid).data.metrics["loss"] == 9.0


def test_metric_history_pages(store: TrackingStore) -> None:
    rid = _run(store)
    store.log_batch(rid, metrics=[Metric("m", float(i), 1, i) for i in range(25)])
    steps, token = [], None
    while True:
        page = store.get_metric_history(rid, "m", max_results=10, page_token=token)
        steps.extend(m.step for m in page)
        token = page.token
        if token is None:
            break
    assert steps == list(range(25))
    with pytest.raises(InvalidInputError, match="page_token"):
        store.get_metric_history(rid, "m", max_results=10, page_token="garbage!")
    with pytest.raises(NotFoundError):
        store.get_metric_history("0" * 32, "m")


def test_tags_overwrite_and_delete(store: TrackingStore) -> None:
    rid = _run(store)
    store.log_batch(rid, tags=[RunTag("k", "1")])
    store.log_batch(rid, tags=[RunTag("k", "2")])
    assert store.get_run(rid).data.tags["k"] == "2"
    store.delete_tag(rid, "k")
    assert "k" not in store.get_run(rid).data.tags
    with pytest.raises(NotFoundError, match="no tag 'k'"):
        store.delete_tag(rid, "k")


def test_deleted_run_refuses_writes_and_can_be_purged(store: TrackingStore) -> None:
    rid = _run(store)
    store.log_batch(rid, metrics=[Metric("m", 1.0, 1, 0)], params=[Param("p", "1")])
    store.delete_run(rid)
    with pytest.raises(ConflictError, match="deleted"):
        store.log_batch(rid, metrics=[Metric("m", 1.0, 1, 1)])
    assert store.deleted_run_ids() == [rid]
    store.restore_run(rid)
    assert store.deleted_run_ids() == []
    with pytest.raises(ConflictError, match="active"):
        store.purge_run(rid)
    store.delete_run(rid)
    store.purge_run(rid)
    with pytest.raises(NotFoundError):
        store.get_run(rid)


def test_log_inputs(store: TrackingStore) -> None:
    rid = _run(store)
    ds = Dataset("train", "abc123", "local", "/data/train.csv", '{"cols": 3}', None)
    store.log_inputs(rid, [DatasetInput(ds, (InputTag("mlflow.data.context", "training"),))])
    store.log_inputs(rid, [DatasetInput(ds, (InputTag("mlflow.data.context", "training"),))])
    inputs = store.get_run(rid).inputs.dataset_inputs
    assert len(inputs) == 1
    assert inputs[0].dataset == ds
    assert inputs[0].context == "training"


# ------------------------------------------------------------------ search
@pytest.fixture
def populated(store: TrackingStore) -> tuple[TrackingStore, str, list[str]]:
    eid = store.create_experiment("search")
    ids = []
    for i in range(12):
        rid = store.create_run(eid, "bob" if i % 3 else "carol", 1000 + i, {}, f"run-{i}").run_id
        store.log_batch(
            rid,
            metrics=[Metric("loss", 1.0 / (i + 1), 1, 0)] if i != 5 else [],
            params=[Param("lr", "0.01" if i % 2 else "0.1"), Param("depth", str(i))],
            tags=[RunTag("group", "a" if i < 6 else "b")],
        )
        ids.append(rid)
    return store, eid, ids


def test_search_runs_filter_and_order(populated: tuple[TrackingStore, str, list[str]]) -> None:
    store, eid, ids = populated
    found = store.search_runs([eid], "metrics.loss < 0.2 AND params.lr = '0.01'")
    assert {r.info.run_name for r in found} == {"run-5", "run-7", "run-9", "run-11"} - {"run-5"}
    found = store.search_runs([eid], "tags.group = 'a' OR (params.depth = '11')")
    assert {r.info.run_name for r in found} == {f"run-{i}" for i in (0, 1, 2, 3, 4, 5, 11)}
    ordered = store.search_runs([eid], order_by=["metrics.loss ASC"])
    names = [r.info.run_name for r in ordered]
    assert names[0] == "run-11"
    assert names[-1] == "run-5"  # no loss: NULLs last
    ordered_desc = store.search_runs([eid], order_by=["metrics.loss DESC"])
    assert [r.info.run_name for r in ordered_desc][-1] == "run-5"
    default = store.search_runs([eid])
    assert [r.info.run_name for r in default][0] == "run-11"  # start_time DESC
    assert store.search_runs([eid], "attributes.user_id = 'carol'")[0].info.user_id == "carol"
    run = default[0]
    assert run.data.params == {"lr": "0.01", "depth": "11"}
    assert run.data.metrics == {"loss": pytest.approx(1 / 12)}


def test_search_runs_pages_are_complete_and_stable(
    populated: tuple[TrackingStore, str, list[str]],
) -> None:
    store, eid, ids = populated
    seen, token = [], None
    while True:
        page = store.search_runs([eid], max_results=5, order_by=["params.lr"], page_token=token)
        seen.extend(r.info.run_id for r in page)
        token = page.token
        if token is None:
            break
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen))
    first = store.search_runs([eid], max_results=5)
    with pytest.raises(InvalidInputError, match="different query"):
        store.search_runs([eid], "params.lr = '0.1'", max_results=5, page_token=first.token)


def test_search_runs_views_and_errors(populated: tuple[TrackingStore, str, list[str]]) -> None:
    store, eid, ids = populated
    store.delete_run(ids[0])
    assert len(store.search_runs([eid])) == 11
    assert [
        r.info.run_id for r in store.search_runs([eid], run_view_type=ViewType.DELETED_ONLY)
    ] == [ids[0]]
    assert len(store.search_runs([eid], run_view_type=ViewType.ALL)) == 12
    with pytest.raises(InvalidFilterError, match="position"):
        store.search_runs([eid], "metrics.loss <")
    with pytest.raises(InvalidInputError, match="max_results"):
        store.search_runs([eid], max_results=0)
    with pytest.raises(InvalidInputError, match="max_results"):
        store.search_runs([eid], max_results=50_001)
