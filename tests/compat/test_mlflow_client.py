"""MLflow 3's own client (fluent API and MlflowClient) against a live runlab server."""

from __future__ import annotations

import math
import uuid
from pathlib import Path

import mlflow
import pytest
from mlflow.exceptions import MlflowException


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_set_experiment_creates_then_reuses(mlflow_client) -> None:
    name = _name("exp")
    first = mlflow.set_experiment(name)
    second = mlflow.set_experiment(name)
    assert first.experiment_id == second.experiment_id
    assert mlflow_client.get_experiment_by_name(name).experiment_id == first.experiment_id
    assert first.artifact_location == f"mlflow-artifacts:/{first.experiment_id}"


def test_experiment_lifecycle_and_tags(mlflow_client) -> None:
    eid = mlflow_client.create_experiment(_name("life"), tags={"team": "ml"})
    mlflow_client.set_experiment_tag(eid, "stage", "dev")
    exp = mlflow_client.get_experiment(eid)
    assert exp.tags == {"team": "ml", "stage": "dev"}
    mlflow_client.delete_experiment_tag(eid, "stage")
    new_name = _name("renamed")
    mlflow_client.rename_experiment(eid, new_name)
    assert mlflow_client.get_experiment(eid).name == new_name
    mlflow_client.delete_experiment(eid)
    assert mlflow_client.get_experiment(eid).lifecycle_stage == "deleted"
    mlflow_client.restore_experiment(eid)
    assert mlflow_client.get_experiment(eid).lifecycle_stage == "active"
    found = mlflow_client.search_experiments(filter_string=f"name = '{new_name}'")
    assert [e.experiment_id for e in found] == [eid]


def test_fluent_run_logs_everything(mlflow_client) -> None:
    mlflow.set_experiment(_name("fluent"))
    with mlflow.start_run(run_name="parent") as parent:
        mlflow.log_param("lr", 0.1)
        mlflow.log_params({"depth": 3, "loss_fn": "mse"})
        for step in range(5):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        mlflow.log_metric("loss", float("nan"), step=5)
        mlflow.log_metrics({"acc": 0.9, "inf": float("inf")})
        mlflow.set_tag("note", "hello")
        mlflow.set_tags({"a": "1", "b": "2"})
        with mlflow.start_run(run_name="child", nested=True) as child:
            mlflow.log_param("x", 1)
    run = mlflow_client.get_run(parent.info.run_id)
    assert run.info.status == "FINISHED"
    assert run.info.run_name == "parent"
    assert run.data.params == {"lr": "0.1", "depth": "3", "loss_fn": "mse"}
    assert math.isnan(run.data.metrics["loss"])
    assert run.data.metrics["inf"] == math.inf
    assert run.data.metrics["acc"] == 0.9
    assert {"note": "hello", "a": "1", "b": "2"}.items() <= run.data.tags.items()
    history = mlflow_client.get_metric_history(parent.info.run_id, "loss")
    assert [m.step for m in history] == [0, 1, 2, 3, 4, 5]
    assert [m.value for m in history[:5]] == [1.0, 0.5, 1 / 3, 0.25, 0.2]
    child_run = mlflow_client.get_run(child.info.run_id)
    assert child_run.data.tags["mlflow.parentRunId"] == parent.info.run_id


def test_client_log_batch_and_delete_tag(mlflow_client) -> None:
    from mlflow.entities import Metric, Param, RunTag

    eid = mlflow_client.create_experiment(_name("batch"))
    run = mlflow_client.create_run(eid, run_name="batch")
    run_id = run.info.run_id
    mlflow_client.log_batch(
        run_id,
        metrics=[Metric("m", float(i), 1000 + i, i) for i in range(100)],
        params=[Param("p", "v")],
        tags=[RunTag("t", "x")],
    )
    mlflow_client.delete_tag(run_id, "t")
    mlflow_client.set_terminated(run_id, "KILLED")
    got = mlflow_client.get_run(run_id)
    assert got.info.status == "KILLED"
    assert "t" not in got.data.tags
    assert len(mlflow_client.get_metric_history(run_id, "m")) == 100
    mlflow_client.delete_run(run_id)
    assert mlflow_client.get_run(run_id).info.lifecycle_stage == "deleted"
    mlflow_client.restore_run(run_id)
    assert mlflow_client.get_run(run_id).info.lifecycle_stage == "active"


def test_search_runs_filters_order_and_pages(mlflow_client) -> None:
    eid = mlflow_client.create_experiment(_name("search"))
    ids = []
    for i in range(7):
        run = mlflow_client.create_run(eid, start_time=1_000 + i)
        mlflow_client.log_metric(run.info.run_id, "acc", i / 10)
        mlflow_client.log_param(run.info.run_id, "parity", "even" if i % 2 == 0 else "odd")
        ids.append(run.info.run_id)
    found = mlflow_client.search_runs(
        [eid], "params.parity = 'even' and metrics.acc > 0.1", order_by=["metrics.acc DESC"]
    )
    assert [r.info.run_id for r in found] == [ids[6], ids[4], ids[2]]
    page = mlflow_client.search_runs([eid], max_results=3, order_by=["attributes.start_time ASC"])
    seen = [r.info.run_id for r in page]
    while page.token:
        page = mlflow_client.search_runs(
            [eid], max_results=3, order_by=["attributes.start_time ASC"], page_token=page.token
        )
        seen += [r.info.run_id for r in page]
    assert seen == ids
    frame = mlflow.search_runs([eid], filter_string="metrics.acc >= 0.5")
    assert sorted(frame["run_id"]) == sorted(ids[5:])


