"""Heartbeats, crash detection and SIGTERM, with real training processes.

A training subprocess logs to a live ``runlab server`` or to an embedded SQLite store and
is killed: with SIGKILL its run ends FAILED (tagged ``runlab.crashed``, at its last
heartbeat) within the timeout and one sweep; with SIGTERM it ends KILLED at once.
Short intervals come through the environment variables.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests._servers import _subprocess_env, start_runlab_server

from runlab.entities import Run, RunStatus
from runlab.store.base import TrackingStore

INTERVAL, TIMEOUT, SWEEP = 0.2, 2.0, 0.5

TRAIN = textwrap.dedent(
    """
    import sys, time
    import runlab
    runlab.set_tracking_uri(sys.argv[1])
    run = runlab.start_run()
    print(run.info.run_id, flush=True)
    step = 0
    while True:
        runlab.log_metric("loss", 1.0 / (step + 1), step=step)
        step += 1
        time.sleep(0.05)
    """
)


@pytest.fixture(autouse=True)
def short_intervals(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNLAB_HEARTBEAT_INTERVAL", str(INTERVAL))
    monkeypatch.setenv("RUNLAB_HEARTBEAT_TIMEOUT", str(TIMEOUT))
    monkeypatch.setenv("RUNLAB_HEARTBEAT_SWEEP_INTERVAL", str(SWEEP))


@pytest.fixture
def training(tmp_path: Path) -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(30)
        if process.stdout is not None:
            process.stdout.close()


def _train(
    started: list[subprocess.Popen[str]], tmp_path: Path, uri: str
) -> tuple[subprocess.Popen[str], str]:
    script = tmp_path / "train.py"
    script.write_text(TRAIN)
    process = subprocess.Popen(
        [sys.executable, str(script), uri],
        stdout=subprocess.PIPE,
        text=True,
        env=_subprocess_env(),
        cwd=tmp_path,
    )
    started.append(process)
    assert process.stdout is not None
    run_id = process.stdout.readline().strip()
    assert len(run_id) == 32, f"the training process printed {run_id!r}"
    time.sleep(4 * INTERVAL)  # a few heartbeats go out
    return process, run_id


def _wait_for_status(store: TrackingStore, run_id: str, status: str, within: float) -> Run:
    deadline = time.monotonic() + within
    while True:
        run = store.get_run(run_id)
        if run.info.status == status or time.monotonic() > deadline:
            return run
        time.sleep(0.05)


def _assert_crashed(run: Run, killed_at_ms: int) -> None:
    assert run.info.status == RunStatus.FAILED
    assert run.data.tags["runlab.crashed"] == "true"
    assert run.info.end_time is not None
    assert run.info.start_time is not None
    # The end is the last heartbeat: before the kill, at most one interval (and slack).
    assert run.info.start_time <= run.info.end_time <= killed_at_ms
    assert killed_at_ms - run.info.end_time <= (INTERVAL + 0.5) * 1000


def test_a_killed_process_run_ends_failed_on_a_live_server(
    tmp_path: Path, training: list[subprocess.Popen[str]]
) -> None:
    from runlab.store.rest import RestStore

    with start_runlab_server(tmp_path) as (base_url, _server):
        store = RestStore(base_url)
        silent = store.create_run("0", "alice", int(time.time() * 1000), {}, "no-heartbeat").run_id
        process, run_id = _train(training, tmp_path, base_url)
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        killed_at = time.monotonic()
        killed_at_ms = int(time.time() * 1000)
        run = _wait_for_status(store, run_id, RunStatus.FAILED, TIMEOUT + SWEEP + 5)
        took = time.monotonic() - killed_at
        _assert_crashed(run, killed_at_ms)
        assert took <= TIMEOUT + SWEEP + 1.0, f"the run ended {took:.1f} s after the kill"
        print(f"killed process to FAILED run: {took:.2f} s")  # noqa: T201
        time.sleep(TIMEOUT + SWEEP)
        assert store.get_run(silent).info.status == RunStatus.RUNNING


def test_a_killed_process_run_ends_failed_when_the_embedded_store_is_opened(
    tmp_path: Path, training: list[subprocess.Popen[str]]
) -> None:
    from runlab.store.sql.store import SqlStore

    uri = f"sqlite:///{tmp_path / 'runlab.db'}"
    first = SqlStore(uri, tmp_path.as_uri())
    silent = first.create_run("0", "alice", int(time.time() * 1000), {}, "no-heartbeat").run_id
    first.close()
    process, run_id = _train(training, tmp_path, uri)
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    killed_at_ms = int(time.time() * 1000)
    early = SqlStore(uri, tmp_path.as_uri())  # opened before the timeout: nothing ends
    assert early.get_run(run_id).info.status == RunStatus.RUNNING
    early.close()
    time.sleep(TIMEOUT)
    store = SqlStore(uri, tmp_path.as_uri())  # opening it sweeps once
    try:
        _assert_crashed(store.get_run(run_id), killed_at_ms)
        assert store.get_run(silent).info.status == RunStatus.RUNNING
    finally:
        store.close()


def test_sigterm_ends_the_run_killed_at_once(
    tmp_path: Path, training: list[subprocess.Popen[str]]
) -> None:
    from runlab.store.sql.store import SqlStore

    uri = f"sqlite:///{tmp_path / 'runlab.db'}"
    process, run_id = _train(training, tmp_path, uri)
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == -signal.SIGTERM  # it still ends by the signal
    store = SqlStore(uri, tmp_path.as_uri())
    try:
        run = store.get_run(run_id)
        assert run.info.status == RunStatus.KILLED
        assert "runlab.crashed" not in run.data.tags
        assert run.data.metrics["loss"] < 1.0  # what it logged was written first
    finally:
        store.close()


def test_ctrl_c_ends_the_run_killed(tmp_path: Path, training: list[subprocess.Popen[str]]) -> None:
    from runlab.store.sql.store import SqlStore

    uri = f"sqlite:///{tmp_path / 'runlab.db'}"
    process, run_id = _train(training, tmp_path, uri)
    process.send_signal(signal.SIGINT)  # Ctrl-C: a KeyboardInterrupt in the loop
    assert process.wait(30) != 0
    store = SqlStore(uri, tmp_path.as_uri())
    try:
        run = store.get_run(run_id)
        assert run.info.status == RunStatus.KILLED
        assert run.info.end_time is not None
        assert "runlab.crashed" not in run.data.tags
        assert run.data.metrics["loss"] < 1.0
    finally:
        store.close()
