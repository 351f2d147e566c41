"""Every route of the app has an authorisation rule, and the rules match the right paths."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from tests.auth.conftest import make_app

from runlab.server.auth import rules


def _routes(routes: list[Any], prefix: str = "") -> list[tuple[str, str]]:
    found = []
    for route in routes:
        context = getattr(route, "include_context", None)
        if context is not None:
            found += _routes(context.included_router.routes, prefix + context.prefix)
        elif getattr(route, "methods", None):
            found += [(method, prefix + route.path) for method in route.methods]
    return found


def _sample(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", template)


def test_every_route_of_the_app_has_a_rule(
    sqlite_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with make_app(sqlite_uri, tmp_path, monkeypatch) as client:
        routes = _routes(client.app.router.routes)  # type: ignore[attr-defined]
    assert len(routes) > 100  # the walk saw the included routers
    missing = [
        f"{method} {path}"
        for method, path in routes
        if method != "HEAD" and rules.match(method, _sample(path)) is None
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("method", "path", "level", "resource"),
    [
        ("GET", "/api/2.0/mlflow/experiments/get", "read", "experiment"),
        ("GET", "/ajax-api/2.0/mlflow/experiments/get", "read", "experiment"),
        ("GET", "/api/2.0/mlflow/experiments/permissions/get", "manage", "experiment"),
        ("GET", "/api/2.0/mlflow/artifacts/list", "read", "run"),
        ("PUT", "/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/x", "edit", "artifact_path"),
        ("DELETE", "/api/2.0/mlflow-artifacts/artifacts/1/a", "manage", "artifact_path"),
        ("GET", "/health", "public", None),
        ("HEAD", "/version", "public", None),
    ],
)
def test_rules_match_paths(method: str, path: str, level: str, resource: str | None) -> None:
    found = rules.match(method, path)
    assert found is not None
    assert (found[0].level, found[0].resource) == (level, resource)


def test_unknown_paths_have_no_rule() -> None:
    assert rules.match("GET", "/api/2.0/mlflow/experiments/nope") is None
    assert rules.match("POST", "/api/2.0/mlflow/experiments/get") is None
