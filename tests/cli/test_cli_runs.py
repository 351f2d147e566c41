"""`runlab runs ...` against a real store, plus one run of the installed console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests._cli import run_cli

import runlab
import runlab.data
from runlab.entities import DatasetInput, InputTag, Metric, Param, RunTag
from runlab.store import uri as store_uri


def make_run(
    client: runlab.RunlabClient,
    experiment_id: str,
    name: str,
    params: dict[str, str],
    metrics: dict[str, float],
    tags: dict[str, str] | None = None,
    status: str = "FINISHED",
) -> str:
    run = client.create_run(experiment_id, run_name=name, tags=tags or {})
    run_id = run.info.run_id
    client.log_batch(
        run_id,
        metrics=[Metric(k, v, 1_700_000_000_000, 3) for k, v in metrics.items()],
        params=[Param(k, v) for k, v in params.items()],
    )
    client.set_terminated(run_id, status)
    return run_id


@pytest.fixture
def runs(tracking: str) -> dict[str, str]:
    """Three runs in experiment "wine" and one in "other"; name → run id."""
    client = runlab.RunlabClient(tracking)
    wine = client.create_experiment("wine")
    other = client.create_experiment("other")
    return {
        "alpha": make_run(
            client,
            wine,
            "alpha",
            {"lr": "0.1", "depth": "3"},
            {"val_loss": 0.5, "acc": 0.8},
            tags={"team": "a", "mlflow.source.git.commit": "aaaa111"},
        ),
        "beta": make_run(
            client,
            wine,
            "beta",
            {"lr": "0.01", "depth": "3"},
            {"val_loss": 0.25, "acc": 0.9},
            tags={"team": "a", "mlflow.source.git.commit": "bbbb222"},
        ),
        "gamma": make_run(
            client, wine, "gamma", {"lr": "0.3"}, {"val_loss": 0.75}, status="FAILED"
        ),
        "delta": make_run(client, other, "delta", {"lr": "1"}, {"val_loss": 2.0}),
    }


# ---------------------------------------------------------------------------------- list
def test_list_shows_every_active_experiment_by_default(tracking: str, runs: dict[str, str]) -> None:
    result = run_cli(tracking, "runs", "list")
    assert result.exit_code == 0, result.output
    for name, run_id in runs.items():
        assert name in result.stdout
        assert run_id[:8] in result.stdout
        assert run_id not in result.stdout  # the table shows short ids
    assert "FAILED" in result.stdout
    # Chosen param and metric columns, with their latest values.
    for text in ("val_loss", "lr", "0.25", "0.01"):
        assert text in result.stdout


def test_list_one_experiment_by_name(tracking: str, runs: dict[str, str]) -> None:
    result = run_cli(tracking, "runs", "list", "--experiment", "other")
    assert result.exit_code == 0, result.output
    assert "delta" in result.stdout
    assert "alpha" not in result.stdout


def test_list_json_has_full_runs(tracking: str, runs: dict[str, str]) -> None:
    result = run_cli(tracking, "runs", "list", "-e", "wine", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    by_name = {r["info"]["run_name"]: r for r in data}
    assert set(by_name) == {"alpha", "beta", "gamma"}
    beta = by_name["beta"]
    assert beta["info"]["run_id"] == runs["beta"]
    assert beta["params"] == {"lr": "0.01", "depth": "3"}
    assert beta["metrics"] == {"val_loss": 0.25, "acc": 0.9}
    assert beta["tags"]["team"] == "a"


def test_list_filter_and_order(tracking: str, runs: dict[str, str]) -> None:
    result = run_cli(
        tracking,
        "runs",
        "list",
        "-e",
        "wine",
        "--filter",
        "metrics.val_loss < 0.6",
        "--order-by",
        "metrics.val_loss ASC",
        "--json",
    )
    assert result.exit_code == 0, result.output
    assert [r["info"]["run_name"] for r in json.loads(result.stdout)] == ["beta", "alpha"]

    table = run_cli(tracking, "runs", "list", "-o", "metrics.val_loss DESC")
    assert table.exit_code == 0
    order = [table.stdout.index(name) for name in ("delta", "gamma", "alpha", "beta")]
    assert order == sorted(order)


def test_list_max_results_says_more_match(tracking: str, runs: dict[str, str]) -> None:
    result = run_cli(tracking, "runs", "list", "--max-results", "2")
    assert result.exit_code == 0, result.output
    assert "More runs match" in result.stdout
    data = json.loads(run_cli(tracking, "runs", "list", "-n", "2", "--json").stdout)
    assert len(data) == 2


def test_list_chosen_columns(tracking: str, runs: dict[str, str]) -> None:
    result = run_cli(tracking, "runs", "list", "-e", "wine", "--columns", "params.depth,tags.team")
    assert result.exit_code == 0, result.output
    assert "depth" in result.stdout
    assert "team" in result.stdout
    assert "val_loss" not in result.stdout


def test_list_fits_a_narrow_terminal(tracking: str, runs: dict[str, str]) -> None:
    result = run_cli(tracking, "runs", "list", columns=80)
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    assert runs["beta"][:8] in result.stdout


def test_list_deleted_view(tracking: str, runs: dict[str, str]) -> None:
    runlab.RunlabClient(tracking).delete_run(runs["alpha"])
    active = run_cli(tracking, "runs", "list")
    assert "alpha" not in active.stdout
    deleted = run_cli(tracking, "runs", "list", "--view", "deleted", "--json")
    assert [r["info"]["run_name"] for r in json.loads(deleted.stdout)] == ["alpha"]


def test_list_empty(tracking: str) -> None:
    result = run_cli(tracking, "runs", "list")
    assert result.exit_code == 0
    assert "No runs found" in result.stdout


def test_bad_filter_is_one_line_error(tracking: str, runs: dict[str, str]) -> None:
    result = run_cli(tracking, "runs", "list", "--filter", "metrics.val_loss <<< 1")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.startswith("Error: ")


def test_bad_columns_is_usage_error(tracking: str, runs: dict[str, str]) -> None:
    result = run_cli(tracking, "runs", "list", "--columns", "val_loss")
    assert result.exit_code == 2
    assert "params.KEY" in result.stderr


def test_unknown_experiment(tracking: str) -> None:
    result = run_cli(tracking, "runs", "list", "-e", "missing")
    assert result.exit_code == 1
    assert "Error: experiment 'missing' not found" in result.stderr


# ---------------------------------------------------------------------------------- show
@pytest.fixture
def detailed_run(tracking: str, tmp_path: Path) -> tuple[str, str]:
    """A parent run with a child that has everything `runs show` displays."""
    client = runlab.RunlabClient(tracking)
    exp = client.create_experiment("wine")
    parent = make_run(client, exp, "parent", {}, {})
    child = client.create_run(
        exp,
        run_name="child-run",
        tags={
            "mlflow.parentRunId": parent,
            "mlflow.source.name": "train.py",
            "mlflow.source.git.commit": "0123456789abcdef",
            "runlab.host": "box-7",
            "owner": "ana",
        },
    ).info.run_id
    client.log_batch(
        child,
        metrics=[
            Metric("loss", 1.0, 1_700_000_000_000, 0),
            Metric("loss", 0.125, 1_700_000_000_500, 7),
        ],
        params=[Param("optimizer", "adam")],
        tags=[RunTag("stage", "dev")],
    )
    ds = runlab.data.dataset("wine-red", source="s3://bucket/wine.csv")
    client.log_inputs(child, [DatasetInput(ds, (InputTag("mlflow.data.context", "training"),))])
    client.log_dict(child, {"a": 1}, "config.json")
    client.log_text(child, "x", "plots/curve.txt")
    client.set_terminated(child, "FINISHED")
    return parent, child


def test_show(tracking: str, detailed_run: tuple[str, str]) -> None:
    parent, child = detailed_run
    result = run_cli(tracking, "runs", "show", child)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for text in (
        "child-run",
        child,
        "wine",
        "FINISHED",
        "train.py",
        "0123456789abcdef",
        parent,  # parent run
        "optimizer",
        "adam",
        "0.125",  # latest metric value, at step 7
        "owner",
        "ana",
        "System tags",
        "runlab.host",
        "wine-red",
        "training",
        "config.json",
        "plots/",
    ):
        assert text in out, text
    # user tags come before the system tags section
    assert out.index("owner") < out.index("System tags") < out.index("runlab.host")


def test_show_by_short_id_and_json(tracking: str, detailed_run: tuple[str, str]) -> None:
    _, child = detailed_run
    result = run_cli(tracking, "runs", "show", child[:8], "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["info"]["run_id"] == child
    assert data["metrics"] == {"loss": 0.125}
    assert data["params"] == {"optimizer": "adam"}
    assert data["inputs"][0]["dataset"]["name"] == "wine-red"
    assert {a["path"] for a in data["artifacts"]} == {"config.json", "plots"}


def test_show_unknown_run(tracking: str, runs: dict[str, str]) -> None:
    result = run_cli(tracking, "runs", "show", "0123456789abcdef0123456789abcdef")
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: run '0123456789abcdef0123456789abcdef' not found"


def test_ambiguous_prefix(tracking: str) -> None:
    client = runlab.RunlabClient(tracking)
    for run_id in ("abcd" + "1" * 28, "abcd" + "2" * 28):
        client.store.create_run("0", "me", 0, {}, "r", run_id=run_id)
    result = run_cli(tracking, "runs", "show", "abcd")
    assert result.exit_code == 1
    assert "ambiguous" in result.stderr
    assert run_cli(tracking, "runs", "show", "abcd1").exit_code == 0


# ---------------------------------------------------------------------------------- diff
def test_diff_marks_differences_and_hides_equal_rows(tracking: str, runs: dict[str, str]) -> None:
    result = run_cli(tracking, "runs", "diff", runs["alpha"], runs["beta"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    lines = {line.split("│")[2].strip(): line for line in out.splitlines() if line.count("│") > 3}
    assert "≠" in lines["params.lr"]
    assert "0.1" in lines["params.lr"]
    assert "0.01" in lines["params.lr"]
    assert "≠" in lines["metrics.val_loss"]
    assert "-0.25" in lines["metrics.val_loss"]  # delta B - A
    assert "-50.0%" in lines["metrics.val_loss"]
    assert "≠" in lines["git commit"]
    assert "params.depth" not in lines  # equal: hidden
    assert "tags.team" not in lines
    assert "rows differ" in out


def test_diff_all_shows_equal_rows(tracking: str, runs: dict[str, str]) -> None:
    result = run_cli(tracking, "runs", "diff", runs["alpha"][:8], runs["beta"][:8], "--all")
    assert result.exit_code == 0, result.output
    lines = {
        line.split("│")[2].strip(): line
        for line in result.stdout.splitlines()
        if line.count("│") > 3
    }
    assert "≠" not in lines["params.depth"]
    assert "≠" not in lines["tags.team"]
    assert "≠" in lines["params.lr"]


def test_diff_identical_runs(tracking: str, runs: dict[str, str]) -> None:
    result = run_cli(tracking, "runs", "diff", runs["alpha"], runs["alpha"])
    assert result.exit_code == 0
    assert "same" in result.stdout


# ---------------------------------------------------------------------------------- delete
def test_delete_and_restore(tracking: str, runs: dict[str, str]) -> None:
    client = runlab.RunlabClient(tracking)
    result = run_cli(tracking, "runs", "delete", runs["alpha"], runs["beta"][:8])
    assert result.exit_code == 0, result.output
    assert client.get_run(runs["alpha"]).info.lifecycle_stage == "deleted"
    assert client.get_run(runs["beta"]).info.lifecycle_stage == "deleted"
    assert runs["alpha"] in result.stdout

    result = run_cli(tracking, "runs", "restore", runs["alpha"])
    assert result.exit_code == 0, result.output
    assert client.get_run(runs["alpha"]).info.lifecycle_stage == "active"


def test_delete_checks_every_id_first(tracking: str, runs: dict[str, str]) -> None:
    result = run_cli(tracking, "runs", "delete", runs["alpha"], "f" * 32)
    assert result.exit_code == 1
    client = runlab.RunlabClient(tracking)
    assert client.get_run(runs["alpha"]).info.lifecycle_stage == "active"


def test_delete_needs_an_id(tracking: str) -> None:
    assert run_cli(tracking, "runs", "delete").exit_code == 2


# ---------------------------------------------------------------------------------- console script
def test_installed_console_script_lists_runs(tracking: str, runs: dict[str, str]) -> None:
    script = Path(sys.executable).with_name("runlab")
    assert script.exists(), f"the runlab console script is not installed next to {sys.executable}"
    store_uri.close_all()  # nothing of this process holds the database open
    env = {**os.environ, "COLUMNS": "160", "RUNLAB_TRACKING_URI": tracking}
    done = subprocess.run(
        [str(script), "runs", "list", "--experiment", "wine", "--order-by", "metrics.val_loss"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    out = done.stdout
    assert out.index("beta") < out.index("alpha") < out.index("gamma")
    assert runs["beta"][:8] in out

    failed = subprocess.run(
        [str(script), "runs", "show", "nope-nope"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert failed.returncode == 1
    assert failed.stderr.strip() == "Error: run 'nope-nope' not found"
