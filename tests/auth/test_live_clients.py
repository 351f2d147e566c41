"""``runlab server --auth`` as a process, used by runlab's and MLflow's own clients.

Each client runs in a child process with only the environment a user would set.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests._servers import start_runlab_server

ADMIN = ("root", "root-password")
RUNLAB_SCRIPT = """
from runlab.tracking.client import RunlabClient
c = RunlabClient()
eid = c.create_experiment("from-runlab")
run = c.create_run(eid)
c.log_param(run.info.run_id, "lr", "0.1")
print(c.get_run(run.info.run_id).data.params["lr"])
"""
MLFLOW_SCRIPT = """
import mlflow
mlflow.set_experiment("from-mlflow-" + __import__("os").environ["WHO"])
with mlflow.start_run():
    mlflow.log_param("lr", "0.1")
    mlflow.log_metric("loss", 0.5)
    mlflow.log_text("hello", "notes.txt")
print("done")
"""


def _run(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("RUNLAB_", "MLFLOW_"))}
    src = str(Path(__file__).resolve().parents[2] / "src")
    clean["PYTHONPATH"] = os.pathsep.join(p for p in (src, clean.get("PYTHONPATH")) if p)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def server(
    sqlite_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, str]]:
    monkeypatch.setenv("RUNLAB_AUTH_ADMIN_USERNAME", ADMIN[0])
    monkeypatch.setenv("RUNLAB_AUTH_ADMIN_PASSWORD", ADMIN[1])
    with start_runlab_server(tmp_path, "--auth", "--backend-store-uri", sqlite_uri) as (url, _p):
        user = {"username": "ann", "password": "ann-password"}
        created = httpx.post(f"{url}/api/2.0/mlflow/users/create", json=user, auth=ADMIN)
        assert created.status_code == 200, created.text
        token = httpx.post(
            f"{url}/api/2.0/runlab/users/ann/tokens", json={"name": "ci"}, auth=ADMIN
        ).json()["token"]["token"]
        yield url, token


def test_live_server_refuses_anonymous_and_forged_host(server: tuple[str, str]) -> None:
    url, _token = server
    assert httpx.get(f"{url}/api/2.0/mlflow/experiments/search").status_code == 401
    forged = httpx.get(
        f"{url}/api/2.0/mlflow/experiments/search", headers={"Host": "attacker.example"}
    )
    assert forged.status_code == 400


def test_runlab_client_with_password_and_with_token(server: tuple[str, str]) -> None:
    url, token = server
    by_password = _run(
        RUNLAB_SCRIPT,
        {
            "RUNLAB_TRACKING_URI": url,
            "RUNLAB_TRACKING_USERNAME": "ann",
            "RUNLAB_TRACKING_PASSWORD": "ann-password",
        },
    )
    assert by_password.returncode == 0, by_password.stderr
    assert by_password.stdout.strip() == "0.1"
    by_token = _run(
        RUNLAB_SCRIPT.replace("from-runlab", "from-runlab-token"),
        {"RUNLAB_TRACKING_URI": url, "RUNLAB_TRACKING_TOKEN": token},
    )
    assert by_token.returncode == 0, by_token.stderr
    anonymous = _run(RUNLAB_SCRIPT, {"RUNLAB_TRACKING_URI": url})
    assert anonymous.returncode != 0
    assert "RUNLAB_TRACKING_USERNAME" in anonymous.stderr


def test_mlflow_client_with_password_and_with_token(server: tuple[str, str]) -> None:
    url, token = server
    by_password = _run(
        MLFLOW_SCRIPT,
        {
            "MLFLOW_TRACKING_URI": url,
            "MLFLOW_TRACKING_USERNAME": "ann",
            "MLFLOW_TRACKING_PASSWORD": "ann-password",
            "WHO": "password",
        },
    )
    assert by_password.returncode == 0, by_password.stderr[-3000:]
    by_token = _run(
        MLFLOW_SCRIPT,
        {"MLFLOW_TRACKING_URI": url, "MLFLOW_TRACKING_TOKEN": token, "WHO": "token"},
    )
    assert by_token.returncode == 0, by_token.stderr[-3000:]
    # ann created both experiments, so she manages them; the artifact went through the proxy
    found = httpx.get(
        f"{url}/api/2.0/mlflow/experiments/get-by-name",
        params={"experiment_name": "from-mlflow-token"},
        auth=("ann", "ann-password"),
    )
    assert found.status_code == 200
    experiment_id = found.json()["experiment"]["experiment_id"]
    grant = httpx.get(
        f"{url}/api/2.0/mlflow/experiments/permissions/get",
        params={"experiment_id": experiment_id, "username": "ann"},
        auth=ADMIN,
    )
    assert grant.json()["experiment_permission"]["permission"] == "MANAGE"
