"""``runlab sync --from PATH --to URI``: runs logged on a machine without a network,
uploaded whole to a server later, ids, times, histories, artifacts and parents kept."""

from __future__ import annotations

from pathlib import Path

from tests._cli import run_cli
from tests._servers import start_runlab_server

from runlab.client import RunlabClient

START = 1_700_000_000_000


def _log_offline(folder: Path, source: Path) -> dict[str, str]:
    """A parent run and a nested child, logged into a plain folder store."""
    client = RunlabClient(str(folder))
    eid = client.create_experiment("offline")
    parent = client.create_run(eid, start_time=START, run_name="parent")
    child = client.create_run(
        eid, start_time=START + 5, run_name="child",
        tags={"mlflow.parentRunId": parent.info.run_id},
    )  # fmt: skip
    pid, cid = parent.info.run_id, child.info.run_id
    for step in range(300):
        client.log_metric(cid, "loss", 1 / (step + 1), timestamp=START + 10 * step, step=step)
    client.log_param(cid, "lr", "0.01")
    client.log_artifact(cid, str(source), "model")
    client.set_terminated(cid, "FINISHED", end_time=START + 5000)
    client.set_terminated(pid, "FAILED", end_time=START + 6000)
    return {"parent": pid, "child": cid}


def test_offline_runs_go_up_whole_and_a_second_sync_adds_nothing(tmp_path: Path) -> None:
    source = tmp_path / "weights.bin"
    source.write_bytes(bytes(range(256)) * 40)
    offline = tmp_path / "offline-store"
    ids = _log_offline(offline, source)
    (tmp_path / "server").mkdir()
    with start_runlab_server(tmp_path / "server") as (url, _process):
        done = run_cli(str(offline), "sync", "--from", str(offline), "--to", url, "-q")
        assert done.exit_code == 0, done.output
        assert "2 runs (0 already there), 300 metric points, 1 artifact files" in done.output

        server = RunlabClient(url)
        child = server.get_run(ids["child"])  # the same id on the server
        assert child.info.run_name == "child"
        assert (child.info.start_time, child.info.end_time) == (START + 5, START + 5000)
        assert child.info.status == "FINISHED"
        assert child.data.tags["mlflow.parentRunId"] == ids["parent"]
        assert child.data.params == {"lr": "0.01"}
        history = server.get_metric_history(ids["child"], "loss")
        assert [(m.step, m.timestamp) for m in history] == [(s, START + 10 * s) for s in range(300)]
        parent = server.get_run(ids["parent"])
        assert (parent.info.status, parent.info.end_time) == ("FAILED", START + 6000)
        got = Path(server.download_artifacts(ids["child"], "model/weights.bin", str(tmp_path)))
        assert got.read_bytes() == source.read_bytes()

        again = run_cli(str(offline), "sync", "--from", str(offline), "--to", url, "-q")
        assert again.exit_code == 0, again.output
        assert "0 runs (2 already there), 0 metric points, 0 artifact files" in again.output
        assert len(server.get_metric_history(ids["child"], "loss")) == 300


def test_from_with_a_journal_folder_is_refused(tmp_path: Path) -> None:
    result = run_cli(str(tmp_path), "sync", str(tmp_path), "--from", str(tmp_path))
    assert result.exit_code == 2
    assert "either JOURNAL_DIR or --from" in result.output
    lone = run_cli(str(tmp_path), "sync", "--to", "http://127.0.0.1:9")
    assert lone.exit_code == 2
    assert "--to and --experiments go with --from" in lone.output
