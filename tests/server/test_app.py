"""The app itself: health, version, OpenAPI, the error shape, body limits and the UI mount."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.server.conftest import TestClient, make_client

from runlab._version import __version__
from runlab.server import app as app_module
from runlab.server.app import create_app, default_artifacts_destination
from runlab.server.settings import ServerSettings
from runlab.store.sql.store import SqlStore


@pytest.fixture
def small_limits(sqlite_uri: str, tmp_path: Path):
    client, store, _ = make_client(
        sqlite_uri, tmp_path, max_request_bytes=2048, max_upload_bytes=4096
    )
    with client:
        yield client
    store.close()


def test_health_and_version(server) -> None:
    assert (server.get("/health").status_code, server.get("/health").text) == (200, "OK")
    assert server.get("/version").text == __version__


def test_openapi_describes_every_tracking_route(server) -> None:
    doc = server.get("/api/openapi.json").json()
    paths = doc["paths"]
    for expected in (
        "/api/2.0/mlflow/experiments/create",
        "/api/2.0/mlflow/experiments/search",
        "/api/2.0/mlflow/runs/log-batch",
        "/api/2.0/mlflow/metrics/get-history-bulk-interval",
        "/api/2.0/mlflow/artifacts/list",
        "/api/2.0/mlflow-artifacts/artifacts/{path}",
        "/api/2.0/mlflow-artifacts/mpu/create/{path}",
    ):
        assert expected in paths, expected
    assert set(paths["/api/2.0/mlflow/experiments/search"]) == {"get", "post"}
    assert not any(p.startswith("/ajax-api") for p in paths)  # same routes, described once
    ids = [op["operationId"] for item in paths.values() for op in item.values()]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/api/2.0/mlflow/no-such-thing", 404, "ENDPOINT_NOT_FOUND"),
        ("POST", "/ajax-api/2.0/mlflow/runs/nope", 404, "ENDPOINT_NOT_FOUND"),
        ("GET", "/api/2.0/mlflow/runs/create", 405, "ENDPOINT_NOT_FOUND"),
        ("DELETE", "/api/2.0/mlflow/experiments/get", 405, "ENDPOINT_NOT_FOUND"),
    ],
)
def test_unknown_endpoints_answer_json(
    server, method: str, path: str, status: int, code: str
) -> None:
    r = server.request(method, path)
    assert r.status_code == status
    assert r.json()["error_code"] == code
    assert path in r.json()["message"]


def test_malformed_json_and_wrong_types(server) -> None:
    r = server.post(
        "/api/2.0/mlflow/experiments/create",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert (r.status_code, r.json()["error_code"]) == (400, "MALFORMED_REQUEST")
    r = server.post("/api/2.0/mlflow/runs/log-batch", json={"run_id": "x", "metrics": "lots"})
    assert (r.status_code, r.json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    assert "metrics" in r.json()["message"]
    r = server.post(
        "/api/2.0/mlflow/runs/log-batch",
        json={"run_id": "x", "metrics": [{"key": "m", "value": 1, "timestamp": 1}, {"key": "m"}]},
    )
    assert "metrics[1].value" in r.json()["message"]


def test_every_error_has_the_same_shape(server) -> None:
    answers = [
        server.get("/api/2.0/mlflow/experiments/get", params={"experiment_id": "77"}),
        server.post("/api/2.0/mlflow/experiments/create", json={}),
        server.get("/api/2.0/mlflow/unknown"),
        server.post("/api/2.0/mlflow/runs/search", json={"filter": "(("}),
    ]
    for r in answers:
        assert r.headers["content-type"] == "application/json"
        assert set(r.json()) == {"error_code", "message"}


class _BrokenStore(SqlStore):
    """A store with a bug in one method, to see what the server does with the unexpected."""

    def get_experiment(self, experiment_id: str):  # type: ignore[override]
        raise ZeroDivisionError("a bug")


def test_unexpected_errors_are_500_json_and_logged(
    sqlite_uri: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = _BrokenStore(sqlite_uri, "mlflow-artifacts:/")
    settings = ServerSettings(artifacts_destination=str(tmp_path / "a"))
    with TestClient(create_app(store, settings), raise_server_exceptions=False) as client:
        r = client.get("/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"})
    store.close()
    assert r.status_code == 500
    assert r.json()["error_code"] == "INTERNAL_ERROR"
    assert "a bug" not in r.json()["message"]  # internals stay in the log
    assert any("ZeroDivisionError" in rec.getMessage() or rec.exc_info for rec in caplog.records)


def test_json_body_over_the_limit_is_413(small_limits) -> None:
    r = small_limits.post("/api/2.0/mlflow/experiments/create", json={"name": "x" * 3000})
    assert r.status_code == 413
    assert r.json()["error_code"] == "RESOURCE_LIMIT_EXCEEDED"
    assert "2048" in r.json()["message"]


def test_streamed_body_over_the_limit_is_413(small_limits) -> None:
    def chunks():
        for _ in range(10):
            yield b'{"name": "' + b"x" * 500

    r = small_limits.post(
        "/api/2.0/mlflow/experiments/create",
        content=chunks(),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413
    assert r.json()["error_code"] == "RESOURCE_LIMIT_EXCEEDED"


def test_uploads_have_their_own_limit(small_limits, tmp_path: Path) -> None:
    ok = small_limits.put("/api/2.0/mlflow-artifacts/artifacts/a/ok.bin", content=b"x" * 3000)
    assert ok.status_code == 200  # over the JSON limit, within the upload limit
    r = small_limits.put("/api/2.0/mlflow-artifacts/artifacts/a/big.bin", content=b"x" * 5000)
    assert (r.status_code, r.json()["error_code"]) == (413, "RESOURCE_LIMIT_EXCEEDED")

    def chunks():
        for _ in range(10):
            yield b"y" * 1000

    r = small_limits.put("/api/2.0/mlflow-artifacts/artifacts/a/streamed.bin", content=chunks())
    assert r.status_code == 413
    assert not (tmp_path / "proxied/a/streamed.bin").exists()
    assert [p.name for p in (tmp_path / "proxied/a").iterdir()] == ["ok.bin"]  # no leftovers


def test_ui_is_mounted_when_built(
    sqlite_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    static = tmp_path / "static"
    static.mkdir()
    (static / "index.html").write_text("<html>runlab ui</html>")
    monkeypatch.setattr(app_module, "UI_STATIC", static)
    client, store, _ = make_client(sqlite_uri, tmp_path)
    with client:
        assert "runlab ui" in client.get("/").text
        assert client.get("/health").text == "OK"  # API routes still win
        r = client.get("/api/2.0/mlflow/nothing")
        assert r.json()["error_code"] == "ENDPOINT_NOT_FOUND"
    store.close()


def test_no_ui_without_a_build(
    sqlite_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module, "UI_STATIC", tmp_path / "not-built")
    client, store, _ = make_client(sqlite_uri, tmp_path)
    with client:
        assert client.get("/").status_code == 404
    store.close()


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("{tmp}/store", "{tmp}/store/artifacts"),
        ("sqlite:///{tmp}/db/x.db", "{tmp}/db/artifacts"),
        ("file://{tmp}/f", "{tmp}/f/artifacts"),
    ],
)
def test_default_artifacts_destination(tmp_path: Path, uri: str, expected: str) -> None:
    assert default_artifacts_destination(uri.format(tmp=tmp_path)) == expected.format(tmp=tmp_path)


def test_settings_round_trip_through_the_environment() -> None:
    settings = ServerSettings(port=1234, backend_store_uri="x", serve_artifacts=False, workers=3)
    assert ServerSettings.from_env({"RUNLAB_SERVER_SETTINGS": settings.to_env()}) == settings
    assert settings.store_artifact_root() is None
    assert ServerSettings().store_artifact_root() == "mlflow-artifacts:/"
    assert ServerSettings(default_artifact_root="s3://b/p").store_artifact_root() == "s3://b/p"


def test_a_repeated_single_valued_parameter_is_refused(server) -> None:
    created = server.post("/api/2.0/mlflow/experiments/create", json={"name": "twice"}).json()
    run = server.post(
        "/api/2.0/mlflow/runs/create", json={"experiment_id": created["experiment_id"]}
    ).json()["run"]["info"]["run_id"]
    answer = server.get(f"/api/2.0/mlflow/runs/get?run_id={run}&run_id={run}")
    assert answer.status_code == 400
    assert answer.json() == {
        "error_code": "INVALID_PARAMETER_VALUE",
        "message": "run_id: given more than once; this parameter takes one value",
    }
    # a list parameter may repeat, and a parameter the route does not take is ignored
    bulk = server.get(
        f"/api/2.0/mlflow/metrics/get-history-bulk?metric_key=m&run_id={run}&run_id={run}"
        "&unknown=1&unknown=2"
    )
    assert bulk.status_code == 200, bulk.text
    assert server.get(f"/api/2.0/mlflow/runs/get?run_id={run}").status_code == 200
