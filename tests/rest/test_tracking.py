"""The fluent API and RunlabClient against a real tracking server, over HTTP."""

from __future__ import annotations

import math
import uuid

import pytest
from rest_support import Remote

import runlab
from runlab.entities import LifecycleStage, Metric, Param, RunStatus, RunTag, ViewType
from runlab.errors import (
    AlreadyExistsError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    RunlabError,
)
from runlab.store.rest import RestStore


def test_http_uri_gives_a_rest_store(remote: Remote) -> None:
    assert isinstance(remote.client.store, RestStore)
    assert runlab.get_tracking_uri() == remote.url


# ------------------------------------------------------------------ experiments
def test_experiment_lifecycle_and_tags(remote: Remote) -> None:
    client = remote.client
    name = f"exp-{uuid.uuid4().hex[:8]}"
    exp_id = client.create_experiment(name, tags={"team": "vision"})
    exp = client.get_experiment(exp_id)
    assert (exp.name, exp.tags, exp.lifecycle_stage) == (name, {"team": "vision"}, "active")
    assert client.get_experiment_by_name(name) == exp
    assert client.get_experiment_by_name(f"missing-{uuid.uuid4().hex}") is None

    client.set_experiment_tag(exp_id, "stage", "dev")
    client.delete_experiment_tag(exp_id, "team")
    assert client.get_experiment(exp_id).tags == {"stage": "dev"}

    client.rename_experiment(exp_id, name + "-renamed")
    assert client.get_experiment(exp_id).name == name + "-renamed"

    client.delete_experiment(exp_id)
    assert client.get_experiment(exp_id).lifecycle_stage == LifecycleStage.DELETED
    deleted = client.search_experiments(
        ViewType.DELETED_ONLY, filter_string=f"name = '{name}-renamed'"
    )
    assert [e.experiment_id for e in deleted] == [exp_id]
    client.restore_experiment(exp_id)
    assert client.get_experiment(exp_id).lifecycle_stage == LifecycleStage.ACTIVE


def test_search_experiments_pages_with_tokens(remote: Remote) -> None:
    prefix = f"page-{uuid.uuid4().hex[:8]}"
    ids = [remote.client.create_experiment(f"{prefix}-{i}") for i in range(5)]
    seen: list[str] = []
    token = None
    while True:
        page = remote.client.search_experiments(
            max_results=2,
            filter_string=f"name LIKE '{prefix}-%'",
            order_by=["name ASC"],
            page_token=token,
        )
        assert len(page) <= 2
        seen += [e.experiment_id for e in page]
        token = page.token
        if not token:
            break
    assert seen == ids
    everything = runlab.search_experiments(filter_string=f"name LIKE '{prefix}-%'")
    assert sorted(e.experiment_id for e in everything) == sorted(ids)


def test_set_experiment_creates_it_once(remote: Remote) -> None:
    again = runlab.set_experiment(remote.experiment_name)
    assert again.experiment_id == remote.experiment_id


# ------------------------------------------------------------------ runs
def test_fluent_run_logs_params_metrics_tags(remote: Remote) -> None:
    with runlab.start_run(run_name="first", tags={"kind": "smoke"}) as run:
        runlab.log_params({"lr": 0.1, "layers": 3})
        for step in range(50):
            runlab.log_metric("loss", 1.0 / (step + 1), step=step)
        runlab.log_metrics({"acc": 0.5, "f1": 0.25}, step=7)
        runlab.set_tag("note", "hello")
    stored = remote.client.get_run(run.info.run_id)
    assert stored.info.status == RunStatus.FINISHED
    assert stored.info.run_name == "first"
    assert stored.info.end_time is not None
    assert stored.info.experiment_id == remote.experiment_id
    assert stored.data.params == {"lr": "0.1", "layers": "3"}
    assert stored.data.metrics == {"loss": 1.0 / 50, "acc": 0.5, "f1": 0.25}
    assert stored.data.tags["kind"] == "smoke"
    assert stored.data.tags["note"] == "hello"
    assert stored.data.tags["mlflow.runName"] == "first"
    history = remote.client.get_metric_history(run.info.run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(s, 1.0 / (s + 1)) for s in range(50)]
    assert all(m.run_id == run.info.run_id for m in history)


def test_failed_block_ends_run_failed(remote: Remote) -> None:
    def train() -> str:
        with runlab.start_run() as run:
            runlab.log_metric("x", 1.0)
            raise ZeroDivisionError
        return run.info.run_id

    with pytest.raises(ZeroDivisionError):
        train()
    run = runlab.last_active_run()
    assert run is not None
    assert remote.client.get_run(run.info.run_id).info.status == RunStatus.FAILED


