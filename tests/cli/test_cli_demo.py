"""`runlab demo`: a realistic experiment, written through the public client."""

from __future__ import annotations

import json
import math
from pathlib import Path

from tests._cli import run_cli

import runlab
from runlab.cli.demo import EXPERIMENT, STEPS
from runlab.entities import ViewType


def demo_runs(tracking: str) -> list[runlab.entities.Run]:
    client = runlab.RunlabClient(tracking)
    exp = client.get_experiment_by_name(EXPERIMENT)
    assert exp is not None
    return list(client.search_runs(exp.experiment_id, run_view_type=ViewType.ALL))


def test_demo_fills_the_store(tracking: str) -> None:
    result = run_cli(tracking, "demo", "--seed", "7")
    assert result.exit_code == 0, result.output
    runs = demo_runs(tracking)
    top = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert len(top) == 12
    assert len(children) == 5
    assert len({c.data.tags["mlflow.parentRunId"] for c in children}) == 1

    statuses = sorted(r.info.status for r in top)
    assert statuses.count("FAILED") == 1
    assert statuses.count("FINISHED") == 11
    assert {r.data.params["model_type"] for r in top} == {"gbm", "mlp"}
    assert len({r.data.params["learning_rate"] for r in top}) == 3

    client = runlab.RunlabClient(tracking)
    finished = next(r for r in top if r.info.status == "FINISHED")
    history = client.get_metric_history(finished.info.run_id, "val_loss")
    assert [m.step for m in history] == list(range(STEPS))
    assert history[-1].value < history[0].value  # the loss goes down
    assert finished.info.start_time < finished.info.end_time
    assert {a.path for a in client.list_artifacts(finished.info.run_id)} == {
        "config.json",
        "feature_importance.csv",
    }
    config = json.loads(
        Path(client.download_artifacts(finished.info.run_id, "config.json")).read_text()
    )
    assert config["model_type"] == finished.data.params["model_type"]
    assert finished.inputs.dataset_inputs[0].dataset.name == "wine-quality-red"
    assert finished.inputs.dataset_inputs[0].context == "training"

    failed = next(r for r in top if r.info.status == "FAILED")
    assert math.isnan(failed.data.metrics["train_loss"])
    assert "diverged" in failed.data.tags["error"]


def test_demo_prints_the_runs_table_and_hints(tracking: str) -> None:
    result = run_cli(tracking, "demo", "--seed", "7")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert EXPERIMENT in out
    assert "val_loss" in out
    assert "FAILED" in out
    assert "cv-fold-0" in out
    assert f"--tracking-uri {tracking} runs list --experiment {EXPERIMENT}" in out
    runs = demo_runs(tracking)
    best = min(
        (r for r in runs if "mlflow.parentRunId" not in r.data.tags),
        key=lambda r: r.data.metrics["val_loss"],
    )
    assert f"runs show {best.info.run_id[:8]}" in out
    # Best validation loss first.
    assert out.index(best.info.run_id[:8]) < out.index("FAILED")


def test_demo_twice_adds_a_batch(tracking: str) -> None:
    assert run_cli(tracking, "demo", "--runs", "2").exit_code == 0
    assert len(demo_runs(tracking)) == 2
    second = run_cli(tracking, "demo", "--runs", "3")
    assert second.exit_code == 0, second.output
    assert len(demo_runs(tracking)) == 5


def test_demo_then_list_and_diff(tracking: str) -> None:
    assert run_cli(tracking, "demo", "--seed", "1").exit_code == 0
    listed = run_cli(
        tracking, "runs", "list", "--experiment", EXPERIMENT, "-o", "metrics.val_loss ASC", "--json"
    )
    data = json.loads(listed.stdout)
    losses = [r["metrics"]["val_loss"] for r in data]
    assert losses == sorted(losses)
    diff = run_cli(tracking, "runs", "diff", data[0]["info"]["run_id"], data[-1]["info"]["run_id"])
    assert diff.exit_code == 0
    assert "≠" in diff.stdout


def test_demo_into_a_deleted_experiment_is_a_clear_error(tracking: str) -> None:
    assert run_cli(tracking, "demo", "--runs", "1").exit_code == 0
    assert run_cli(tracking, "experiments", "delete", EXPERIMENT).exit_code == 0
    result = run_cli(tracking, "demo", "--runs", "1")
    assert result.exit_code == 1
    assert f"runlab experiments restore {EXPERIMENT}" in result.stderr
    assert "Traceback" not in result.output
