"""MLflow 3's own registry client (MlflowClient and mlflow.register_model) against a live
runlab server."""

from __future__ import annotations

import uuid
from pathlib import Path

import mlflow
import pytest
from mlflow.exceptions import MlflowException


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_registered_model_lifecycle(mlflow_client) -> None:
    name = _name("model")
    created = mlflow_client.create_registered_model(name, tags={"team": "risk"}, description="d")
    assert created.name == name
    got = mlflow_client.get_registered_model(name)
    assert got.tags == {"team": "risk"}
    assert got.description == "d"
    mlflow_client.set_registered_model_tag(name, "tier", "1")
    mlflow_client.delete_registered_model_tag(name, "team")
    mlflow_client.update_registered_model(name, description="better")
    new_name = _name("renamed")
    mlflow_client.rename_registered_model(name, new_name)
    got = mlflow_client.get_registered_model(new_name)
    assert (got.description, got.tags) == ("better", {"tier": "1"})
    found = mlflow_client.search_registered_models(filter_string=f"name = '{new_name}'")
    assert [m.name for m in found] == [new_name]
    mlflow_client.delete_registered_model(new_name)
    with pytest.raises(MlflowException) as err:
        mlflow_client.get_registered_model(new_name)
    assert err.value.error_code == "RESOURCE_DOES_NOT_EXIST"


@pytest.mark.filterwarnings("ignore::FutureWarning")  # MLflow deprecates stages, still uses them
def test_versions_aliases_and_stages(mlflow_client) -> None:
    name = _name("fraud")
    mlflow_client.create_registered_model(name)
    v1 = mlflow_client.create_model_version(name, "s3://bucket/m/1", tags={"k": "v"})
    v2 = mlflow_client.create_model_version(name, "s3://bucket/m/2", description="second")
    assert (str(v1.version), str(v2.version)) == ("1", "2")
    assert v1.status == "READY"
    assert v1.tags == {"k": "v"}

    mlflow_client.set_registered_model_alias(name, "champion", v2.version)
    by_alias = mlflow_client.get_model_version_by_alias(name, "champion")
    assert str(by_alias.version) == "2"
    assert by_alias.aliases == ["champion"]
    assert mlflow_client.get_registered_model(name).aliases == {"champion": "2"}

    mlflow_client.transition_model_version_stage(name, 1, "Production")
    moved = mlflow_client.transition_model_version_stage(
        name, 2, "production", archive_existing_versions=True
    )
    latest = mlflow_client.get_latest_versions(name, stages=["Production"])
    assert moved.current_stage == "Production"
    assert mlflow_client.get_model_version(name, 1).current_stage == "Archived"
    assert [str(v.version) for v in latest] == ["2"]

    mlflow_client.set_model_version_tag(name, "1", "validated", "yes")
    assert mlflow_client.get_model_version(name, "1").tags == {"k": "v", "validated": "yes"}
    mlflow_client.delete_model_version_tag(name, "1", "validated")
    mlflow_client.update_model_version(name, "1", description="first")
    assert mlflow_client.get_model_version(name, "1").description == "first"
    assert mlflow_client.get_model_version_download_uri(name, "2") == "s3://bucket/m/2"

    found = mlflow_client.search_model_versions(f"name = '{name}'")
    assert sorted(str(v.version) for v in found) == ["1", "2"]

    mlflow_client.delete_registered_model_alias(name, "champion")
    with pytest.raises(MlflowException) as err:
        mlflow_client.get_model_version_by_alias(name, "champion")
    assert err.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(MlflowException) as err:
        mlflow_client.set_registered_model_alias(name, "latest", "1")
    assert err.value.error_code == "INVALID_PARAMETER_VALUE"

    mlflow_client.delete_model_version(name, "1")
    assert [str(v.version) for v in mlflow_client.search_model_versions(f"name = '{name}'")] == [
        "2"
    ]


def test_register_model_from_a_run(mlflow_client, tmp_path: Path) -> None:
    mlflow.set_experiment(_name("reg"))
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "MLmodel").write_text("flavors: {}\n")
    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(model_dir), "model")
    name = _name("registered")
    mv = mlflow.register_model(f"runs:/{run.info.run_id}/model", name)
    assert str(mv.version) == "1"
    assert mv.run_id == run.info.run_id
    lineage = mlflow_client.search_model_versions(f"run_id = '{run.info.run_id}'")
    assert [(v.name, str(v.version)) for v in lineage] == [(name, "1")]
    local = mlflow.artifacts.download_artifacts(f"models:/{name}/1", dst_path=str(tmp_path / "out"))
    assert (Path(local) / "MLmodel").read_text() == "flavors: {}\n"


def test_search_pages_through_mlflow_client(mlflow_client) -> None:
    prefix = _name("paged")
    for n in range(3):
        mlflow_client.create_registered_model(f"{prefix}-{n}")
    first = mlflow_client.search_registered_models(
        filter_string=f"name LIKE '{prefix}%'", max_results=2
    )
    assert [m.name for m in first] == [f"{prefix}-0", f"{prefix}-1"]
    rest = mlflow_client.search_registered_models(
        filter_string=f"name LIKE '{prefix}%'", max_results=2, page_token=first.token
    )
    assert [m.name for m in rest] == [f"{prefix}-2"]
