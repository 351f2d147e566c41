"""start_run() resumes the run that RUNLAB_RUN_ID or MLFLOW_RUN_ID names (as `runlab run`
and `mlflow run` set them for their entry points), once."""

from __future__ import annotations

import os

import pytest

import runlab
from runlab.entities import RunStatus
from runlab.tracking.client import RunlabClient


@pytest.mark.parametrize("variable", ["RUNLAB_RUN_ID", "MLFLOW_RUN_ID"])
def test_start_run_resumes_the_run_named_by_the_environment(
    tracking: str, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    client = RunlabClient(tracking)
    made = client.create_run("0", run_name="made-by-the-runner")
    run_id = made.info.run_id
    client.set_terminated(run_id, RunStatus.FAILED)
    monkeypatch.setenv(variable, run_id)

    with runlab.start_run() as active:
        assert active.info.run_id == run_id
        assert active.info.status == RunStatus.RUNNING
        runlab.log_param("alpha", "0.5")
    assert variable not in os.environ  # used once

    with runlab.start_run() as later:  # the next run of the process is a new one
        assert later.info.run_id != run_id
    stored = client.get_run(run_id)
    assert stored.info.status == RunStatus.FINISHED
    assert stored.data.params == {"alpha": "0.5"}
    assert stored.info.run_name == "made-by-the-runner"


def test_an_explicit_run_id_wins_and_nested_runs_ignore_the_variable(
    tracking: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = RunlabClient(tracking)
    named = client.create_run("0").info.run_id
    explicit = client.create_run("0").info.run_id
    monkeypatch.setenv("RUNLAB_RUN_ID", named)
    with runlab.start_run(run_id=explicit) as outer:
        assert outer.info.run_id == explicit
        with runlab.start_run(nested=True) as inner:
            assert inner.info.run_id not in (named, explicit)
    assert os.environ["RUNLAB_RUN_ID"] == named  # untouched: never consulted
