"""Logged models as run inputs and outputs over the wire, against runlab's and MLflow's
servers: ``runs/log-inputs`` carries ``models``, ``runs/outputs`` the produced ones, and
``runs/get`` answers them in ``inputs.model_inputs`` and ``outputs.model_outputs``."""

from __future__ import annotations

from rest_support import Remote

import runlab
from runlab.entities import LoggedModelInput, LoggedModelOutput


def test_model_inputs_and_outputs_through_a_server(remote: Remote) -> None:
    client = remote.client
    run_id = client.create_run(remote.experiment_id).info.run_id
    base = client.create_logged_model(remote.experiment_id, "base").model_id
    tuned = client.create_logged_model(remote.experiment_id, "tuned", run_id).model_id
    client.log_inputs(run_id, models=[LoggedModelInput(base)])
    client.log_outputs(run_id, [LoggedModelOutput(tuned, 2)])
    got = client.get_run(run_id)
    assert got.inputs.model_inputs == (LoggedModelInput(base),)
    assert got.outputs.model_outputs == (LoggedModelOutput(tuned, 2),)
    [found] = client.search_runs([remote.experiment_id])
    assert found.outputs.model_outputs == (LoggedModelOutput(tuned, 2),)


def test_fluent_model_input_through_a_server(remote: Remote) -> None:
    model = remote.client.create_logged_model(remote.experiment_id, "m").model_id
    with runlab.start_run(experiment_id=remote.experiment_id) as run:
        runlab.log_input(model=LoggedModelInput(model))
    assert [m.model_id for m in remote.client.get_run(run.info.run_id).inputs.model_inputs] == [
        model
    ]
