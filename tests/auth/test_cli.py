"""``runlab users`` on a real database, and the server seeing what it wrote."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.auth.conftest import API, make_app, ok

from runlab.auth.entities import Permission
from runlab.cli import cli
from runlab.store.sql.auth import open_auth_store
from runlab.store.uri import build_store


def _users(uri: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["users", *args, "--backend-store-uri", uri])
    assert result.exit_code == 0, result.output
    return result.output


def test_users_commands_manage_accounts_grants_and_tokens(
    store_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _users(store_uri, "create", "ann", "--password", "ann-password")
    _users(store_uri, "create", "boss", "--password", "boss-password", "--admin")
    assert _users(store_uri, "list").split() == ["ann", "boss", "(admin)"]
    _users(store_uri, "grant", "ann", "EDIT", "--experiment", "0")
    token = _users(store_uri, "token", "create", "laptop", "--user", "ann").splitlines()[0]
    assert token.startswith("rlt_")
    assert "laptop" in _users(store_uri, "token", "list", "--user", "ann")

    store = build_store(store_uri)
    auth = open_auth_store(store)
    assert auth.get_experiment_permission("0", "ann") == Permission.EDIT
    store.close()

    monkeypatch.delenv("RUNLAB_AUTH_ADMIN_USERNAME", raising=False)
    bearer = {"Authorization": f"Bearer {token}"}
    with make_app(
        store_uri, tmp_path, monkeypatch, auth_default_permission="NO_PERMISSIONS"
    ) as client:
        ok(client.post(f"{API}/runs/create", json={"experiment_id": "0"}, headers=bearer))
        _users(store_uri, "token", "revoke", "laptop", "--user", "ann")
        assert client.get(f"{API}/experiments/search", headers=bearer).status_code == 401
        _users(store_uri, "revoke", "ann", "--experiment", "0")
        denied = client.post(
            f"{API}/runs/create", json={"experiment_id": "0"}, auth=("ann", "ann-password")
        )
        assert denied.status_code == 403


def test_users_create_refuses_a_short_password(sqlite_uri: str) -> None:
    result = CliRunner().invoke(
        cli, ["users", "create", "ann", "--password", "short", "--backend-store-uri", sqlite_uri]
    )
    assert result.exit_code != 0
    assert "password: must be at least 8 characters" in result.output


def test_artifact_paths_cannot_climb_into_another_experiment(
    sqlite_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _users(sqlite_uri, "create", "ann", "--password", "ann-password")
    _users(sqlite_uri, "grant", "ann", "EDIT", "--experiment", "0")
    with make_app(
        sqlite_uri, tmp_path, monkeypatch, auth_default_permission="NO_PERMISSIONS"
    ) as client:
        climb = client.put(
            "/api/2.0/mlflow-artifacts/artifacts/0/../7/run/artifacts/x.txt",
            content=b"x",
            auth=("ann", "ann-password"),
        )
    assert climb.status_code == 403