# mlflow's digest code calls a pandas API that pandas 3 deprecates; not ours to fix.
@pytest.mark.filterwarnings("ignore:Starting with pandas version 4.0")
def test_log_input_dataset(mlflow_client) -> None:
    import pandas as pd

    mlflow.set_experiment(_name("data"))
    dataset = mlflow.data.from_pandas(pd.DataFrame({"a": [1, 2, 3]}), name="numbers")
    with mlflow.start_run() as run:
        mlflow.log_input(dataset, context="training")
    inputs = mlflow_client.get_run(run.info.run_id).inputs.dataset_inputs
    assert [(i.dataset.name, i.dataset.digest) for i in inputs] == [("numbers", dataset.digest)]
    assert [(t.key, t.value) for t in inputs[0].tags] == [("mlflow.data.context", "training")]
    found = mlflow_client.search_runs(
        [run.info.experiment_id], "dataset.name = 'numbers' and dataset.context = 'training'"
    )
    assert [r.info.run_id for r in found] == [run.info.run_id]


def test_artifacts_up_and_down_through_the_proxy(
    mlflow_client, tmp_path: Path, server_dir: Path
) -> None:
    mlflow.set_experiment(_name("files"))
    (tmp_path / "model.txt").write_text("weights")
    tree = tmp_path / "tree"
    (tree / "deep").mkdir(parents=True)
    (tree / "a.json").write_text("{}")
    (tree / "deep" / "b.bin").write_bytes(bytes(range(256)) * 1000)
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(tmp_path / "model.txt"))
        mlflow.log_artifacts(str(tree), artifact_path="tree")
        mlflow.log_text("hello", "notes/hello.txt")
        mlflow.log_dict({"k": 1}, "config.json")
    run_id = run.info.run_id
    assert run.info.artifact_uri.startswith("mlflow-artifacts:/")
    top = {f.path: f.is_dir for f in mlflow_client.list_artifacts(run_id)}
    assert top == {"model.txt": False, "tree": True, "notes": True, "config.json": False}
    deep = mlflow_client.list_artifacts(run_id, "tree/deep")
    assert [(f.path, f.file_size) for f in deep] == [("tree/deep/b.bin", 256_000)]
    local = mlflow.artifacts.download_artifacts(run_id=run_id, dst_path=str(tmp_path / "dl"))
    assert (Path(local) / "model.txt").read_text() == "weights"
    assert (Path(local) / "tree" / "deep" / "b.bin").read_bytes() == bytes(range(256)) * 1000
    text = mlflow.artifacts.load_text(f"runs:/{run_id}/notes/hello.txt")
    assert text == "hello"
    # The files are in the server's artifacts destination, beside its database.
    stored = server_dir / "server-store" / "artifacts" / run.info.experiment_id / run_id
    assert (stored / "artifacts" / "model.txt").read_text() == "weights"


def test_errors_mlflow_clients_rely_on(mlflow_client) -> None:
    name = _name("dup")
    mlflow_client.create_experiment(name)
    with pytest.raises(MlflowException) as dup:
        mlflow_client.create_experiment(name)
    assert dup.value.error_code == "RESOURCE_ALREADY_EXISTS"
    with pytest.raises(MlflowException) as missing:
        mlflow_client.get_run("0123456789abcdef0123456789abcdef")
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(MlflowException) as bad_filter:
        mlflow_client.search_runs(["0"], "metrics.acc >")
    assert bad_filter.value.error_code == "INVALID_PARAMETER_VALUE"
    run = mlflow_client.create_run("0")
    mlflow_client.log_param(run.info.run_id, "lr", "0.1")
    with pytest.raises(MlflowException) as changed:
        mlflow_client.log_param(run.info.run_id, "lr", "0.2")
    assert changed.value.error_code == "INVALID_PARAMETER_VALUE"
    assert mlflow_client.get_experiment_by_name(_name("absent")) is None


def test_multipart_upload_through_the_proxy(
    mlflow_client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server_dir: Path
) -> None:
    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", "1000")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", "4096")
    payload = bytes(range(256)) * 70  # 17,920 bytes: five parts
    (tmp_path / "big.bin").write_bytes(payload)
    mlflow.set_experiment(_name("multipart"))
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(tmp_path / "big.bin"), artifact_path="blobs")
    stored = (
        (server_dir / "server-store" / "artifacts" / run.info.experiment_id / run.info.run_id)
        / "artifacts"
        / "blobs"
        / "big.bin"
    )
    assert stored.read_bytes() == payload
    access_log = "".join(p.read_text() for p in server_dir.glob("runlab-server-*.log"))
    assert access_log.count("/mlflow-artifacts/mpu/upload/") >= 5  # the parts took that path
    assert "/mlflow-artifacts/mpu/complete/" in access_log
    local = mlflow.artifacts.download_artifacts(
        run_id=run.info.run_id, artifact_path="blobs/big.bin", dst_path=str(tmp_path / "dl")
    )
    assert Path(local).read_bytes() == payload
