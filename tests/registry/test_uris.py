"""runs:/ and models:/ URIs resolve to artifact URIs; download_artifacts accepts them all."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import runlab
import runlab.artifacts
from runlab.errors import InvalidInputError, NotFoundError
from runlab.registry.uris import ModelReference, parse_model_uri, resolve_model_uri


@pytest.fixture
def model_run(client: runlab.RunlabClient, tmp_path: Path) -> str:
    """A run with model files under ``model/``, registered as fraud v1..v3."""
    exp = client.create_experiment("e")
    run_id = client.create_run(exp).info.run_id
    src = tmp_path / "src"
    src.mkdir()
    (src / "MLmodel").write_text("flavors: {}\n")
    (src / "weights.bin").write_bytes(b"\x00\x01")
    client.log_artifacts(run_id, str(src), "model")
    client.create_registered_model("fraud")
    client.create_model_version("fraud", f"runs:/{run_id}/model", run_id=run_id)  # v1
    client.create_model_version("fraud", client.get_artifact_uri(run_id, "model"))  # v2
    client.create_model_version("fraud", "models:/fraud/1")  # v3 points at v1
    client.transition_model_version_stage("fraud", 2, "Production")
    client.set_registered_model_alias("fraud", "champion", 3)
    return run_id


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("models:/fraud/3", ModelReference("fraud", version=3)),
        ("models:/fraud@champion", ModelReference("fraud", alias="champion")),
        ("models:/fraud/production", ModelReference("fraud", stage="Production")),
        ("models:/fraud/Latest", ModelReference("fraud", latest=True)),
        ("models:/my model@a-b_1", ModelReference("my model", alias="a-b_1")),
    ],
)
def test_parse_model_uri(uri: str, expected: ModelReference) -> None:
    assert parse_model_uri(uri) == expected


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("models:/fraud", "is not one of models:/<name>/<version>"),
        ("models:/fraud/1/extra", "is not one of"),
        ("models:/fraud/Prod", "'Prod' is neither a version number, 'latest' nor a stage"),
        ("models:/@champion", "must both be non-empty"),
        ("models://host/fraud/1", "a host part ('host') is not supported"),
        ("runs:/", "names no run id"),
    ],
)
def test_malformed_uris_say_what_is_wrong(
    client: runlab.RunlabClient, uri: str, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        resolve_model_uri(uri, client)


def test_resolves_every_form(client: runlab.RunlabClient, model_run: str) -> None:
    artifact = client.get_artifact_uri(model_run, "model")
    for uri in (
        f"runs:/{model_run}/model",
        "models:/fraud/1",  # source is runs:/
        "models:/fraud/2",  # source is the artifact URI
        "models:/fraud/3",  # source is models:/fraud/1, resolved in turn
        "models:/fraud@champion",
        "models:/fraud/Production",
        "models:/fraud/latest",
    ):
        assert resolve_model_uri(uri, client) == artifact, uri
    assert resolve_model_uri(f"runs:/{model_run}", client) == client.get_artifact_uri(model_run)
    assert resolve_model_uri("s3://b/k", client) == "s3://b/k"


def test_default_client_follows_the_tracking_uri(
    client: runlab.RunlabClient, model_run: str
) -> None:
    runlab.set_tracking_uri(client.tracking_uri)
    assert resolve_model_uri("models:/fraud/2") == client.get_artifact_uri(model_run, "model")


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("models:/ghost/1", "'models:/ghost/1': registered model 'ghost' not found"),
        ("models:/fraud/9", "model version 9 of registered model 'fraud' not found"),
        ("models:/fraud@nobody", "registered model 'fraud' has no alias 'nobody'"),
        ("models:/fraud/Staging", "registered model 'fraud' has no version in stage Staging"),
        ("models:/ghost/latest", "registered model 'ghost' not found"),
        ("runs:/nosuchrun/model", "'runs:/nosuchrun/model': run 'nosuchrun' not found"),
    ],
)
def test_missing_parts_are_named(
    client: runlab.RunlabClient, model_run: str, uri: str, message: str
) -> None:
    with pytest.raises(NotFoundError, match=re.escape(message)):
        resolve_model_uri(uri, client)


def test_latest_of_a_model_without_versions(client: runlab.RunlabClient) -> None:
    client.create_registered_model("empty")
    with pytest.raises(NotFoundError, match="'empty' has no versions"):
        resolve_model_uri("models:/empty/latest", client)


def test_a_loop_of_sources_is_an_error(client: runlab.RunlabClient) -> None:
    client.create_registered_model("loop")
    client.create_model_version("loop", "models:/loop/1")
    with pytest.raises(InvalidInputError, match="a loop"):
        resolve_model_uri("models:/loop/1", client)


# ----------------------------------------------------------------------------- downloads


def _files(path: str) -> dict[str, bytes]:
    root = Path(path)
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


EXPECTED_FILES = {"MLmodel": b"flavors: {}\n", "weights.bin": b"\x00\x01"}


@pytest.mark.parametrize(
    "uri_of",
    [
        lambda run_id: f"runs:/{run_id}/model",
        lambda run_id: "models:/fraud/1",
        lambda run_id: "models:/fraud@champion",
        lambda run_id: "models:/fraud/production",
    ],
)
def test_download_artifacts_by_uri(
    client: runlab.RunlabClient, model_run: str, tmp_path: Path, uri_of: object
) -> None:
    runlab.set_tracking_uri(client.tracking_uri)
    dst = tmp_path / "out"
    local = runlab.artifacts.download_artifacts(uri_of(model_run), dst_path=str(dst))  # type: ignore[operator]
    assert Path(local) == dst / "model"
    assert _files(local) == EXPECTED_FILES


def test_download_artifacts_by_run_and_by_plain_uri(
    client: runlab.RunlabClient, model_run: str, tmp_path: Path
) -> None:
    local = runlab.artifacts.download_artifacts(
        run_id=model_run,
        artifact_path="model/MLmodel",
        dst_path=str(tmp_path / "a"),
        tracking_uri=client.tracking_uri,
    )
    assert Path(local).read_bytes() == b"flavors: {}\n"
    plain = client.get_artifact_uri(model_run, "model")
    local = runlab.artifacts.download_artifacts(plain, dst_path=str(tmp_path / "b"))
    assert _files(local) == EXPECTED_FILES
    # a temporary directory when dst_path is not given
    assert _files(runlab.artifacts.download_artifacts(plain)) == EXPECTED_FILES


def test_download_artifacts_argument_errors(client: runlab.RunlabClient, model_run: str) -> None:
    with pytest.raises(InvalidInputError, match="artifact_uri alone"):
        runlab.artifacts.download_artifacts("runs:/x/y", run_id="x")
    with pytest.raises(InvalidInputError, match="pass artifact_uri or run_id"):
        runlab.artifacts.download_artifacts()
    with pytest.raises(NotFoundError):
        runlab.artifacts.download_artifacts(client.get_artifact_uri(model_run, "nothing-here"))


def test_artifacts_module_loads_on_first_use() -> None:
    import subprocess
    import sys

    code = (
        "import sys, runlab; assert 'runlab.artifacts._download' not in sys.modules; "
        "print(runlab.artifacts.download_artifacts.__module__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "runlab.artifacts._download"
