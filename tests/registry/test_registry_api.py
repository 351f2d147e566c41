"""The registry REST endpoints in process, over SQLite and PostgreSQL: wire shapes and
error shapes."""

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
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

API = "/api/2.0/mlflow"


@pytest.fixture
def http(store_uri: str, tmp_path: Path) -> Iterator[TestClient]:
    store = SqlStore(store_uri, (tmp_path / "artifacts").as_uri())
    settings = ServerSettings(backend_store_uri=store_uri, serve_artifacts=False)
    with TestClient(create_app(store, settings)) as client:
        yield client
    store.close()


def call(http: TestClient, method: str, path: str, **kw: Any) -> tuple[int, Any]:
    response = http.request(method, f"{API}/{path}", **kw)
    return response.status_code, response.json()


def ok(http: TestClient, method: str, path: str, **kw: Any) -> Any:
    status, data = call(http, method, path, **kw)
    assert status == 200, data
    return data


def test_wire_shapes(http: TestClient) -> None:
    created = ok(
        http,
        "POST",
        "registered-models/create",
        json={"name": "fraud", "tags": [{"key": "team", "value": "risk"}], "description": "d"},
    )["registered_model"]
    assert created["name"] == "fraud"
    assert created["tags"] == [{"key": "team", "value": "risk"}]
    mv = ok(
        http,
        "POST",
        "model-versions/create",
        json={
            "name": "fraud",
            "source": "s3://b/m",
            "run_id": "abc",
            "tags": [{"key": "k", "value": "v"}],
        },
    )["model_version"]
    assert mv["version"] == "1"
    assert (mv["status"], mv["current_stage"], mv["run_id"]) == ("READY", "None", "abc")
    ok(
        http,
        "POST",
        "registered-models/alias",
        json={"name": "fraud", "alias": "champion", "version": "1"},
    )
    model = ok(http, "GET", "registered-models/get", params={"name": "fraud"})["registered_model"]
    assert model["aliases"] == [{"alias": "champion", "version": "1"}]
    assert [v["version"] for v in model["latest_versions"]] == ["1"]
    by_alias = ok(
        http, "GET", "registered-models/alias", params={"name": "fraud", "alias": "champion"}
    )
    assert by_alias["model_version"]["aliases"] == ["champion"]

    ok(
        http,
        "POST",
        "model-versions/transition-stage",
        json={
            "name": "fraud",
            "version": "1",
            "stage": "staging",
            "archive_existing_versions": False,
        },
    )
    latest = ok(
        http,
        "GET",
        "registered-models/get-latest-versions",
        params=[("name", "fraud"), ("stages", "Staging"), ("stages", "Production")],
    )
    assert [v["current_stage"] for v in latest["model_versions"]] == ["Staging"]
    history = ok(
        http, "GET", "model-versions/stage-history", params={"name": "fraud", "version": "1"}
    )
    assert [(t["from_stage"], t["to_stage"]) for t in history["transitions"]] == [
        ("None", "Staging")
    ]
    uri = ok(
        http, "GET", "model-versions/get-download-uri", params={"name": "fraud", "version": "1"}
    )
    assert uri == {"artifact_uri": "s3://b/m"}
    searched = ok(
        http,
        "GET",
        "model-versions/search",
        params=[("filter", "run_id = 'abc'"), ("order_by", "version_number DESC")],
    )
    assert [v["name"] for v in searched["model_versions"]] == ["fraud"]

    # the MLflow UI's /ajax-api prefix serves the same routes
    r = http.get("/ajax-api/2.0/mlflow/registered-models/search", params={"max_results": 1})
    assert [m["name"] for m in r.json()["registered_models"]] == ["fraud"]

    ok(http, "DELETE", "model-versions/delete", json={"name": "fraud", "version": "1"})
    ok(http, "DELETE", "registered-models/delete", json={"name": "fraud"})
    assert ok(http, "GET", "registered-models/search") == {"registered_models": []}


@pytest.mark.parametrize(
    ("method", "path", "kw", "status", "code", "fragment"),
    [
        (
            "GET",
            "registered-models/get",
            {"params": {"name": "ghost"}},
            404,
            "RESOURCE_DOES_NOT_EXIST",
            "'ghost'",
        ),
        (
            "GET",
            "model-versions/get",
            {"params": {"name": "fraud", "version": "9"}},
            404,
            "RESOURCE_DOES_NOT_EXIST",
            "model version 9",
        ),
        (
            "GET",
            "model-versions/get",
            {"params": {"name": "fraud", "version": "x"}},
            400,
            "INVALID_PARAMETER_VALUE",
            "positive integer",
        ),
        (
            "POST",
            "registered-models/create",
            {"json": {"name": "fraud"}},
            400,
            "RESOURCE_ALREADY_EXISTS",
            "already exists",
        ),
        (
            "POST",
            "registered-models/alias",
            {"json": {"name": "fraud", "alias": "v1", "version": "1"}},
            400,
            "INVALID_PARAMETER_VALUE",
            "reserved",
        ),
        (
            "POST",
            "model-versions/transition-stage",
            {"json": {"name": "fraud", "version": "1", "stage": "Prod"}},
            400,
            "INVALID_PARAMETER_VALUE",
            "not a model version stage",
        ),
        (
            "GET",
            "registered-models/search",
            {"params": {"filter": "name =="}},
            400,
            "INVALID_PARAMETER_VALUE",
            "'=='",
        ),
    ],
)
def test_errors_have_mlflow_shape(
    http: TestClient,
    method: str,
    path: str,
    kw: dict[str, Any],
    status: int,
    code: str,
    fragment: str,
) -> None:
    ok(http, "POST", "registered-models/create", json={"name": "fraud"})
    ok(http, "POST", "model-versions/create", json={"name": "fraud", "source": "s3://b/m"})
    got_status, data = call(http, method, path, **kw)
    assert got_status == status
    assert set(data) == {"error_code", "message"}
    assert data["error_code"] == code
    assert fragment in data["message"]
