"""Runs keeping their artifacts in Azure Blob Storage (the Azurite emulator over HTTP):
logged straight from a client on SQLite and PostgreSQL stores, and through a live
``runlab server`` that proxies them, driven by MLflow's own client."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from tests import _azurite
from tests.artifacts._cases import mlflow_logs_through_proxy

import runlab
from runlab.store.artifacts.azure import MB

pytestmark = pytest.mark.azure


def committed_blocks(azure_admin: Any, container: str, name: str) -> int:
    committed, _ = azure_admin.get_blob_client(container, name).get_block_list("committed")
    return len(committed)


def test_a_run_logs_to_an_azure_artifact_root(
    fresh_fluent_state: None,
    store_uri: str,
    azure_container: str,
    azure_admin: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = _azurite.uri(azure_container, "runlab/team-a")
    monkeypatch.setenv("RUNLAB_AZURE_BLOCK_SIZE", "1MB")
    runlab.set_tracking_uri(store_uri)
    experiment_id = runlab.create_experiment("azure-artifacts", artifact_location=root)
    weights = os.urandom(3 * MB)
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "weights.bin").write_bytes(weights)
    (tmp_path / "report.txt").write_text("good")
    with runlab.start_run(experiment_id=experiment_id) as run:
        runlab.log_artifact(tmp_path / "report.txt")
        runlab.log_artifacts(tmp_path / "model", "model")
        runlab.log_dict({"lr": 0.1}, "config/params.json")
        artifact_uri = runlab.get_artifact_uri()
    run_id = run.info.run_id
    assert artifact_uri == f"{root}/{run_id}/artifacts"
    stored = _azurite.all_blobs(azure_admin, azure_container)
    prefix = f"runlab/team-a/{run_id}/artifacts"
    assert sorted(stored) == [
        f"{prefix}/config/params.json",
        f"{prefix}/model/weights.bin",
        f"{prefix}/report.txt",
    ]
    assert committed_blocks(azure_admin, azure_container, f"{prefix}/model/weights.bin") == 3

    local = Path(runlab.download_artifacts("", run_id=run_id, dst_path=str(tmp_path / "dst")))
    assert (local / "report.txt").read_text() == "good"
    assert (local / "model" / "weights.bin").read_bytes() == weights
    assert json.loads((local / "config" / "params.json").read_text()) == {"lr": 0.1}
    assert [info.path for info in runlab.RunlabClient().list_artifacts(run_id)] == [
        "config",
        "model",
        "report.txt",
    ]


@pytest.mark.slow
def test_a_server_keeps_proxied_artifacts_in_azure(
    azurite: Any,
    azure_container: str,
    azure_admin: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``runlab server --artifacts-destination wasbs://…`` driven by MLflow's own client,
    which needs no Azure credentials: the server alone holds them."""
    from tests._servers import start_runlab_server

    monkeypatch.setenv("RUNLAB_AZURE_BLOCK_SIZE", "1MB")  # the server inherits it
    big = os.urandom(3 * MB + 7)
    with start_runlab_server(
        tmp_path, *("--artifacts-destination", _azurite.uri(azure_container, "proxied"))
    ) as (base_url, _process):
        # The client sees only the server: no Azure endpoint or credentials on its side.
        monkeypatch.delenv("AZURE_STORAGE_CONNECTION_STRING")
        run_id = mlflow_logs_through_proxy(base_url, tmp_path, big)
    stored = _azurite.all_blobs(azure_admin, azure_container)
    key = f"proxied/0/{run_id}/artifacts/model/model.bin"
    assert set(stored) == {key, f"proxied/0/{run_id}/artifacts/notes.txt"}
    assert stored[key] == big
    assert committed_blocks(azure_admin, azure_container, key) == 4  # streamed in blocks
