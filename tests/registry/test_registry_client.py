"""RunlabClient's registry methods (MlflowClient's names), register_model and lineage."""

from __future__ import annotations

import inspect
from pathlib import Path

import mlflow
import pytest

import runlab
from runlab.entities import ModelVersionStage
from runlab.errors import InvalidInputError, NotFoundError
from runlab.store.registry_base import RegistryStore
from runlab.tracking._context import current_user

REGISTRY_METHODS = [
    "create_registered_model",
    "get_registered_model",
    "rename_registered_model",
    "update_registered_model",
    "delete_registered_model",
    "search_registered_models",
    "set_registered_model_tag",
    "delete_registered_model_tag",
    "create_model_version",
    "get_model_version",
    "update_model_version",
    "delete_model_version",
    "search_model_versions",
    "set_model_version_tag",
    "delete_model_version_tag",
    "transition_model_version_stage",
    "get_latest_versions",
    "set_registered_model_alias",
    "delete_registered_model_alias",
    "get_model_version_by_alias",
    "get_model_version_download_uri",
    "copy_model_version",
]


@pytest.mark.parametrize("method", REGISTRY_METHODS)
def test_signatures_follow_mlflow_client(method: str) -> None:
    """Every parameter MlflowClient's method takes positionally is ours too, in order."""
    ours = list(inspect.signature(getattr(runlab.RunlabClient, method)).parameters)
    theirs = list(inspect.signature(getattr(mlflow.MlflowClient, method)).parameters)
    shared = [p for p in theirs if p in ours]
    assert ours[: len(shared)] == shared
    # MLflow-only parameters are optional extras (deployment jobs, prompts, logged models)
    assert set(theirs) - set(ours) <= {"deployment_job_id", "model_id", "local_model_path"}


def test_registry_store_shares_the_tracking_database(client: runlab.RunlabClient) -> None:
    assert isinstance(client.registry_store, RegistryStore)
    assert client.registry_store.db is client.store.db  # type: ignore[attr-defined]


def test_client_round_trip(client: runlab.RunlabClient) -> None:
    client.create_registered_model("fraud", tags={"team": "risk", "tier": 1}, description="d")
    mv = client.create_model_version("fraud", "file:///m/1", tags={"k": 2})
    assert mv.user_id == current_user()
    assert mv.tags == {"k": "2"}
    assert client.get_registered_model("fraud").tags == {"team": "risk", "tier": "1"}

    client.transition_model_version_stage("fraud", mv.version, "production")
    history = client.get_model_version_stage_history("fraud", 1)
    assert [(h.to_stage, h.user_id) for h in history] == [("Production", current_user())]
    assert client.get_latest_versions("fraud", stages=["Production"])[0].version == 1
    assert client.get_model_version_stages("fraud", 1) == list(ModelVersionStage.ALL)

    client.set_registered_model_alias("fraud", "champion", "1")
    assert client.get_model_version_by_alias("fraud", "champion").version == 1

    client.set_model_version_tag("fraud", stage="Production", key="checked", value=True)
    assert client.get_model_version("fraud", 1).tags == {"k": "2", "checked": "True"}
    client.delete_model_version_tag("fraud", "1", "checked")
    with pytest.raises(InvalidInputError, match="not both"):
        client.set_model_version_tag("fraud", 1, "k", "v", stage="Production")
    with pytest.raises(NotFoundError, match="no version in stage Staging"):
        client.set_model_version_tag("fraud", key="k", value="v", stage="staging")

    client.rename_registered_model("fraud", "fraud-v2")
    assert client.update_model_version("fraud-v2", 1, "desc").description == "desc"
    assert [m.name for m in client.search_registered_models("name LIKE 'fraud%'")] == ["fraud-v2"]
    client.delete_model_version("fraud-v2", 1)
    client.delete_registered_model("fraud-v2")
    assert list(client.search_registered_models()) == []


