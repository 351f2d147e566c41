"""Metrics linked to a logged model and a dataset (MLflow 3's ``model_id`` and
``dataset``): kept on the run as any point, and on the model with their run and dataset."""

from __future__ import annotations

import pandas as pd
import pytest

import runlab
from runlab.errors import InvalidInputError, NotFoundError


@pytest.fixture(autouse=True)
def _store(tracking: str) -> None:
    """Every test here runs against a fresh database store."""


def _history(run_id: str, key: str) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in runlab.RunlabClient().get_metric_history(run_id, key)]


def test_fluent_metrics_with_a_model_and_a_dataset() -> None:
    data = runlab.data.from_pandas(pd.DataFrame({"x": [1, 2]}), name="val")
    with runlab.start_run() as run:
        model = runlab.initialize_logged_model("clf")
        runlab.log_metric("acc", 0.9, step=1, model_id=model.model_id, dataset=data)
        runlab.log_metrics({"f1": 0.8, "auc": 0.7}, step=2, model_id=model.model_id)
        runlab.log_metric("acc", 0.95, step=2, dataset=data)  # a dataset, no model
        runlab.log_metric("plain", 1.0)
    run_id = run.info.run_id
    got = runlab.get_logged_model(model.model_id).metrics
    assert sorted((m.key, m.step, m.value) for m in got) == [
        ("acc", 1, 0.9),
        ("auc", 2, 0.7),
        ("f1", 2, 0.8),
    ]
    assert {m.run_id for m in got} == {run_id}
    by_key = {m.key: m for m in got}
    assert (by_key["acc"].dataset_name, by_key["acc"].dataset_digest) == ("val", data.digest)
    assert (by_key["f1"].dataset_name, by_key["f1"].dataset_digest) == (None, None)
    # The run has every point, as any metric.
    assert _history(run_id, "acc") == [(1, 0.9), (2, 0.95)]
    assert runlab.get_run(run_id).data.metrics == {
        "acc": 0.95,
        "f1": 0.8,
        "auc": 0.7,
        "plain": 1.0,
    }
    # The dataset became an input of the run, once.
    inputs = runlab.get_run(run_id).inputs.dataset_inputs
    assert [(d.dataset.name, d.dataset.digest) for d in inputs] == [("val", data.digest)]


def test_client_log_metric_with_dataset_name_and_digest() -> None:
    client = runlab.RunlabClient()
    run_id = client.create_run("0").info.run_id
    model_id = client.create_logged_model("0", "m").model_id
    client.log_metric(
        run_id, "rmse", 0.3, step=4, model_id=model_id, dataset_name="test", dataset_digest="d1"
    )
    [point] = client.get_logged_model(model_id).metrics
    assert (point.key, point.value, point.step, point.run_id) == ("rmse", 0.3, 4, run_id)
    assert (point.dataset_name, point.dataset_digest) == ("test", "d1")
    assert _history(run_id, "rmse") == [(4, 0.3)]
    found = client.search_logged_models(["0"])
    assert [len(m.metrics) for m in found] == [1]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dataset_name": "only-name"}, "dataset_name and dataset_digest: give both"),
        ({"dataset_digest": "d"}, "dataset_name and dataset_digest: give both"),
        ({"model_id": ""}, "model_id: must be a non-empty string"),
        ({"model_id": 5}, "model_id: must be a non-empty string"),
    ],
)
def test_bad_links_are_refused_before_anything_is_written(
    kwargs: dict[str, object], message: str
) -> None:
    client = runlab.RunlabClient()
    run_id = client.create_run("0").info.run_id
    with pytest.raises(InvalidInputError, match=message):
        client.log_metric(run_id, "k", 1.0, **kwargs)  # type: ignore[arg-type]
    assert _history(run_id, "k") == []


def test_a_missing_model_is_not_found() -> None:
    with runlab.start_run(), pytest.raises(NotFoundError, match="logged model 'm-nope'"):
        runlab.log_metric("k", 1.0, model_id="m-nope")


def test_a_dataset_must_be_a_runlab_dataset() -> None:
    with runlab.start_run(), pytest.raises(InvalidInputError, match="dataset: expected"):
        runlab.log_metric("k", 1.0, dataset="val")  # type: ignore[arg-type]


def test_deleting_a_model_removes_its_metrics_not_the_runs() -> None:
    with runlab.start_run() as run:
        model = runlab.initialize_logged_model("gone")
        runlab.log_metric("acc", 0.5, model_id=model.model_id)
    runlab.RunlabClient().delete_logged_model(model.model_id)
    assert _history(run.info.run_id, "acc") == [(0, 0.5)]
