"""A tracking server killed and restarted in the middle of a run loses no point."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rest_support import SERVER_KINDS, ServerProcess, mlflow_server_process, runlab_server_process

import runlab
from runlab.entities import RunStatus

POINTS_BEFORE, POINTS_DURING, POINTS_AFTER = 300, 300, 300


@pytest.fixture(params=SERVER_KINDS)
def own_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerProcess]:
    """A server of this test alone, since the test kills it."""
    make = {"runlab": runlab_server_process, "mlflow": mlflow_server_process}[request.param]
    server = make(tmp_path / "server")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.slow
def test_server_killed_and_restarted_mid_run(
    own_server: ServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Retry for up to about three minutes, a few seconds apart: the restart fits in it.
    monkeypatch.setenv("RUNLAB_HTTP_MAX_RETRIES", "60")
    monkeypatch.setenv("RUNLAB_HTTP_BACKOFF_MAX", "3")
    runlab.set_tracking_uri(own_server.url)
    runlab.set_experiment("restart")
    step = 0

    def log(count: int) -> None:
        nonlocal step
        for _ in range(count):
            runlab.log_metric("loss", step * 0.5, step=step)
            step += 1
            time.sleep(0.001)

    with runlab.start_run() as run:
        runlab.log_param("lr", 0.1)
        log(POINTS_BEFORE)
        runlab.flush()
        own_server.kill()
        log(POINTS_DURING)  # queued; the background writer retries meanwhile
        time.sleep(0.5)  # let it meet the dead server
        restarter = threading.Thread(target=own_server.start)
        restarter.start()
        log(POINTS_AFTER)
        # Ending the run writes what is queued, waiting for the server if it is not back.
    restarter.join()
    client = runlab.RunlabClient()
    stored = client.get_run(run.info.run_id)
    assert stored.info.status == RunStatus.FINISHED
    assert stored.data.params == {"lr": "0.1"}
    history = client.get_metric_history(run.info.run_id, "loss")
    total = POINTS_BEFORE + POINTS_DURING + POINTS_AFTER
    assert [(m.step, m.value) for m in history] == [(s, s * 0.5) for s in range(total)]