def test_register_model_from_a_run_records_lineage(
    client: runlab.RunlabClient, tmp_path: Path
) -> None:
    runlab.set_tracking_uri(client.tracking_uri)
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "weights.txt").write_text("42")
    with runlab.start_run() as run:
        runlab.log_artifacts(str(tmp_path / "model"), "model")
    run_id = run.info.run_id

    v1 = runlab.register_model(f"runs:/{run_id}/model", "fraud", tags={"source": "ci"})
    v2 = runlab.register_model(f"runs:/{run_id}/model", "fraud")  # model exists: next version

    assert (v1.version, v2.version) == (1, 2)
    assert v1.run_id == run_id
    assert v1.tags == {"source": "ci"}
    assert v1.source == client.get_artifact_uri(run_id, "model")
    lineage = client.get_run_model_versions(run_id)
    assert [(v.name, v.version) for v in lineage] == [("fraud", 1), ("fraud", 2)]
    assert client.get_run_model_versions("someotherrun") == []
    # the same answer through search
    found = client.search_model_versions(f"run_id = '{run_id}'")
    assert sorted(v.version for v in found) == [1, 2]


def test_register_model_from_a_plain_uri_and_a_models_uri(client: runlab.RunlabClient) -> None:
    runlab.set_tracking_uri(client.tracking_uri)
    plain = runlab.register_model("s3://bucket/models/fraud", "fraud")
    assert (plain.source, plain.run_id) == ("s3://bucket/models/fraud", None)
    copied = runlab.register_model("models:/fraud/1", "fraud-copy")
    assert copied.source == "s3://bucket/models/fraud"


def test_register_model_with_an_unknown_run_names_it(client: runlab.RunlabClient) -> None:
    runlab.set_tracking_uri(client.tracking_uri)
    with pytest.raises(NotFoundError, match="run 'nosuchrun' not found"):
        runlab.register_model("runs:/nosuchrun/model", "fraud")


def test_register_model_needs_the_files_in_the_run(
    client: runlab.RunlabClient, tmp_path: Path
) -> None:
    runlab.set_tracking_uri(client.tracking_uri)
    with runlab.start_run() as run:
        runlab.log_text("w", "model/weights.txt")
    run_id = run.info.run_id
    with pytest.raises(NotFoundError, match="has no artifacts at 'nothing'"):
        runlab.register_model(f"runs:/{run_id}/nothing", "fraud")
    assert client.search_registered_models() == []  # nothing created on failure
    single_file = runlab.register_model(f"runs:/{run_id}/model/weights.txt", "fraud")
    assert single_file.source.endswith("/model/weights.txt")


def test_download_uri_resolves_runs_sources(client: runlab.RunlabClient) -> None:
    exp = client.create_experiment("e")
    run = client.create_run(exp)
    client.create_registered_model("fraud")
    client.create_model_version("fraud", f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    assert client.get_model_version("fraud", 1).source == f"runs:/{run.info.run_id}/model"
    expected = f"{run.info.artifact_uri}/model"
    assert client.get_model_version_download_uri("fraud", 1) == expected


def test_registry_uri_defaults_to_the_tracking_uri(tmp_path: Path) -> None:
    tracking = str(tmp_path / "a")
    registry = str(tmp_path / "b")
    split = runlab.RunlabClient(tracking, registry_uri=registry)
    split.create_registered_model("only-in-b")
    assert runlab.RunlabClient(registry).get_registered_model("only-in-b").name == "only-in-b"
    with pytest.raises(NotFoundError):
        runlab.RunlabClient(tracking).get_registered_model("only-in-b")


def test_copy_model_version(client: runlab.RunlabClient) -> None:
    client.create_registered_model("staging-model")
    client.create_model_version(
        "staging-model", "s3://b/m", run_id="abc", tags={"k": "v"}, description="d"
    )
    client.set_registered_model_alias("staging-model", "candidate", 1)
    copied = client.copy_model_version("models:/staging-model@candidate", "prod-model")
    again = client.copy_model_version("models:/staging-model/1", "prod-model")
    assert (copied.name, copied.version, again.version) == ("prod-model", 1, 2)
    assert (copied.source, copied.run_id, copied.tags) == ("s3://b/m", "abc", {"k": "v"})
    assert copied.description == "d"
    client.delete_registered_model("staging-model")
    assert client.get_model_version_download_uri("prod-model", 1) == "s3://b/m"
    with pytest.raises(InvalidInputError, match="takes a models:/ URI"):
        client.copy_model_version("s3://b/m", "x")
