"""Metrics linked to a logged model over the wire, against runlab's and MLflow's servers:
the ``log-metric`` request carries ``model_id`` and the dataset, and ``get logged-model``
answers them in ``data.metrics``."""

from __future__ import annotations

from rest_support import Remote

import runlab


def test_model_metrics_through_a_server(remote: Remote) -> None:
    client = remote.client
    run_id = client.create_run(remote.experiment_id).info.run_id
    model_id = client.create_logged_model(remote.experiment_id, "clf", run_id).model_id
    client.log_metric(
        run_id, "acc", 0.9, step=3, model_id=model_id, dataset_name="val", dataset_digest="d1"
    )
    runlab.log_metrics({"loss": 0.25}, step=3, run_id=run_id, model_id=model_id)
    got = sorted(client.get_logged_model(model_id).metrics, key=lambda m: m.key)
    assert [(m.key, m.value, m.step, m.run_id, m.model_id) for m in got] == [
        ("acc", 0.9, 3, run_id, model_id),
        ("loss", 0.25, 3, run_id, model_id),
    ]
    assert [(m.dataset_name, m.dataset_digest) for m in got] == [("val", "d1"), (None, None)]
    history = client.get_metric_history(run_id, "acc")
    assert [(m.step, m.value) for m in history] == [(3, 0.9)]  # on the run, once
    [found] = client.search_logged_models([remote.experiment_id])
    assert {m.key for m in found.metrics} == {"acc", "loss"}
