"""A tracking server with ``--auth`` over a real database, and one user per role.

``team`` (over SQLite and PostgreSQL): the admin ``root``; ``owner``, who created the
experiment ``shared`` (with one run) and the registered model ``model`` and so holds
MANAGE on both; ``editor`` (EDIT), ``reader`` (READ) and ``stranger`` (no grant, and
the server's default permission is NO_PERMISSIONS). Each has a password and a token.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from tests.auth._live_team import live_team  # the fixture, for every test here

from runlab.server.app import create_app
from runlab.server.settings import ServerSettings
from runlab.store.uri import build_store

with warnings.catch_warnings():
    # starlette's TestClient asks for the httpx2 package; httpx works the same here.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

API = "/api/2.0/mlflow"
ADMIN = ("root", "root-password")
__all__ = ["live_team"]

ROLES = ("root", "owner", "editor", "reader", "stranger")


@dataclass
class Team:
    client: TestClient
    experiment_id: str
    run_id: str
    model: str = "model"
    tokens: dict[str, str] = field(default_factory=dict)

    def basic(self, user: str) -> tuple[str, str]:
        # A pair, not an httpx.BasicAuth: the test client may be built on httpx2, whose
        # auth classes are its own.
        return (user, f"{user}-password")

    def bearer(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}


def make_app(
    store_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **settings: object
) -> TestClient:
    monkeypatch.setenv("RUNLAB_AUTH_ADMIN_USERNAME", ADMIN[0])
    monkeypatch.setenv("RUNLAB_AUTH_ADMIN_PASSWORD", ADMIN[1])
    store = build_store(store_uri, "mlflow-artifacts:/")
    options = {"auth": True, "artifacts_destination": str(tmp_path / "artifacts"), **settings}
    app = create_app(store, ServerSettings(**options), close_store_on_shutdown=True)  # type: ignore[arg-type]
    return TestClient(app)


def ok(response: httpx.Response) -> dict[str, object]:
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.fixture
def team(store_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Team]:
    with make_app(
        store_uri, tmp_path, monkeypatch, auth_default_permission="NO_PERMISSIONS"
    ) as client:
        for user in ROLES[1:]:
            ok(
                client.post(
                    f"{API}/users/create",
                    json={"username": user, "password": f"{user}-password"},
                    auth=ADMIN,
                )
            )
        owner = ("owner", "owner-password")
        experiment_id = str(
            ok(client.post(f"{API}/experiments/create", json={"name": "shared"}, auth=owner))[
                "experiment_id"
            ]
        )
        run = ok(
            client.post(f"{API}/runs/create", json={"experiment_id": experiment_id}, auth=owner)
        )
        ok(client.post(f"{API}/registered-models/create", json={"name": "model"}, auth=owner))
        for user, level in (("editor", "EDIT"), ("reader", "READ")):
            grant = {"experiment_id": experiment_id, "username": user, "permission": level}
            ok(client.post(f"{API}/experiments/permissions/create", json=grant, auth=owner))
            grant = {"name": "model", "username": user, "permission": level}
            ok(client.post(f"{API}/registered-models/permissions/create", json=grant, auth=owner))
        team = Team(client, experiment_id, run["run"]["info"]["run_id"])  # type: ignore[index]
        for user in ROLES:
            created = ok(
                client.post(
                    f"/api/2.0/runlab/users/{user}/tokens",
                    json={"name": "ci"},
                    auth=team.basic(user) if user != "root" else ADMIN,
                )
            )
            team.tokens[user] = created["token"]["token"]  # type: ignore[index]
        yield team