def test_changed_param_is_refused(remote: Remote) -> None:
    with runlab.start_run() as run:
        runlab.log_param("lr", 0.1)
        runlab.log_param("lr", 0.1)  # the same value again is fine
        with pytest.raises(ConflictError, match="lr"):
            runlab.log_param("lr", 0.2)  # refused at the call, before any request
    # Through the client the server refuses it; the error is catchable both ways.
    with pytest.raises(ConflictError, match="lr") as caught:
        remote.client.log_param(run.info.run_id, "lr", 0.5)
    assert isinstance(caught.value, InvalidInputError)
    assert remote.client.get_run(run.info.run_id).data.params == {"lr": "0.1"}


def test_metric_values_round_trip_including_nan(remote: Remote) -> None:
    run = remote.client.create_run(remote.experiment_id)
    rid = run.info.run_id
    remote.client.log_batch(
        rid,
        metrics=[
            Metric("m", float("nan"), 1000, 0),
            Metric("m", -2.5, 1001, 1),
            Metric("m", 1e300, 1002, 2),
            Metric("big_step", 3.0, 1003, 2**62),
        ],
    )
    history = remote.client.get_metric_history(rid, "m")
    assert math.isnan(history[0].value)
    assert [(m.value, m.timestamp, m.step) for m in history[1:]] == [
        (-2.5, 1001, 1),
        (1e300, 1002, 2),
    ]
    assert remote.client.get_metric_history(rid, "big_step")[0].step == 2**62


def test_metric_history_pages(remote: Remote) -> None:
    run = remote.client.create_run(remote.experiment_id)
    rid = run.info.run_id
    remote.client.log_batch(rid, metrics=[Metric("h", float(i), 1000 + i, i) for i in range(25)])
    pages = []
    token = None
    while True:
        page = remote.client.get_metric_history(rid, "h", max_results=10, page_token=token)
        pages.append([m.step for m in page])
        token = page.token
        if not token:
            break
    assert [len(p) for p in pages] == [10, 10, 5]
    assert sorted(s for p in pages for s in p) == list(range(25))


def test_many_points_are_chunked_within_server_limits(remote: Remote) -> None:
    with runlab.start_run() as run:
        for step in range(4500):
            runlab.log_metric("dense", float(step), step=step)
        runlab.log_params({f"p{i}": i for i in range(150)})  # over 100 in one flush
        runlab.set_tags({f"t{i}": "x" * 3000 for i in range(120)})  # over 1 MB in one flush
    stored = remote.client.get_run(run.info.run_id)
    assert len(stored.data.params) == 150
    assert sum(1 for k in stored.data.tags if k.startswith("t")) == 120
    history = remote.client.get_metric_history(run.info.run_id, "dense")
    assert [m.step for m in history] == list(range(4500))


def test_tags_set_and_deleted(remote: Remote) -> None:
    with runlab.start_run() as run:
        runlab.set_tag("keep", "1")
        runlab.set_tag("drop", "2")
        runlab.delete_tag("drop")
    tags = remote.client.get_run(run.info.run_id).data.tags
    assert tags["keep"] == "1"
    assert "drop" not in tags
    with pytest.raises(NotFoundError):
        remote.client.delete_tag(run.info.run_id, "never-set")


def test_nested_runs_record_their_parent(remote: Remote) -> None:
    with runlab.start_run() as parent:
        with runlab.start_run(nested=True) as child:
            runlab.log_metric("inner", 1.0)
        runlab.log_metric("outer", 2.0)
    child_run = remote.client.get_run(child.info.run_id)
    assert child_run.data.tags["mlflow.parentRunId"] == parent.info.run_id
    got = remote.client.get_parent_run(child.info.run_id)
    assert got is not None
    assert got.info.run_id == parent.info.run_id
    found = runlab.search_runs(
        filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'", output_format="list"
    )
    assert [r.info.run_id for r in found] == [child.info.run_id]


def test_run_update_delete_restore(remote: Remote) -> None:
    client = remote.client
    run = client.create_run(remote.experiment_id, run_name="before")
    rid = run.info.run_id
    client.update_run(rid, name="after")
    assert client.get_run(rid).info.run_name == "after"
    info = client.set_terminated(rid, RunStatus.KILLED, end_time=123)
    assert (info.status, info.end_time) == (RunStatus.KILLED, 123)
    client.delete_run(rid)
    assert client.get_run(rid).info.lifecycle_stage == LifecycleStage.DELETED
    assert client.search_runs(remote.experiment_id) == []
    assert [
        r.info.run_id for r in client.search_runs(remote.experiment_id, run_view_type="ALL")
    ] == [rid]
    client.restore_run(rid)
    assert client.get_run(rid).info.lifecycle_stage == LifecycleStage.ACTIVE


