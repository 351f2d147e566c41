"""Route modules held back until a request needs them (runlab.server._lazy)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from tests.server.conftest import API, make_client

from runlab.server._lazy import LazyRoutes
from runlab.server._routing import iter_routes
from runlab.server.app import PROXY_ROUTES, ROUTES


def _lazy(client: TestClient) -> dict[str, LazyRoutes]:
    routes = client.app.router.routes  # type: ignore[attr-defined]
    return {r.module: r for r in routes if isinstance(r, LazyRoutes)}


def _paths(client: TestClient) -> set[str]:
    return {path for path, _, _ in iter_routes(client.app, load=False)}


@pytest.mark.parametrize(("module", "prefixes", "heads"), [*ROUTES, PROXY_ROUTES])
def test_every_route_of_a_held_back_module_starts_with_its_heads(
    module: str, prefixes: tuple[str, ...], heads: tuple[str, ...]
) -> None:
    router = importlib.import_module(f"runlab.server.routes.{module}").router
    paths = [route.path for route in router.routes]
    assert paths
    if heads:  # else loaded at once
        for path in paths:
            assert path.startswith(heads), f"{module}: {path} is not under {heads}"


def test_registry_routes_load_on_the_first_registry_request(
    sqlite_uri: str, tmp_path: Path
) -> None:
    client, store, _ = make_client(sqlite_uri, tmp_path)
    with client:
        lazy = _lazy(client)
        assert {"registry", "logged_models", "proxy", "charts"} <= set(lazy)
        assert not any(r.loaded for r in lazy.values())
        assert not any("/registered-models/" in p for p in _paths(client))
        # tracking calls load nothing more
        eid = client.post(f"{API}/experiments/create", json={"name": "lazy"}).json()
        assert client.get(f"{API}/experiments/get", params=eid).status_code == 200
        assert not any(r.loaded for r in lazy.values())
        # the first registry request is answered by the routes it loads
        made = client.post(f"{API}/registered-models/create", json={"name": "m"})
        assert made.status_code == 200, made.text
        assert made.json()["registered_model"]["name"] == "m"
        assert lazy["registry"].loaded
        assert not lazy["logged_models"].loaded
        assert any(p.endswith("/registered-models/create") for p in _paths(client))
        got = client.get(f"{API}/registered-models/get", params={"name": "m"})
        assert got.json()["registered_model"]["name"] == "m"
        # a wrong method on a held-back path is still 405 with Allow, not 404
        wrong = client.get(f"{API}/runs/outputs")
        assert wrong.status_code == 405, wrong.text
        assert "POST" in wrong.headers["allow"]
        assert lazy["logged_models"].loaded
    store.close()


def test_openapi_document_describes_held_back_routes(sqlite_uri: str, tmp_path: Path) -> None:
    client, store, _ = make_client(sqlite_uri, tmp_path)
    with client:
        doc = client.get("/api/openapi.json").json()
        assert "/api/2.0/mlflow/registered-models/create" in doc["paths"]
        assert "/api/2.0/mlflow-artifacts/artifacts/{path}" in doc["paths"]
        assert "/ajax-api/2.0/mlflow/registered-models/create" not in doc["paths"]
        assert all(r.loaded for r in _lazy(client).values())
    store.close()


def test_unknown_api_path_is_a_json_404(sqlite_uri: str, tmp_path: Path) -> None:
    client, store, _ = make_client(sqlite_uri, tmp_path)
    with client:
        answer = client.get(f"{API}/registered-models/no-such-thing")
        assert answer.status_code == 404
        assert answer.json()["error_code"] == "ENDPOINT_NOT_FOUND"
    store.close()
