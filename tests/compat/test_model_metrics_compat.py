"""MLflow's own client logs metrics linked to a logged model and a dataset to a live
runlab server, and reads them back on the model."""

from __future__ import annotations

import uuid

import mlflow


def test_mlflow_client_model_metrics_round_trip(mlflow_client) -> None:
    experiment = mlflow.set_experiment(f"mm-{uuid.uuid4().hex[:8]}").experiment_id
    run = mlflow_client.create_run(experiment)
    model = mlflow_client.create_logged_model(experiment, name="clf")
    mlflow_client.log_metric(
        run.info.run_id,
        "acc",
        0.75,
        step=2,
        model_id=model.model_id,
        dataset_name="val",
        dataset_digest="abc",
    )
    [point] = mlflow_client.get_logged_model(model.model_id).metrics
    assert (point.key, point.value, point.step) == ("acc", 0.75, 2)
    assert (point.model_id, point.run_id) == (model.model_id, run.info.run_id)
    assert (point.dataset_name, point.dataset_digest) == ("val", "abc")
    history = mlflow_client.get_metric_history(run.info.run_id, "acc")
    assert [(m.step, m.value) for m in history] == [(2, 0.75)]
