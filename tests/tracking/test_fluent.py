"""The fluent API end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

import runlab
from runlab.entities import RunStatus
from runlab.errors import ConflictError, InvalidInputError, NotFoundError


def test_issue_example(tracking: str, tmp_path: Path) -> None:
    (tmp_path / "feature_sample.csv").write_text("a,b\n1,2\n")
    runlab.set_experiment("wine")
    with runlab.start_run(run_name="logreg_baseline", tags={"owner": "ml-team"}) as run:
        runlab.log_params({"C": 1.0, "max_iter": 500})
        for epoch in range(10):
            runlab.log_metrics(
                {"train_loss": 0.9 / (epoch + 1), "val_loss": 1.0 / (epoch + 1)}, step=epoch
            )
        runlab.log_dict({"accuracy": 0.97}, "metrics_summary.json")
        runlab.log_artifact(str(tmp_path / "feature_sample.csv"))

    best = runlab.search_runs(
        experiment_names=["wine"],
        filter_string="metrics.val_loss < 0.5 AND params.C = '1.0'",
        order_by=["metrics.val_loss ASC"],
    )
    assert list(best["run_id"]) == [run.info.run_id]
    row = best.iloc[0]
    assert row["params.C"] == "1.0"
    assert row["params.max_iter"] == "500"
    assert row["metrics.val_loss"] == pytest.approx(0.1)
    assert row["tags.owner"] == "ml-team"
    assert row["tags.mlflow.runName"] == "logreg_baseline"
    assert row["status"] == "FINISHED"
    assert str(best["start_time"].dtype).startswith("datetime64")

    stored = runlab.get_run(run.info.run_id)
    assert stored.info.status == RunStatus.FINISHED
    assert stored.info.end_time >= stored.info.start_time
    names = {f.path for f in runlab.RunlabClient().list_artifacts(run.info.run_id)}
    assert names == {"metrics_summary.json", "feature_sample.csv"}
    history = runlab.RunlabClient().get_metric_history(run.info.run_id, "val_loss")
    assert [m.step for m in history] == list(range(10))


def test_search_runs_list_format_and_all_experiments(tracking: str) -> None:
    runlab.set_experiment("a")
    with runlab.start_run():
        runlab.log_metric("m", 1.0)
    runlab.set_experiment("b")
    with runlab.start_run():
        runlab.log_metric("m", 2.0)
    runs = runlab.search_runs(output_format="list")
    assert [r.data.metrics["m"] for r in runs] == [2.0]
    everything = runlab.search_runs(search_all_experiments=True, output_format="list")
    assert sorted(r.data.metrics["m"] for r in everything) == [1.0, 2.0]
    with pytest.raises(InvalidInputError, match="output_format"):
        runlab.search_runs(output_format="csv")


def test_generated_run_name_and_context_tags(tracking: str) -> None:
    with runlab.start_run() as run:
        pass
    stored = runlab.get_run(run.info.run_id)
    assert stored.info.run_name
    tags = stored.data.tags
    assert tags["mlflow.runName"] == stored.info.run_name
    for key in (
        "mlflow.user",
        "mlflow.source.name",
        "mlflow.source.type",
        "runlab.host",
        "runlab.python_version",
        "runlab.version",
    ):
        assert tags.get(key), key
    assert stored.info.user_id == tags["mlflow.user"]
    with runlab.start_run(capture_context=False) as bare:
        pass
    assert "runlab.host" not in runlab.get_run(bare.info.run_id).data.tags


def test_nested_runs_and_errors_for_second_active(tracking: str) -> None:
    with runlab.start_run(run_name="parent") as parent:
        with pytest.raises(ConflictError, match="already active"):
            runlab.start_run()
        with runlab.start_run(nested=True, run_name="child") as child:
            assert runlab.active_run().info.run_id == child.info.run_id
        assert runlab.active_run().info.run_id == parent.info.run_id
    assert runlab.active_run() is None
    child_run = runlab.get_run(child.info.run_id)
    assert child_run.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert runlab.last_active_run().info.run_id == parent.info.run_id


def test_exception_fails_run_and_keyboard_interrupt_kills_it(tracking: str) -> None:
    def fail() -> str:
        with runlab.start_run() as run:
            runlab.log_metric("m", 1.0)
            raise ValueError(run.info.run_id)

    def interrupt() -> None:
        with runlab.start_run() as run:
            raise KeyboardInterrupt(run.info.run_id)

    with pytest.raises(ValueError, match="[0-9a-f]{32}") as failed_err:
        fail()
    with pytest.raises(KeyboardInterrupt) as killed_err:
        interrupt()
    failed_id, killed_id = str(failed_err.value), str(killed_err.value.args[0])
    assert runlab.get_run(failed_id).info.status == RunStatus.FAILED
    assert runlab.get_run(failed_id).data.metrics == {"m": 1.0}
    assert runlab.get_run(killed_id).info.status == RunStatus.KILLED


def test_resume_run_and_param_immutability_at_the_call(tracking: str) -> None:
    with runlab.start_run() as run:
        runlab.log_param("lr", 0.01)
        runlab.log_param("lr", 0.01)
        with pytest.raises(ConflictError, match="'0.01'.*'0.02'"):
            runlab.log_param("lr", 0.02)
    with runlab.start_run(run_id=run.info.run_id):
        assert runlab.get_run(run.info.run_id).info.status == RunStatus.RUNNING
        with pytest.raises(ConflictError, match="immutable"):
            runlab.log_param("lr", 0.5)
        runlab.log_metric("after_resume", 3.0)
    resumed = runlab.get_run(run.info.run_id)
    assert resumed.info.status == RunStatus.FINISHED
    assert resumed.data.metrics["after_resume"] == 3.0
    assert resumed.data.params == {"lr": "0.01"}


def test_validation_errors_raise_at_the_call(tracking: str) -> None:
    with runlab.start_run() as run:
        with pytest.raises(InvalidInputError, match="metric 'x': value must be a number"):
            runlab.log_metric("x", "abc")
        with pytest.raises(InvalidInputError, match=r"characters outside"):
            runlab.log_metric("bad key!", 1.0)
        with pytest.raises(InvalidInputError, match="'..'"):
            runlab.log_metric("a/../b", 1.0)
        with pytest.raises(InvalidInputError, match="6000"):
            runlab.log_param("long", "x" * 6001)
        with pytest.raises(InvalidInputError, match="step"):
            runlab.log_metric("m", 1.0, step=2**64)
        runlab.log_metric("fine", 1.0)
    assert runlab.get_run(run.info.run_id).data.metrics == {"fine": 1.0}


def test_special_metric_values_and_numpy(tracking: str) -> None:
    import numpy as np

    with runlab.start_run() as run:
        runlab.log_metric("nan", float("nan"))
        runlab.log_metric("inf", float("inf"))
        runlab.log_metric("np", np.float32(0.5), step=np.int64(3))
    metrics = runlab.get_run(run.info.run_id).data.metrics
    assert math.isnan(metrics["nan"])
    assert metrics["inf"] == math.inf
    assert metrics["np"] == 0.5


def test_tags_set_and_delete(tracking: str) -> None:
    with runlab.start_run() as run:
        runlab.set_tags({"a": 1, "b": "two"})
        runlab.set_tag("a", "changed")
        runlab.delete_tag("b")
    tags = runlab.get_run(run.info.run_id).data.tags
    assert tags["a"] == "changed"
    assert "b" not in tags


def test_log_text_dict_yaml(tracking: str, tmp_path: Path) -> None:
    with runlab.start_run() as run:
        runlab.log_text("hello", "notes/readme.txt")
        runlab.log_dict({"a": [1, 2]}, "conf.yaml")
        runlab.log_dict({"a": [1, 2]}, "conf.json")
    out = Path(runlab.download_artifacts(run_id=run.info.run_id, dst_path=str(tmp_path / "dl")))
    assert (out / "notes" / "readme.txt").read_text() == "hello"
    assert yaml.safe_load((out / "conf.yaml").read_text()) == {"a": [1, 2]}
    assert json.loads((out / "conf.json").read_text()) == {"a": [1, 2]}


def test_log_figure_and_image(tracking: str, tmp_path: Path) -> None:
    import matplotlib
    import numpy as np

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    with runlab.start_run() as run:
        runlab.log_figure(fig, "plots/curve.png")
        runlab.log_image(np.zeros((4, 5, 3), dtype=np.uint8), "images/black.png")
        runlab.log_image(np.ones((2, 2)), key="mask", step=7)
    plt.close(fig)
    out = Path(runlab.download_artifacts(run_id=run.info.run_id, dst_path=str(tmp_path / "d")))
    with Image.open(out / "plots" / "curve.png") as curve:
        assert curve.format == "PNG"
    with Image.open(out / "images" / "black.png") as black:
        assert black.size == (5, 4)
    assert (out / "images" / "mask" / "step_000007.png").exists()


def test_log_input_dataset(tracking: str) -> None:
    from runlab.data import dataset

    ds = dataset("train", source="/data/train.csv")
    with runlab.start_run() as run:
        runlab.log_input(ds, context="training", tags={"split": "train"})
    inputs = runlab.get_run(run.info.run_id).inputs.dataset_inputs
    assert [(i.dataset.name, i.dataset.digest, i.context) for i in inputs] == [
        ("train", ds.digest, "training")
    ]
    found = runlab.search_runs(filter_string="datasets.context = 'training'", output_format="list")
    assert [r.info.run_id for r in found] == [run.info.run_id]


def test_logging_without_a_run_starts_one(tracking: str) -> None:
    runlab.log_metric("m", 1.0)
    run = runlab.active_run()
    assert run is not None
    runlab.end_run()
    assert runlab.get_run(run.info.run_id).data.metrics == {"m": 1.0}


def test_threads_log_concurrently(tracking: str) -> None:
    with runlab.start_run() as run:
        rid = run.info.run_id

        def work(n: int) -> None:
            for i in range(500):
                runlab.log_metric(f"t{n}", float(i), step=i, run_id=rid)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    client = runlab.RunlabClient()
    for n in range(4):
        assert len(client.get_metric_history(rid, f"t{n}")) == 500


def test_background_failure_is_raised_at_flush(tracking: str) -> None:
    client = runlab.RunlabClient()
    with runlab.start_run() as run:
        rid = run.info.run_id
        client.delete_run(rid)  # writes to a deleted run are refused by the store
        runlab.log_metric("lost", 1.0)
        with pytest.raises(runlab.errors.RunlabError, match="1 metric points.*deleted"):
            runlab.flush()
        client.restore_run(rid)


def test_set_experiment_deleted_and_missing(tracking: str) -> None:
    exp = runlab.set_experiment("gone")
    runlab.delete_experiment(exp.experiment_id)
    with pytest.raises(ConflictError, match="restore"):
        runlab.set_experiment("gone")
    with pytest.raises(NotFoundError):
        runlab.set_experiment(experiment_id="12345")


def test_open_run_is_ended_at_interpreter_exit(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(
        "import runlab, sys\n"
        f"runlab.set_tracking_uri({str(tmp_path / 'store')!r})\n"
        "run = runlab.start_run()\n"
        "for i in range(1000):\n"
        "    runlab.log_metric('loss', 1.0 / (i + 1), step=i)\n"
        "print(run.info.run_id)\n"
        "if sys.argv[1] == 'crash':\n"
        "    raise RuntimeError('crash')\n"
    )
    ok = subprocess.run([sys.executable, str(script), "ok"], capture_output=True, text=True)
    crash = subprocess.run([sys.executable, str(script), "crash"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert crash.returncode == 1
    client = runlab.RunlabClient(str(tmp_path / "store"))
    for proc, status in ((ok, RunStatus.FINISHED), (crash, RunStatus.FAILED)):
        run_id = proc.stdout.strip()
        assert client.get_run(run_id).info.status == status
        assert len(client.get_metric_history(run_id, "loss")) == 1000
