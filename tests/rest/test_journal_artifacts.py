"""Artifact uploads through the client journal, against a real ``runlab server`` (its
artifact proxy) that goes away and comes back, or never comes back before the training
process dies."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from rest_support import SRC, ServerProcess
from tests._servers import runlab_command

from runlab.entities import RunStatus
from runlab.tracking.client import RunlabClient

# Logs a file while the server is up, then (once the test has stopped the server) a
# text, a dict, a directory and metrics in between, timing each call; ends when told.
TRAINING = textwrap.dedent(
    """
    import json, pathlib, sys, time
    import runlab

    here = pathlib.Path(sys.argv[1])

    def wait_for(name):
        while not (here / name).exists():
            time.sleep(0.01)

    runlab.set_experiment("journal-artifacts")
    run = runlab.start_run()
    (here / "run_id").write_text(run.info.run_id)
    model = here / "model.bin"
    model.write_bytes(b"weights-1 " * 10_000)
    runlab.log_artifact(str(model), "checkpoints")
    runlab.flush()
    (here / "phase").write_text("online")
    wait_for("down")
    slowest = 0.0
    data = here / "data"
    (data / "sub").mkdir(parents=True)
    (data / "a.txt").write_text("alpha")
    (data / "sub" / "b.txt").write_text("beta")
    calls = [
        lambda: runlab.log_text("written offline", "notes/offline.txt"),
        lambda: runlab.log_dict({"lr": 0.1, "layers": [64, 32]}, "config.json"),
        lambda: runlab.log_artifacts(str(data), "data"),
        lambda: runlab.log_artifact(str(model), "checkpoints/again"),
    ]
    for step, call in enumerate(calls):
        runlab.log_metric("loss", 1.0 / (step + 1), step=step)
        t = time.perf_counter()
        call()
        slowest = max(slowest, time.perf_counter() - t)
    runlab.flush()  # offline: returns at once, everything waiting in the journal
    (here / "phase").write_text("offline")
    wait_for("stop")
    runlab.end_run()
    print(json.dumps({"slowest_ms": slowest * 1000}))
    """
)

EXPECTED = {
    "checkpoints/model.bin": b"weights-1 " * 10_000,
    "notes/offline.txt": b"written offline",
    "data/a.txt": b"alpha",
    "data/sub/b.txt": b"beta",
    "checkpoints/again/model.bin": b"weights-1 " * 10_000,
}


def _env(tmp_path: Path, server: ServerProcess) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUNLAB_", "MLFLOW_"))}
    env.update(
        COLUMNS="200",  # the sync's table whole
        PYTHONPATH=os.pathsep.join(p for p in (SRC, env.get("PYTHONPATH", "")) if p),
        RUNLAB_TRACKING_URI=server.url,
        RUNLAB_JOURNAL_DIR=str(tmp_path / "journal"),
        RUNLAB_CAPTURE_CONTEXT="false",
        RUNLAB_PRINT_RUN_URL="false",
        RUNLAB_HTTP_MAX_RETRIES="3",  # a retry budget of about a second
        RUNLAB_HTTP_BACKOFF_FACTOR="0.1",
        RUNLAB_HTTP_BACKOFF_MAX="0.5",
    )
    return env


def _start(tmp_path: Path, server: ServerProcess) -> subprocess.Popen[str]:
    script = tmp_path / "train.py"
    script.write_text(TRAINING)
    return subprocess.Popen(
        [sys.executable, str(script), str(tmp_path)],
        env=_env(tmp_path, server),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_phase(tmp_path: Path, phase: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    marker = tmp_path / "phase"
    while time.monotonic() < deadline and process.poll() is None:
        if marker.exists() and marker.read_text() == phase:
            return
        time.sleep(0.02)
    raise AssertionError(f"training did not reach {phase!r}: {process.communicate()}")


def _go_offline(tmp_path: Path, server: ServerProcess, training: subprocess.Popen[str]) -> None:
    _wait_phase(tmp_path, "online", training)
    server.kill()
    (tmp_path / "down").touch()
    _wait_phase(tmp_path, "offline", training)


def _stored(client: RunlabClient, run_id: str, dst: Path) -> dict[str, bytes]:
    root = Path(client.download_artifacts(run_id, "", str(dst)))
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _assert_delivered(server: ServerProcess, run_id: str, dst: Path) -> RunlabClient:
    client = RunlabClient(server.url)
    stored = _stored(client, run_id, dst)
    config = json.loads(stored.pop("config.json"))
    assert config == {"lr": 0.1, "layers": [64, 32]}
    assert stored == EXPECTED
    return client


def _stash(tmp_path: Path) -> list[Path]:
    return [p for p in (tmp_path / "journal").glob("*.files") if p.is_dir()]


@pytest.mark.slow
def test_artifacts_logged_while_the_server_is_down_arrive_once_it_is_back(
    tmp_path: Path, server: ServerProcess
) -> None:
    training = _start(tmp_path, server)
    _go_offline(tmp_path, server, training)
    (files,) = _stash(tmp_path)
    # Set aside by hard link where the file system allows (here it does: one tmp folder).
    (linked,) = files.rglob("a.txt")
    assert linked.stat().st_ino == (tmp_path / "data" / "a.txt").stat().st_ino
    assert len(list(files.rglob("model.bin"))) == 1  # the first upload was sent and dropped
    time.sleep(2)  # past the retry budget: the sender is offline
    server.start()
    (tmp_path / "stop").touch()
    out, err = training.communicate(timeout=120)
    assert training.returncode == 0, err
    assert json.loads(out)["slowest_ms"] < 100

    run_id = (tmp_path / "run_id").read_text()
    client = _assert_delivered(server, run_id, tmp_path / "download")
    assert client.get_run(run_id).info.status == RunStatus.FINISHED
    assert [m.step for m in client.get_metric_history(run_id, "loss")] == [0, 1, 2, 3]
    warnings = [line for line in err.splitlines() if line.startswith("runlab:")]
    assert len(warnings) == 1, err
    assert "did not answer" in warnings[0]
    assert list((tmp_path / "journal").iterdir()) == []  # journal and set-aside files gone


@pytest.mark.slow
def test_sync_uploads_the_artifacts_of_a_killed_process_once(
    tmp_path: Path, server: ServerProcess
) -> None:
    training = _start(tmp_path, server)
    _go_offline(tmp_path, server, training)
    training.send_signal(signal.SIGKILL)
    training.communicate(timeout=30)
    (journal,) = (tmp_path / "journal").glob("*.journal")
    replay = tmp_path / "replay"
    replay.mkdir()
    with contextlib.closing(sqlite3.connect(journal)) as source:
        with contextlib.closing(sqlite3.connect(replay / journal.name)) as target:
            source.backup(target)
    (files,) = _stash(tmp_path)
    shutil.copytree(files, replay / files.name)

    server.start()
    sync = subprocess.run(
        runlab_command("sync", str(tmp_path / "journal")),
        env=_env(tmp_path, server),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert sync.returncode == 0, sync.stderr
    run_id = (tmp_path / "run_id").read_text()
    (row,) = [line for line in sync.stdout.splitlines() if run_id in line]
    # The run's row: 4 points, 0 params, 0 tags, 0 inputs, 5 artifact files, not ended.
    assert [cell.strip() for cell in row.split("│")[3:9]] == ["4", "0", "0", "0", "5", "—"]
    client = _assert_delivered(server, run_id, tmp_path / "first")
    assert list((tmp_path / "journal").iterdir()) == []

    # Every upload again (a sync cut off before its deletes): the same files, once each.
    again = subprocess.run(
        runlab_command("sync", str(replay)),
        env=_env(tmp_path, server),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    _assert_delivered(server, run_id, tmp_path / "second")
    listing = [f.path for f in client.list_artifacts(run_id, "data")]
    assert listing == ["data/a.txt", "data/sub"]
    assert list(replay.iterdir()) == []


def test_reads_by_uri_and_log_model_see_journaled_uploads_at_once(
    tmp_path: Path, runlab_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import runlab
    from runlab.store.artifacts import get_artifact_repository

    monkeypatch.setenv("RUNLAB_JOURNAL_DIR", str(tmp_path / "journal"))
    monkeypatch.setenv("RUNLAB_CAPTURE_CONTEXT", "false")
    runlab.set_tracking_uri(runlab_server)
    runlab.set_experiment("journal-artifact-reads")
    with runlab.start_run() as run:
        runlab.log_text("fresh", "notes/fresh.txt")
        runlab.log_dict({"a": 1}, "conf/c.json")
        # A runs:/ URI read right after the (journaled) log sees the file.
        assert runlab.artifacts.load_text(f"runs:/{run.info.run_id}/notes/fresh.txt") == "fresh"
        assert runlab.artifacts.load_dict(f"runs:/{run.info.run_id}/conf/c.json") == {"a": 1}
        import numpy as np
        from matplotlib.figure import Figure

        pixels = np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3)
        runlab.log_image(pixels, key="sample", step=3)
        figure = Figure()
        figure.add_subplot().plot([0, 1], [1, 0])
        runlab.log_figure(figure, "plots/line.png")
        image = runlab.artifacts.load_image(
            f"runs:/{run.info.run_id}/images/sample/step_000003.png"
        )
        assert np.array_equal(np.asarray(image.convert("RGB")), pixels)
        listed = runlab.artifacts.list_artifacts(f"runs:/{run.info.run_id}/plots")
        assert [f.path for f in listed] == ["line.png"]
        assert listed[0].file_size
        info = runlab.pyfunc.log_model(name="model", python_model=lambda df: df)
        # The model's files are on the server when log_model returns, before any flush.
        repo = get_artifact_repository(run.info.artifact_uri, tracking_uri=runlab_server)
        assert "model/MLmodel" in [f.path for f in repo.list_artifacts("model")]
        assert info.model_uri == f"models:/{info.model_id}"
