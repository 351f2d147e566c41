"""The client journal against a real ``runlab server`` that goes away and comes back.

Each training script runs in a process of its own (its exit, or its SIGKILL, is part of
what is tested); the server is killed and restarted on the same port and store.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from rest_support import SRC, Answer, Recorded, ServerProcess, Stub
from tests._servers import runlab_command

import runlab
from runlab.entities import RunStatus
from runlab.tracking.client import RunlabClient

# A fluent training loop that logs until the test creates the file "stop" (or kills it),
# timing every log call.
TRAINING = textwrap.dedent(
    """
    import json, pathlib, sys, time
    import runlab
    from runlab.entities import Dataset

    here = pathlib.Path(sys.argv[1])
    runlab.set_experiment("journal")
    run = runlab.start_run()
    runlab.log_params({"lr": 0.1, "layers": 3})
    runlab.set_tag("phase", "start")
    (here / "run_id").write_text(run.info.run_id)
    step, slowest = 0, 0.0
    while not (here / "stop").exists():
        t = time.perf_counter()
        runlab.log_metric("loss", 1.0 / (step + 1), step=step)
        runlab.log_metrics({"acc": step * 0.001, "lr": 0.1}, step=step)
        if step == 50:
            runlab.log_params({"batch": 32})
            runlab.set_tag("phase", "middle")
        if step == 300:  # past the 200 steps after which the tests stop the server
            runlab.log_input(Dataset("digits", "d1g3st"), context="train")
        slowest = max(slowest, time.perf_counter() - t)
        step += 1
        if step % 100 == 0:
            if "--mark-journaled" in sys.argv:
                runlab.flush()  # the points reach the journal before the mark says so
            (here / "steps").write_text(str(step))
        time.sleep(0.002)
    runlab.set_tag("phase", "end")
    runlab.end_run()
    print(json.dumps({"steps": step, "slowest_ms": slowest * 1000}))
    """
)


OUTAGE_S = 20  # how long the server stays down in the middle of a training loop


def _env(tmp_path: Path, server: ServerProcess) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUNLAB_", "MLFLOW_"))}
    env.update(
        PYTHONPATH=os.pathsep.join(p for p in (SRC, env.get("PYTHONPATH", "")) if p),
        RUNLAB_TRACKING_URI=server.url,
        RUNLAB_JOURNAL_DIR=str(tmp_path / "journal"),
        RUNLAB_CAPTURE_CONTEXT="false",
        RUNLAB_PRINT_RUN_URL="false",  # stdout carries the script's JSON
        # A small retry budget (about a second) so that a few seconds' outage exceeds it.
        RUNLAB_HTTP_MAX_RETRIES="3",
        RUNLAB_HTTP_BACKOFF_FACTOR="0.1",
        RUNLAB_HTTP_BACKOFF_MAX="0.5",
    )
    return env


def _start_training(tmp_path: Path, server: ServerProcess, *flags: str) -> subprocess.Popen[str]:
    script = tmp_path / "train.py"
    script.write_text(TRAINING)
    return subprocess.Popen(
        [sys.executable, str(script), str(tmp_path), *flags],
        env=_env(tmp_path, server),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_steps(tmp_path: Path, at_least: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    steps = tmp_path / "steps"
    while time.monotonic() < deadline and process.poll() is None:
        if steps.exists() and int(steps.read_text() or 0) >= at_least:
            return
        time.sleep(0.05)
    raise AssertionError(f"training did not reach {at_least} steps: {process.communicate()}")


def _sync(tmp_path: Path, server: ServerProcess) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        runlab_command("sync", str(tmp_path / "journal")),
        env=_env(tmp_path, server),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _journals(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "journal").glob("*.journal"))


def _assert_stored_once(server: ServerProcess, run_id: str, steps: int) -> RunlabClient:
    client = RunlabClient(server.url)
    for key in ("loss", "acc", "lr"):
        history = client.get_metric_history(run_id, key)
        assert [m.step for m in history] == list(range(steps)), key
    assert client.get_run(run_id).data.params == {"lr": "0.1", "layers": "3", "batch": "32"}
    return client


@pytest.mark.slow
def test_server_down_mid_loop_loses_nothing_and_never_blocks(
    tmp_path: Path, server: ServerProcess
) -> None:
    training = _start_training(tmp_path, server)
    _wait_steps(tmp_path, 200, training)
    server.kill()
    down = time.monotonic()
    _wait_steps(tmp_path, 1000, training)  # the loop goes on meanwhile
    time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - down)))  # far past the retry budget
    server.start()
    time.sleep(1)
    (tmp_path / "stop").touch()
    out, err = training.communicate(timeout=120)
    assert training.returncode == 0, err
    result = json.loads(out)
    run_id = (tmp_path / "run_id").read_text()

    client = _assert_stored_once(server, run_id, result["steps"])
    run = client.get_run(run_id)
    assert run.info.status == RunStatus.FINISHED
    assert run.data.tags["phase"] == "end"
    assert [d.dataset.name for d in run.inputs.dataset_inputs] == ["digits"]
    assert result["slowest_ms"] < 100, result
    warnings = [line for line in err.splitlines() if line.startswith("runlab:")]
    assert len(warnings) == 1, err
    assert "did not answer" in warnings[0]
    assert str(tmp_path / "journal") in warnings[0]
    assert _journals(tmp_path) == []  # sent, acknowledged, deleted at exit


@pytest.mark.slow
def test_killed_while_server_down_then_sync_sends_it_once(
    tmp_path: Path, server: ServerProcess
) -> None:
    # A SIGKILL may lose the points of the last 100 ms, still in memory: the marks of
    # this run are written only once their points are in the journal.
    training = _start_training(tmp_path, server, "--mark-journaled")
    _wait_steps(tmp_path, 200, training)
    server.kill()
    _wait_steps(tmp_path, 800, training)
    # While the process lives, its journal is its own: sync leaves it alone.
    live = _sync(tmp_path, server)
    assert "1 journals skipped" in live.stdout, live.stdout + live.stderr
    training.send_signal(signal.SIGKILL)
    training.communicate(timeout=30)
    steps = int((tmp_path / "steps").read_text() or 0)
    run_id = (tmp_path / "run_id").read_text()
    (journal,) = _journals(tmp_path)
    with contextlib.closing(sqlite3.connect(journal)) as db:
        waiting = db.execute("SELECT count(*) FROM writes").fetchone()[0]
    assert waiting > 0
    replay = _copy_journal(journal, tmp_path / "replay")

    server.start()
    first = _sync(tmp_path, server)
    assert first.returncode == 0, first.stderr
    assert f"{waiting} writes sent from 1 journals" in first.stdout, first.stdout
    assert run_id in first.stdout  # the per-run summary
    assert _journals(tmp_path) == []
    # Points past the last mark may or may not have reached the journal: count what is
    # stored, which is at least every point up to the mark.
    client = RunlabClient(server.url)
    stored = len(client.get_metric_history(run_id, "loss"))
    assert stored >= steps
    _assert_stored_once(server, run_id, stored)

    second = _sync(tmp_path, server)
    assert second.returncode == 0
    assert "0 writes sent from 0 journals" in second.stdout
    # Replaying every write of the journal (as a sync cut off before its deletes would)
    # stores nothing twice.
    again = subprocess.run(
        runlab_command("sync", str(replay)),
        env=_env(tmp_path, server),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    assert f"{waiting} writes sent" in again.stdout
    _assert_stored_once(server, run_id, stored)
    run = client.get_run(run_id)
    assert run.info.status == RunStatus.RUNNING  # killed: it never ended
    assert [d.dataset.name for d in run.inputs.dataset_inputs] == ["digits"]


@pytest.mark.slow
def test_exit_while_server_down_says_how_to_send_the_rest(
    tmp_path: Path, server: ServerProcess
) -> None:
    training = _start_training(tmp_path, server)
    _wait_steps(tmp_path, 200, training)
    server.kill()
    _wait_steps(tmp_path, 600, training)
    began = time.monotonic()
    (tmp_path / "stop").touch()
    out, err = training.communicate(timeout=120)
    assert training.returncode == 0, err
    assert time.monotonic() - began < 10  # the retry budget, not the server, bounds exit
    steps = json.loads(out)["steps"]
    assert "are waiting in the journal" in err, err
    assert f"runlab sync {tmp_path / 'journal'}" in err

    server.start()
    sent = _sync(tmp_path, server)
    assert sent.returncode == 0, sent.stderr
    run_id = (tmp_path / "run_id").read_text()
    client = _assert_stored_once(server, run_id, steps)
    run = client.get_run(run_id)
    assert run.info.status == RunStatus.FINISHED  # the end of the run was journaled too
    assert run.data.tags["phase"] == "end"


def test_concurrent_syncs_send_each_journal_once(tmp_path: Path, server: ServerProcess) -> None:
    from runlab.store.rest.journal import Journal

    folder = tmp_path / "journal"
    run_id = RunlabClient(server.url).create_run("0").info.run_id
    for part in range(3):
        journal = Journal.create(folder, server.url)
        points = [
            {"key": "x", "value": float(s), "timestamp": 1, "step": s}
            for s in range(part * 100, part * 100 + 100)
        ]
        journal.append([(run_id, "batch", {"metrics": points}, 100)])
        journal.close()
    syncs = [
        subprocess.Popen(
            runlab_command("sync", str(folder)),
            env=_env(tmp_path, server),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [s.communicate(timeout=120) for s in syncs]
    assert all(s.returncode == 0 for s in syncs), outputs
    history = RunlabClient(server.url).get_metric_history(run_id, "x")
    assert [m.step for m in history] == list(range(300))
    assert _journals(tmp_path) == []


def _copy_journal(journal: Path, folder: Path) -> Path:
    """A copy of a journal (its WAL folded in), as another process's leftover."""
    folder.mkdir()
    copy = folder / journal.name
    with contextlib.closing(sqlite3.connect(journal)) as source:
        with contextlib.closing(sqlite3.connect(copy)) as target:
            source.backup(target)
    return folder


def test_flush_returns_while_offline_and_delivers_once_the_server_is_back(
    stub: Stub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("RUNLAB_HTTP_MAX_RETRIES", "0")
    monkeypatch.setenv("RUNLAB_JOURNAL_DIR", str(tmp_path))
    state = {"down": True}
    stored: list[int] = []

    def script(request: Recorded) -> Answer:
        if request.path.endswith("/runs/log-batch"):
            if state["down"]:
                return Answer(503)
            stored.extend(m["step"] for m in json.loads(request.body)["metrics"])
        return Answer(200, {})

    stub.script = script
    runlab.set_tracking_uri(stub.url)
    for step in range(30):
        runlab.log_metric("m", float(step), step=step, run_id="r1")
    runlab.flush()  # offline: the points wait in the journal, nothing is raised
    assert stored == []
    (journal,) = tmp_path.glob("*.journal")
    with contextlib.closing(sqlite3.connect(journal)) as db:
        assert db.execute("SELECT count(*) FROM writes").fetchone()[0] == 1
    state["down"] = False
    runlab.flush()  # tries at once, without waiting for the next probe
    assert stored == list(range(30))
