"""A live ``runlab server --auth --auth-default-permission NO_PERMISSIONS`` with two users.

``alice`` owns the experiment ``alice-exp`` with one run that has a param, a metric and
an artifact uploaded through the proxy, and the registered model ``alice-model`` whose
version 1 comes from that run; ``carol`` owns ``carol-exp`` and ``carol-model`` alike
and has no permission on alice's. The admin is ``root``. Everything is set up through
real HTTP, the way a team's clients would, on SQLite or PostgreSQL (``store_uri``).

    def test_x(live_team: LiveTeam) -> None:
        r = live_team.get("carol", "/api/2.0/mlflow/runs/get", params={"run_id": ...})
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests._servers import start_runlab_server

__all__ = ["ADMIN", "SECRET_BYTES", "SECRET_PARAM", "LiveTeam", "start_live_team"]

ADMIN = ("root", "root-password")
SECRET_PARAM = "alice-secret-param-value"
SECRET_BYTES = b"alice's secret artifact bytes"
API = "/api/2.0/mlflow"


@dataclass
class Side:
    """One user's experiment and run."""

    experiment_id: str
    run_id: str
    artifact_uri: str
    model: str = ""  # a registered model with version 1 from the run


@dataclass
class LiveTeam:
    url: str
    store_uri: str
    alice: Side
    carol: Side
    passwords: dict[str, str] = field(default_factory=dict)
    clients: dict[str, httpx.Client] = field(default_factory=dict)

    def client(self, user: str) -> httpx.Client:
        """A keep-alive client signed in as ``user`` (HTTP Basic)."""
        if user not in self.clients:
            auth = ADMIN if user == "root" else (user, self.passwords[user])
            self.clients[user] = httpx.Client(base_url=self.url, auth=auth, timeout=60)
        return self.clients[user]

    def get(self, user: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.client(user).get(path, **kwargs)

    def post(self, user: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.client(user).post(path, **kwargs)

    def close(self) -> None:
        for client in self.clients.values():
            client.close()


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, (response.request.url, response.text)
    return response.json()  # type: ignore[no-any-return]


def _side(team: LiveTeam, user: str, param: str, data: bytes) -> Side:
    created = _ok(team.post(user, f"{API}/experiments/create", json={"name": f"{user}-exp"}))
    experiment_id = str(created["experiment_id"])
    run = _ok(team.post(user, f"{API}/runs/create", json={"experiment_id": experiment_id}))
    info = run["run"]["info"]
    run_id = info["run_id"]
    batch = {
        "run_id": run_id,
        "params": [{"key": "secret", "value": param}],
        "metrics": [{"key": "loss", "value": 0.25, "timestamp": 1, "step": 0}],
    }
    _ok(team.post(user, f"{API}/runs/log-batch", json=batch))
    artifact_uri = info["artifact_uri"]
    assert artifact_uri.startswith("mlflow-artifacts:/"), artifact_uri
    proxy_path = artifact_uri.removeprefix("mlflow-artifacts:").lstrip("/")
    put = team.client(user).put(
        f"/api/2.0/mlflow-artifacts/artifacts/{proxy_path}/secret.txt", content=data
    )
    assert put.status_code == 200, put.text
    model = f"{user}-model"
    _ok(team.post(user, f"{API}/registered-models/create", json={"name": model}))
    version = {"name": model, "source": f"{artifact_uri}/model", "run_id": run_id}
    _ok(team.post(user, f"{API}/model-versions/create", json=version))
    return Side(experiment_id, run_id, artifact_uri, model)


@contextlib.contextmanager
def start_live_team(
    store_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *server_args: str
) -> Iterator[LiveTeam]:
    """The server and both users' data; ``server_args`` are added to the command line."""
    monkeypatch.setenv("RUNLAB_AUTH_ADMIN_USERNAME", ADMIN[0])
    monkeypatch.setenv("RUNLAB_AUTH_ADMIN_PASSWORD", ADMIN[1])
    args = (
        "--auth",
        "--auth-default-permission",
        "NO_PERMISSIONS",
        "--backend-store-uri",
        store_uri,
        "--artifacts-destination",
        str(tmp_path / "artifacts"),
        *server_args,
    )
    with start_runlab_server(tmp_path, *args) as (url, _process):
        admin = httpx.Client(base_url=url, auth=ADMIN, timeout=60)
        passwords = {"alice": "alice-password-1", "carol": "carol-password-1"}
        for user, password in passwords.items():
            body = {"username": user, "password": password}
            _ok(admin.post(f"{API}/users/create", json=body))
        admin.close()
        team = LiveTeam(url, store_uri, Side("", "", ""), Side("", "", ""), passwords)
        try:
            team.alice = _side(team, "alice", SECRET_PARAM, SECRET_BYTES)
            team.carol = _side(team, "carol", "carol-param-value", b"carol's bytes")
            yield team
        finally:
            team.close()


@pytest.fixture
def live_team(
    store_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LiveTeam]:
    """:func:`start_live_team` with the default flags, once per database."""
    with start_live_team(store_uri, tmp_path, monkeypatch) as team:
        yield team
