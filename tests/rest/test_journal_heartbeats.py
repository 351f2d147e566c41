"""Heartbeats carried by the journal's own traffic, against real ``runlab server``
processes (SQLite and PostgreSQL) with a short heartbeat timeout: a run busy logging needs
no separate heartbeat, and a run whose server was down past the timeout is RUNNING again
once it is back, and ends as its process ends it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rest_support import SRC, ServerProcess
from tests._servers import free_port, runlab_command

from runlab.entities import RunStatus
from runlab.tracking.client import RunlabClient

INTERVAL, TIMEOUT, SWEEP = 0.2, 1.5, 0.3
HEARTBEAT_PATH = "POST /api/2.0/runlab/runs/heartbeat"

TRAINING = textwrap.dedent(
    """
    import pathlib, sys, time
    import runlab

    here = pathlib.Path(sys.argv[1])
    runlab.set_experiment("journal-heartbeats")
    run = runlab.start_run()
    (here / "run_id").write_text(run.info.run_id)
    step = 0
    while not (here / "stop").exists():
        runlab.log_metric("loss", 1.0 / (step + 1), step=step)
        step += 1
        time.sleep(0.01)
    runlab.end_run()
    """
)


@pytest.fixture
def server(tmp_path: Path, store_uri: str) -> Iterator[ServerProcess]:
    # ServerProcess passes no RUNLAB_ setting on: the short timeouts go through `env`.
    command = [
        "env",
        f"RUNLAB_HEARTBEAT_TIMEOUT={TIMEOUT}",
        f"RUNLAB_HEARTBEAT_SWEEP_INTERVAL={SWEEP}",
        *runlab_command("server", "--host", "127.0.0.1", "--port", str(port := free_port())),
        *("--backend-store-uri", store_uri),
    ]
    (tmp_path / "server").mkdir()
    s = ServerProcess(command, port, tmp_path / "server" / "server.log")
    s.start()
    try:
        yield s
    finally:
        s.stop()


def _start(tmp_path: Path, server: ServerProcess) -> tuple[subprocess.Popen[str], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUNLAB_", "MLFLOW_"))}
    env.update(
        PYTHONPATH=os.pathsep.join(p for p in (SRC, env.get("PYTHONPATH", "")) if p),
        RUNLAB_TRACKING_URI=server.url,
        RUNLAB_JOURNAL_DIR=str(tmp_path / "journal"),
        RUNLAB_CAPTURE_CONTEXT="false",
        RUNLAB_PRINT_RUN_URL="false",
        RUNLAB_HEARTBEAT_INTERVAL=str(INTERVAL),
        RUNLAB_HTTP_MAX_RETRIES="3",
        RUNLAB_HTTP_BACKOFF_FACTOR="0.1",
        RUNLAB_HTTP_BACKOFF_MAX="0.5",
    )
    script = tmp_path / "train.py"
    script.write_text(TRAINING)
    process = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    marker = tmp_path / "run_id"
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the training script never started its run"
        time.sleep(0.02)
    time.sleep(0.1)
    return process, marker.read_text()


def _heartbeats(server: ServerProcess) -> int:
    return server.log.read_text(errors="replace").count(HEARTBEAT_PATH)


def _stop(tmp_path: Path, process: subprocess.Popen[str]) -> None:
    (tmp_path / "stop").touch()
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err


@pytest.mark.slow
def test_a_run_busy_logging_needs_no_heartbeats_and_is_not_ended(
    tmp_path: Path, server: ServerProcess
) -> None:
    training, run_id = _start(tmp_path, server)
    client = RunlabClient(server.url)
    began = _heartbeats(server)
    watched = 3 * TIMEOUT  # three timeouts: ended by now were its batches not counted
    deadline = time.monotonic() + watched
    while time.monotonic() < deadline:
        assert client.get_run(run_id).info.status == RunStatus.RUNNING
        time.sleep(0.1)
    sent = _heartbeats(server) - began
    # A beat every interval would be about 22; the delivered batches stood in for them.
    assert sent <= 2, f"{sent} heartbeats in {watched:.1f} s of steady logging"
    _stop(tmp_path, training)
    run = client.get_run(run_id)
    assert run.info.status == RunStatus.FINISHED
    assert "runlab.crashed" not in run.data.tags


@pytest.mark.slow
def test_a_run_offline_past_the_timeout_is_running_once_the_server_is_back(
    tmp_path: Path, server: ServerProcess
) -> None:
    training, run_id = _start(tmp_path, server)
    time.sleep(0.5)
    server.kill()
    time.sleep(2 * TIMEOUT)  # its last sign of life is now older than the timeout
    server.start()  # the sweep runs again: it may end the run before the client is back
    client = RunlabClient(server.url)
    time.sleep(SWEEP + 2.0)  # a sweep, the sender's next probe and a heartbeat
    run = client.get_run(run_id)
    assert run.info.status == RunStatus.RUNNING
    assert run.info.end_time is None
    assert "runlab.crashed" not in run.data.tags
    _stop(tmp_path, training)
    run = client.get_run(run_id)
    assert run.info.status == RunStatus.FINISHED
    assert "runlab.crashed" not in run.data.tags
    steps = [m.step for m in client.get_metric_history(run_id, "loss")]
    assert steps == list(range(len(steps)))  # every point, once
