"""``runlab server --end-silent-runs``: runs of clients that send no heartbeat (MLflow's
own client) are ended as crashed once their last write is older than the timeout; without
the flag they are left RUNNING. Against real server processes, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path

import mlflow
import pytest
from tests._servers import start_runlab_server

from runlab.entities import RunStatus
from runlab.store.rest import RestStore

TIMEOUT, SWEEP = 2.0, 0.5


@pytest.fixture(autouse=True)
def short_intervals(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNLAB_HEARTBEAT_TIMEOUT", str(TIMEOUT))
    monkeypatch.setenv("RUNLAB_HEARTBEAT_SWEEP_INTERVAL", str(SWEEP))


def _mlflow_run_that_goes_silent(base_url: str) -> tuple[str, int]:
    """An MLflow client starts a run, logs a param and a few points, and stops talking."""
    client = mlflow.MlflowClient(tracking_uri=base_url)
    experiment_id = client.create_experiment(f"silent-{time.time_ns()}")
    run_id = client.create_run(experiment_id).info.run_id
    client.log_param(run_id, "lr", "0.1")
    last = 0
    for step in range(3):
        last = int(time.time() * 1000)
        client.log_metric(run_id, "loss", 1.0 / (step + 1), timestamp=last, step=step)
        time.sleep(0.3)
    return run_id, last


@pytest.mark.slow
def test_end_silent_runs_ends_the_mlflow_clients_run_at_its_last_write(
    tmp_path: Path, store_uri: str
) -> None:
    with start_runlab_server(tmp_path, "--backend-store-uri", store_uri, "--end-silent-runs") as (
        base_url,
        _server,
    ):
        run_id, last_write = _mlflow_run_that_goes_silent(base_url)
        store = RestStore(base_url)
        # Still writing a moment ago: a whole timeout has not passed, nothing ends.
        assert store.get_run(run_id).info.status == RunStatus.RUNNING
        deadline = time.monotonic() + TIMEOUT + SWEEP + 5
        while store.get_run(run_id).info.status == RunStatus.RUNNING:
            assert time.monotonic() < deadline, "the silent run was never ended"
            time.sleep(0.1)
        run = mlflow.MlflowClient(tracking_uri=base_url).get_run(run_id)
        assert run.info.status == "FAILED"
        assert run.data.tags["runlab.crashed"] == "true"
        assert run.info.end_time == last_write  # its last sign of life
        assert time.time() * 1000 - last_write >= TIMEOUT * 1000


@pytest.mark.slow
def test_without_the_flag_a_silent_mlflow_run_stays_running(tmp_path: Path, store_uri: str) -> None:
    with start_runlab_server(tmp_path, "--backend-store-uri", store_uri) as (base_url, _server):
        run_id, _last = _mlflow_run_that_goes_silent(base_url)
        time.sleep(TIMEOUT + 3 * SWEEP)  # several sweeps past the timeout
        run = mlflow.MlflowClient(tracking_uri=base_url).get_run(run_id)
        assert run.info.status == "RUNNING"
        assert "runlab.crashed" not in run.data.tags
