"""MLflow's own client links logged models to a run on a live runlab server, as inputs
and outputs, and reads the links back on the run."""

from __future__ import annotations

import uuid

import mlflow
from mlflow.entities import LoggedModelInput, LoggedModelOutput


def test_mlflow_client_model_inputs_and_outputs_round_trip(mlflow_client) -> None:
    experiment = mlflow.set_experiment(f"mi-{uuid.uuid4().hex[:8]}").experiment_id
    run = mlflow_client.create_run(experiment)
    run_id = run.info.run_id
    base = mlflow_client.create_logged_model(experiment, name="base").model_id
    tuned = mlflow_client.create_logged_model(experiment, name="tuned").model_id
    mlflow_client.log_inputs(run_id, models=[LoggedModelInput(base)])
    mlflow_client.log_outputs(run_id, [LoggedModelOutput(tuned, 4)])
    got = mlflow_client.get_run(run_id)
    assert [m.model_id for m in got.inputs.model_inputs] == [base]
    assert [(m.model_id, m.step) for m in got.outputs.model_outputs] == [(tuned, 4)]
    [found] = mlflow_client.search_runs([experiment])
    assert [(m.model_id, m.step) for m in found.outputs.model_outputs] == [(tuned, 4)]
    # A run with no links answers without them, as MLflow's server does.
    plain = mlflow_client.create_run(experiment).info.run_id
    bare = mlflow_client.get_run(plain)
    assert (bare.inputs.model_inputs, bare.outputs.model_outputs) == ([], [])
