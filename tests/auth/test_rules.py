"""Every route of the app carries an access rule, and this table is the whole policy.

The table below lists each route (the ``/ajax-api`` copies must have the same rules)
with the rule it uses; a changed or added rule fails here until the table says so, so
a permission change is always a reviewed change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from tests.auth.conftest import make_app

from runlab.server._routing import JsonRoute, iter_routes
from runlab.server.auth import rules

EXPECTED: dict[tuple[str, str], str] = {
    ("GET", "/api/2.0/mlflow-artifacts/artifacts"): "read artifact_path(path)",
    ("DELETE", "/api/2.0/mlflow-artifacts/artifacts/{path:path}"): "manage artifact_path(path)",
    ("GET", "/api/2.0/mlflow-artifacts/artifacts/{path:path}"): "read artifact_path(path)",
    ("PUT", "/api/2.0/mlflow-artifacts/artifacts/{path:path}"): "edit artifact_path(path)",
    ("POST", "/api/2.0/mlflow-artifacts/mpu/abort/{path:path}"): "edit artifact_path(path)",
    ("POST", "/api/2.0/mlflow-artifacts/mpu/complete/{path:path}"): "edit artifact_path(path)",
    ("POST", "/api/2.0/mlflow-artifacts/mpu/create/{path:path}"): "edit artifact_path(path)",
    ("PUT", "/api/2.0/mlflow-artifacts/mpu/upload/{upload_id}/{part_number}"): "authenticated",
    ("GET", "/api/2.0/mlflow/artifacts/list"): "read run(run_id, run_uuid)",
    ("POST", "/api/2.0/mlflow/experiments/create"): "create after(grant_experiment)",
    ("POST", "/api/2.0/mlflow/experiments/delete"): "manage experiment(experiment_id)",
    ("POST", "/api/2.0/mlflow/experiments/delete-experiment-tag"): "edit experiment(experiment_id)",
    ("GET", "/api/2.0/mlflow/experiments/get"): "read experiment(experiment_id)",
    ("GET", "/api/2.0/mlflow/experiments/get-by-name"): "read experiment_name(experiment_name)",
    ("POST", "/api/2.0/mlflow/experiments/permissions/create"): "manage experiment(experiment_id)",
    (
        "DELETE",
        "/api/2.0/mlflow/experiments/permissions/delete",
    ): "manage experiment(experiment_id)",
    ("GET", "/api/2.0/mlflow/experiments/permissions/get"): "manage experiment(experiment_id)",
    ("PATCH", "/api/2.0/mlflow/experiments/permissions/update"): "manage experiment(experiment_id)",
    ("POST", "/api/2.0/mlflow/experiments/restore"): "manage experiment(experiment_id)",
    ("GET", "/api/2.0/mlflow/experiments/search"): "authenticated filter(experiments)",
    ("POST", "/api/2.0/mlflow/experiments/search"): "authenticated filter(experiments)",
    ("POST", "/api/2.0/mlflow/experiments/set-experiment-tag"): "edit experiment(experiment_id)",
    ("POST", "/api/2.0/mlflow/experiments/update"): "edit experiment(experiment_id)",
    ("POST", "/api/2.0/mlflow/logged-models"): "edit experiment(experiment_id)",
    ("POST", "/api/2.0/mlflow/logged-models/search"): "read narrow(experiment_ids)",
    ("DELETE", "/api/2.0/mlflow/logged-models/{model_id}"): "manage logged_model(model_id)",
    ("GET", "/api/2.0/mlflow/logged-models/{model_id}"): "read logged_model(model_id)",
    ("PATCH", "/api/2.0/mlflow/logged-models/{model_id}"): "edit logged_model(model_id)",
    (
        "GET",
        "/api/2.0/mlflow/logged-models/{model_id}/artifacts/directories",
    ): "read logged_model(model_id)",
    ("POST", "/api/2.0/mlflow/logged-models/{model_id}/params"): "edit logged_model(model_id)",
    ("PATCH", "/api/2.0/mlflow/logged-models/{model_id}/tags"): "edit logged_model(model_id)",
    (
        "DELETE",
        "/api/2.0/mlflow/logged-models/{model_id}/tags/{key:path}",
    ): "edit logged_model(model_id)",
    ("GET", "/api/2.0/mlflow/metrics/get-history"): "read run(run_id, run_uuid)",
    ("GET", "/api/2.0/mlflow/metrics/get-history-bulk"): "read run(run_id, each)",
    ("GET", "/api/2.0/mlflow/metrics/get-history-bulk-interval"): "read run(run_ids, each)",
    (
        "POST",
        "/api/2.0/mlflow/model-versions/create",
    ): "edit model(name) read run(run_id, run_uuid) read logged_model(model_id)",
    ("DELETE", "/api/2.0/mlflow/model-versions/delete"): "manage model(name)",
    ("DELETE", "/api/2.0/mlflow/model-versions/delete-tag"): "edit model(name)",
    ("GET", "/api/2.0/mlflow/model-versions/get"): "read model(name)",
    ("GET", "/api/2.0/mlflow/model-versions/get-download-uri"): "read model(name)",
    ("GET", "/api/2.0/mlflow/model-versions/search"): "authenticated filter(model_versions)",
    ("POST", "/api/2.0/mlflow/model-versions/set-tag"): "edit model(name)",
    ("GET", "/api/2.0/mlflow/model-versions/stage-history"): "read model(name)",
    ("POST", "/api/2.0/mlflow/model-versions/transition-stage"): "edit model(name)",
    ("PATCH", "/api/2.0/mlflow/model-versions/update"): "edit model(name)",
    ("DELETE", "/api/2.0/mlflow/registered-models/alias"): "edit model(name)",
    ("GET", "/api/2.0/mlflow/registered-models/alias"): "read model(name)",
    ("POST", "/api/2.0/mlflow/registered-models/alias"): "edit model(name)",
    ("POST", "/api/2.0/mlflow/registered-models/create"): "create after(grant_model)",
    (
        "DELETE",
        "/api/2.0/mlflow/registered-models/delete",
    ): "manage model(name) after(forget_model)",
    ("DELETE", "/api/2.0/mlflow/registered-models/delete-tag"): "edit model(name)",
    ("GET", "/api/2.0/mlflow/registered-models/get"): "read model(name)",
    ("GET", "/api/2.0/mlflow/registered-models/get-latest-versions"): "read model(name)",
    ("POST", "/api/2.0/mlflow/registered-models/get-latest-versions"): "read model(name)",
    ("POST", "/api/2.0/mlflow/registered-models/permissions/create"): "manage model(name)",
    ("DELETE", "/api/2.0/mlflow/registered-models/permissions/delete"): "manage model(name)",
    ("GET", "/api/2.0/mlflow/registered-models/permissions/get"): "manage model(name)",
    ("PATCH", "/api/2.0/mlflow/registered-models/permissions/update"): "manage model(name)",
    ("POST", "/api/2.0/mlflow/registered-models/rename"): "edit model(name) after(rename_model)",
    ("GET", "/api/2.0/mlflow/registered-models/search"): "authenticated filter(registered_models)",
    ("POST", "/api/2.0/mlflow/registered-models/set-tag"): "edit model(name)",
    ("PATCH", "/api/2.0/mlflow/registered-models/update"): "edit model(name)",
    ("POST", "/api/2.0/mlflow/runs/create"): "edit experiment(experiment_id)",
    ("POST", "/api/2.0/mlflow/runs/delete"): "manage run(run_id, run_uuid)",
    ("POST", "/api/2.0/mlflow/runs/delete-tag"): "edit run(run_id, run_uuid)",
    ("GET", "/api/2.0/mlflow/runs/get"): "read run(run_id, run_uuid)",
    ("POST", "/api/2.0/mlflow/runs/log-batch"): "edit run(run_id, run_uuid)",
    ("POST", "/api/2.0/mlflow/runs/log-inputs"): "edit run(run_id, run_uuid)",
    ("POST", "/api/2.0/mlflow/runs/log-metric"): "edit run(run_id, run_uuid)",
    ("POST", "/api/2.0/mlflow/runs/log-parameter"): "edit run(run_id, run_uuid)",
    ("POST", "/api/2.0/mlflow/runs/outputs"): "edit run(run_id, run_uuid)",
    ("POST", "/api/2.0/mlflow/runs/restore"): "manage run(run_id, run_uuid)",
    ("POST", "/api/2.0/mlflow/runs/search"): "read narrow(experiment_ids)",
    ("POST", "/api/2.0/mlflow/runs/set-tag"): "edit run(run_id, run_uuid)",
    ("POST", "/api/2.0/mlflow/runs/update"): "edit run(run_id, run_uuid)",
    ("POST", "/api/2.0/mlflow/users/create"): "admin",
    ("DELETE", "/api/2.0/mlflow/users/delete"): "admin",
    ("GET", "/api/2.0/mlflow/users/get"): "authenticated",
    ("PATCH", "/api/2.0/mlflow/users/update-admin"): "admin",
    ("PATCH", "/api/2.0/mlflow/users/update-password"): "authenticated",
    ("GET", "/api/2.0/runlab/artifacts/get"): "read run(run_id, run_uuid)",
    ("GET", "/api/2.0/runlab/metrics/downsampled"): "read run(run_id, run_uuid)",
    ("POST", "/api/2.0/runlab/metrics/downsampled/batch"): "read run(run_ids, each)",
    ("POST", "/api/2.0/runlab/metrics/updates"): "read run(run_ids, each)",
    ("POST", "/api/2.0/runlab/runs/count"): "read narrow(experiment_ids)",
    ("POST", "/api/2.0/runlab/runs/groups"): "read narrow(experiment_ids)",
    ("POST", "/api/2.0/runlab/runs/heartbeat"): "edit run(run_id, run_uuid)",
    ("POST", "/api/2.0/runlab/runs/import"): "edit experiment(experiment_id)",
    ("POST", "/api/2.0/runlab/experiments/import"): "create after(grant_experiment)",
    ("DELETE", "/api/2.0/runlab/session"): "public",
    ("GET", "/api/2.0/runlab/session"): "authenticated",
    ("POST", "/api/2.0/runlab/session"): "public",
    ("GET", "/api/2.0/runlab/users"): "admin",
    ("POST", "/api/2.0/runlab/users"): "admin",
    ("DELETE", "/api/2.0/runlab/users/{username}"): "admin",
    ("GET", "/api/2.0/runlab/users/{username}/tokens"): "authenticated",
    ("POST", "/api/2.0/runlab/users/{username}/tokens"): "authenticated",
    ("DELETE", "/api/2.0/runlab/users/{username}/tokens/{name}"): "authenticated",
    ("GET", "/api/docs"): "authenticated",
    ("GET", "/api/openapi.json"): "authenticated",
    ("GET", "/docs/oauth2-redirect"): "public",
    ("GET", "/get-artifact"): "read run(run_id, run_uuid)",
    ("GET", "/health"): "public",
    ("GET", "/login"): "public",
    ("GET", "/version"): "public",
}


def _walk(routes: list[Any], prefix: str = "") -> list[tuple[str, str, Any]]:
    """(method, path, route) for every route, the app's included routers walked."""
    found = []
    for route in routes:
        context = getattr(route, "include_context", None)
        if context is not None:
            found += _walk(context.included_router.routes, prefix + context.prefix)
        elif getattr(route, "methods", None):
            found += [(m, prefix + route.path, route) for m in route.methods if m != "HEAD"]
    return found


