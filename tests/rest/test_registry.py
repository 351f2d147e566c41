"""The model registry through an http:// tracking URI, against runlab's server and
MLflow's: RunlabClient's registry methods, register_model, model URIs, the CLI."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from rest_support import Remote

import runlab
import runlab.artifacts
from runlab.cli import cli
from runlab.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from runlab.registry.uris import resolve_model_uri
from runlab.store.rest.registry import RestRegistryStore


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_http_uris_get_the_rest_registry(remote: Remote) -> None:
    assert isinstance(remote.client.registry_store, RestRegistryStore)


def test_models_versions_tags_and_rename(remote: Remote) -> None:
    client = remote.client
    name = _name("model")
    created = client.create_registered_model(name, tags={"team": "risk"}, description="d")
    assert (created.name, created.tags, created.description) == (name, {"team": "risk"}, "d")
    with pytest.raises(AlreadyExistsError):
        client.create_registered_model(name)
    v1 = client.create_model_version(name, "s3://bucket/m/1", run_id=None, tags={"k": "v"})
    v2 = client.create_model_version(name, "s3://bucket/m/2", description="second")
    assert (v1.version, v2.version) == (1, 2)
    assert v1.tags == {"k": "v"}
    assert v2.description == "second"

    client.set_registered_model_tag(name, "tier", "1")
    client.delete_registered_model_tag(name, "team")
    client.set_model_version_tag(name, 1, "validated", "yes")
    client.delete_model_version_tag(name, 1, "k")
    assert client.get_model_version(name, 1).tags == {"validated": "yes"}
    assert client.update_model_version(name, 1, "first").description == "first"
    assert client.update_registered_model(name, "better").description == "better"

    new_name = _name("renamed")
    client.rename_registered_model(name, new_name)
    model = client.get_registered_model(new_name)
    assert model.tags == {"tier": "1"}
    assert sorted(v.version for v in model.latest_versions) == [2]
    found = client.search_model_versions(f"name = '{new_name}'", order_by=["version_number ASC"])
    assert [v.version for v in found] == [1, 2]
    assert client.get_model_version_download_uri(new_name, 2) == "s3://bucket/m/2"

    client.delete_model_version(new_name, 1)
    with pytest.raises(NotFoundError):
        client.get_model_version(new_name, 1)
    client.delete_registered_model(new_name)
    with pytest.raises(NotFoundError):
        client.get_registered_model(new_name)


def test_stages_and_aliases(remote: Remote, request: pytest.FixtureRequest) -> None:
    client = remote.client
    name = _name("fraud")
    client.create_registered_model(name)
    for n in range(3):
        client.create_model_version(name, f"s3://bucket/{name}/{n + 1}")
    client.transition_model_version_stage(name, 1, "production")
    moved = client.transition_model_version_stage(
        name, 2, "Production", archive_existing_versions=True
    )
    assert moved.current_stage == "Production"
    assert client.get_model_version(name, 1).current_stage == "Archived"
    latest = client.get_latest_versions(name, ["Production", "None"])
    assert sorted((v.current_stage, v.version) for v in latest) == [("None", 3), ("Production", 2)]

    client.set_registered_model_alias(name, "champion", 2)
    client.set_registered_model_alias(name, "champion", 3)  # moves
    assert client.get_model_version_by_alias(name, "champion").version == 3
    assert client.get_registered_model(name).aliases == {"champion": 3}
    with pytest.raises(InvalidInputError, match="reserved"):
        client.set_registered_model_alias(name, "latest", 1)
    client.delete_registered_model_alias(name, "champion")
    with pytest.raises(NotFoundError):
        client.get_model_version_by_alias(name, "champion")

    if "runlab" in request.node.callspec.id:  # MLflow's server keeps no stage history
        history = client.get_model_version_stage_history(name, 1)
        assert [(h.from_stage, h.to_stage) for h in history] == [
            ("None", "Production"),
            ("Production", "Archived"),
        ]


def test_search_registered_models_pages(remote: Remote) -> None:
    prefix = _name("paged")
    for n in range(3):
        remote.client.create_registered_model(f"{prefix}-{n}")
    first = remote.client.search_registered_models(f"name LIKE '{prefix}%'", max_results=2)
    assert [m.name for m in first] == [f"{prefix}-0", f"{prefix}-1"]
    rest = remote.client.search_registered_models(
        f"name LIKE '{prefix}%'", max_results=2, page_token=first.token
    )
    assert [m.name for m in rest] == [f"{prefix}-2"]
    assert rest.token is None


def test_register_model_resolve_and_download(remote: Remote, tmp_path: Path) -> None:
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "MLmodel").write_text("flavors: {}\n")
    with runlab.start_run() as run:
        runlab.log_artifacts(str(model_dir), "model")
    run_id = run.info.run_id
    name = _name("registered")
    mv = runlab.register_model(f"runs:/{run_id}/model", name)
    assert (mv.version, mv.run_id) == (1, run_id)
    assert [v.version for v in remote.client.get_run_model_versions(run_id)] == [1]
    remote.client.set_registered_model_alias(name, "champion", 1)
    assert resolve_model_uri(f"models:/{name}@champion") == mv.source
    local = runlab.artifacts.download_artifacts(
        f"models:/{name}@champion", dst_path=str(tmp_path / "out")
    )
    assert (Path(local) / "MLmodel").read_text() == "flavors: {}\n"


def test_cli_lists_the_server_models(remote: Remote) -> None:
    name = _name("cli")
    remote.client.create_registered_model(name)
    remote.client.create_model_version(name, "s3://bucket/cli")
    result = CliRunner(env={"COLUMNS": "200"}).invoke(
        cli, ["--tracking-uri", remote.url, "models", "versions", name, "--json"]
    )
    assert result.exit_code == 0, result.output
    assert '"source": "s3://bucket/cli"' in result.stdout
