"""``runlab import-mlflow`` from MLflow data kept away from the machine: a tracking server
behind basic auth (``mlflow server --app-name basic-auth``), and runs whose artifacts are
in S3 (moto's server); compared field by field with what MlflowClient reads back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests._cli import assert_one_line_error, run_cli
from tests.migrate._helpers import assert_same, made_by_mlflow
from tests.migrate._mlflow_data import runlab_dump
from tests.migrate.conftest import AUTH_PASSWORD, AUTH_USER, MlflowSource

import _s3
from runlab.migrate import Target
from runlab.migrate._artifacts import list_files


def test_import_from_an_mlflow_server_behind_basic_auth(
    tmp_path: Path, mlflow_auth_server: MlflowSource
) -> None:
    server = mlflow_auth_server
    target = f"sqlite:///{tmp_path / 'runlab.db'}"
    # MLflow's variables, as MlflowClient takes them; artifacts come through the proxy.
    result = run_cli(target, "import-mlflow", server.uri, "-q", env=server.env)
    assert result.exit_code == 0, result.output
    assert "5 runs (0 already there)" in result.output
    assert_same(server.data, runlab_dump(target))

    # runlab's own variables, and the command's options, reach the same server.
    ours = {"RUNLAB_TRACKING_USERNAME": AUTH_USER, "RUNLAB_TRACKING_PASSWORD": AUTH_PASSWORD}
    again = run_cli(target, "import-mlflow", server.uri, "-q", env=ours)
    assert again.exit_code == 0, again.output
    assert "0 runs (5 already there)" in again.output
    options = ("--username", AUTH_USER, "--password", AUTH_PASSWORD)
    check = run_cli(target, "import-mlflow", server.uri, "--verify-only", *options)
    assert check.exit_code == 0, check.output
    assert "wine " in check.output


@pytest.mark.parametrize(
    ("env", "args", "problem"),
    [
        pytest.param(
            {"MLFLOW_TRACKING_USERNAME": AUTH_USER, "MLFLOW_TRACKING_PASSWORD": "wrong"},
            (),
            "refused the credentials given",
            id="wrong-password-in-env",
        ),
        pytest.param(
            {},
            ("--username", AUTH_USER, "--password", "wrong"),
            "refused the credentials given",
            id="wrong-password-option",
        ),
        pytest.param({}, (), "asks for credentials and none were given", id="none"),
    ],
)
def test_refused_credentials_are_one_clear_line(
    tmp_path: Path,
    mlflow_auth_server: MlflowSource,
    env: dict[str, str],
    args: tuple[str, ...],
    problem: str,
) -> None:
    target = f"sqlite:///{tmp_path / 'runlab.db'}"
    result = run_cli(target, "import-mlflow", mlflow_auth_server.uri, *args, env=env)
    assert_one_line_error(result, mlflow_auth_server.uri, "HTTP 401", problem, "--username")


def test_artifacts_in_s3_are_imported_byte_for_byte(
    tmp_path: Path, s3_bucket: str, s3_endpoint: str, s3_admin: Any
) -> None:
    # mlflow writes to the bucket through its own setting; runlab reads it through
    # RUNLAB_S3_ENDPOINT_URL, which the s3_bucket fixture sets.
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    root = f"s3://{s3_bucket}/mlflow"
    source = made_by_mlflow(tmp_path, uri, root, env={"MLFLOW_S3_ENDPOINT_URL": s3_endpoint})
    stored = _s3.all_objects(s3_admin, s3_bucket)
    assert not list(tmp_path.rglob("curve.png"))  # the files are in the bucket only
    assert any(key.endswith("/artifacts/plots/curve.png") for key in stored)

    target = f"sqlite:///{tmp_path / 'runlab.db'}"
    result = run_cli(target, "import-mlflow", uri, "-q")
    assert result.exit_code == 0, result.output
    assert "8 artifact files" in result.output
    assert_same(source, runlab_dump(target))

    # Each imported file has the bytes of its object in the bucket.
    opened = Target.open(target)
    compared = 0
    try:
        for run_id, run in source["runs"].items():
            if run["lifecycle_stage"] != "active":
                continue
            info = opened.tracking.get_run(run_id).info
            assert not info.artifact_uri.startswith("s3://")  # copied into runlab's store
            repo = opened.artifacts(info.artifact_uri)
            files = list_files(repo)
            assert sorted(files) == sorted(run["artifacts"])
            for path in files:
                with repo.open_artifact(path) as f:
                    key = f"mlflow/{run['experiment']}/{run_id}/artifacts/{path}"
                    assert f.read() == stored[key], key
                compared += 1
    finally:
        opened.close()
    assert compared == 3  # the parent run's three files (the other five are its model's)
