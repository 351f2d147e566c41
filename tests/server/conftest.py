"""An in-process tracking server over a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runlab.server.app import create_app
from runlab.server.settings import ServerSettings
from runlab.store.sql.store import SqlStore

with warnings.catch_warnings():
    # starlette's TestClient asks for the httpx2 package; httpx works the same here.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

API = "/api/2.0/mlflow"


class Api:
    """A TestClient that prefixes MLflow's tracking path and returns (status, json)."""

    def __init__(self, client: TestClient, prefix: str = API) -> None:
        self.client = client
        self.prefix = prefix

    def post(self, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        r = self.client.post(f"{self.prefix}/{path}", json=body or {})
        return r.status_code, r.json()

    def get(self, path: str, /, **params: Any) -> tuple[int, Any]:
        r = self.client.get(f"{self.prefix}/{path}", params=params)
        return r.status_code, r.json()

    def ok_post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        status, data = self.post(path, body)
        assert status == 200, data
        return data

    def ok_get(self, path: str, /, **params: Any) -> Any:
        status, data = self.get(path, **params)
        assert status == 200, data
        return data

    def new_run(self, experiment_id: str = "0", **extra: Any) -> str:
        body = {"experiment_id": experiment_id, **extra}
        return str(self.ok_post("runs/create", body)["run"]["info"]["run_id"])


def make_client(
    store_uri: str, tmp_path: Path, **settings: Any
) -> tuple[TestClient, SqlStore, ServerSettings]:
    config = ServerSettings(
        backend_store_uri=store_uri,
        artifacts_destination=str(tmp_path / "proxied"),
        **settings,
    )
    root = config.store_artifact_root() or (tmp_path / "direct").as_uri()
    store = SqlStore(store_uri, root)
    return TestClient(create_app(store, config)), store, config


@pytest.fixture
def server(store_uri: str, tmp_path: Path) -> Iterator[TestClient]:
    client, store, _ = make_client(store_uri, tmp_path)
    with client:
        yield client
    store.close()


@pytest.fixture
def api(server: TestClient) -> Api:
    return Api(server)