@pytest.fixture
def app(sqlite_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    with make_app(sqlite_uri, tmp_path, monkeypatch) as client:
        yield client.app


def test_every_route_has_the_rule_the_table_gives(app: FastAPI) -> None:
    routes = _walk(app.router.routes)
    assert len(routes) > 150  # the walk saw the included routers
    found = {}
    for method, path, route in routes:
        rule = getattr(route, "access", None)
        assert rule is not None, f"{method} {path} has no access rule"
        found[(method, path.replace("/ajax-api/", "/api/", 1))] = rule.describe()
        if path.startswith("/ajax-api/"):  # the copy follows the original's rule
            original = (method, path.replace("/ajax-api/", "/api/", 1))
            assert original in EXPECTED, f"{method} {path} has no /api original"
    assert found == EXPECTED


def test_iter_routes_sees_the_same_routes(app: FastAPI) -> None:
    walked = {(m, p) for m, p, _r in _walk(app.router.routes)}
    listed = {(m, p) for p, methods, _rule in iter_routes(app) for m in methods}
    assert walked == listed


def test_a_route_without_a_rule_cannot_be_declared() -> None:
    router = APIRouter(route_class=JsonRoute)

    def unguarded() -> dict[str, str]:
        return {}

    with pytest.raises(TypeError, match="has no access rule"):
        router.get("/unguarded")(unguarded)


def test_an_app_with_an_unguarded_route_does_not_build(
    sqlite_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runlab.server import app as app_module

    extra = APIRouter()  # FastAPI's own route class: no rule

    @extra.get("/api/2.0/mlflow/sneaky")
    def sneaky() -> dict[str, str]:
        return {}

    original = app_module._guard_documentation

    def with_sneaky_route(app: FastAPI) -> None:
        app.include_router(extra)
        original(app)

    monkeypatch.setattr(app_module, "_guard_documentation", with_sneaky_route)
    with pytest.raises(RuntimeError, match="sneaky has no access rule"):
        make_app(sqlite_uri, tmp_path, monkeypatch)


def test_rules_need_targets_for_permission_levels() -> None:
    with pytest.raises(ValueError, match="needs a target"):
        rules.access("read")
    with pytest.raises(ValueError, match="unknown access level"):
        rules.access("superuser")  # type: ignore[arg-type]


def test_targets_read_keyword_arguments_before_the_body() -> None:
    class Body:
        run_id = "from-body"
        experiment_ids = ["1", "2"]

    args = rules.Args({"body": Body(), "path": "7/x"})
    assert rules.run()(args) == [("run", "from-body")]
    assert rules.artifact_path()(args) == [("artifact_path", "7/x")]
    assert rules.artifact_path()(rules.Args({"path": None})) == [("artifact_path", "")]
    assert rules.runs("run_ids")(rules.Args({"run_ids": ["a", "b"]})) == [
        ("run", "a"),
        ("run", "b"),
    ]
    args.set("experiment_ids", ["2"])
    assert args.get("experiment_ids") == ["2"]