def test_resume_a_run_by_id(remote: Remote) -> None:
    with runlab.start_run() as run:
        runlab.log_param("a", 1)
    with runlab.start_run(run_id=run.info.run_id):
        runlab.log_metric("later", 5.0)
        with pytest.raises(ConflictError):
            runlab.log_param("a", 2)  # the stored params were loaded on resume
    stored = remote.client.get_run(run.info.run_id)
    assert stored.data.metrics == {"later": 5.0}
    assert stored.info.status == RunStatus.FINISHED


# ------------------------------------------------------------------ search
def test_search_runs_filter_order_and_pages(remote: Remote) -> None:
    ids = []
    for i in range(7):
        with runlab.start_run(run_name=f"r{i}") as run:
            runlab.log_metric("score", float(i))
            runlab.log_param("parity", "even" if i % 2 == 0 else "odd")
        ids.append(run.info.run_id)
    client = remote.client
    collected = []
    token = None
    while True:
        page = client.search_runs(
            remote.experiment_id,
            "metrics.score >= 2 and params.parity = 'even'",
            max_results=1,
            order_by=["metrics.score DESC"],
            page_token=token,
        )
        collected += [r.info.run_id for r in page]
        token = page.token
        if not token:
            break
    assert collected == [ids[6], ids[4], ids[2]]

    frame = runlab.search_runs(order_by=["metrics.score ASC"])
    assert list(frame["run_id"]) == ids
    assert list(frame["metrics.score"]) == [float(i) for i in range(7)]
    by_name = runlab.search_runs(experiment_names=[remote.experiment_name], output_format="list")
    assert len(by_name) == 7


def test_search_with_a_bad_filter_is_invalid_input(remote: Remote) -> None:
    with pytest.raises(InvalidInputError):
        remote.client.search_runs(remote.experiment_id, "metrics.score >")


# ------------------------------------------------------------------ datasets
def test_datasets_are_logged_as_inputs(remote: Remote) -> None:
    import runlab.data

    ds = runlab.data.dataset("train", source="s3://bucket/train.csv", schema={"x": "int"})
    with runlab.start_run() as run:
        runlab.log_input(ds, context="training", tags={"split": "a"})
    inputs = remote.client.get_run(run.info.run_id).inputs.dataset_inputs
    assert len(inputs) == 1
    got = inputs[0]
    assert (got.dataset.name, got.dataset.digest, got.dataset.source) == (
        "train",
        ds.digest,
        "s3://bucket/train.csv",
    )
    assert got.dataset.schema == ds.schema
    assert got.context == "training"
    assert {t.key: t.value for t in got.tags}["split"] == "a"


# ------------------------------------------------------------------ errors
def test_errors_map_to_runlab_classes(remote: Remote) -> None:
    client = remote.client
    with pytest.raises(NotFoundError, match="999999"):
        client.get_experiment("999999")
    with pytest.raises(NotFoundError):
        client.get_run("0" * 32)
    with pytest.raises(AlreadyExistsError):
        client.create_experiment(remote.experiment_name)
    run = client.create_run(remote.experiment_id)
    client.delete_run(run.info.run_id)
    with pytest.raises(InvalidInputError):
        client.log_batch(run.info.run_id, params=[Param("p", "1")])


def test_gc_calls_name_the_way_to_do_it(remote: Remote) -> None:
    store = remote.client.store
    with pytest.raises(InvalidInputError, match="runlab gc"):
        store.deleted_run_ids()
    with pytest.raises(InvalidInputError, match="runlab gc"):
        store.purge_run("abc")


def test_a_wrong_path_prefix_says_so(tracking_server: str) -> None:
    client = runlab.RunlabClient(f"{tracking_server}/not-here")
    with pytest.raises(RunlabError, match="tracking server"):
        client.get_experiment("0")


def test_run_tags_and_batch_through_the_client(remote: Remote) -> None:
    client = remote.client
    run = client.create_run(remote.experiment_id, tags={"a": "1"})
    rid = run.info.run_id
    client.log_batch(
        rid,
        metrics=[Metric("m", 1.0, 10, 0)],
        params=[Param("p", "v")],
        tags=[RunTag("t", "w")],
    )
    client.set_tag(rid, "t", "overwritten")
    stored = client.get_run(rid)
    assert stored.data.params == {"p": "v"}
    assert stored.data.tags["t"] == "overwritten"
    assert stored.data.tags["a"] == "1"
    assert stored.data.metrics == {"m": 1.0}
