"""What route handlers receive from the app: its store, settings and artifact storage."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from runlab.artifacts.base import ArtifactRepository
from runlab.errors import InvalidInputError
from runlab.server.settings import ServerSettings
from runlab.store.base import TrackingStore

__all__ = ["Artifacts", "Settings", "Store", "require_run_id"]


def _store(request: Request) -> TrackingStore:
    return request.app.state.store  # type: ignore[no-any-return]


def _settings(request: Request) -> ServerSettings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _artifacts(request: Request) -> ArtifactRepository | None:
    return request.app.state.artifacts  # type: ignore[no-any-return]


Store = Annotated[TrackingStore, Depends(_store)]
Settings = Annotated[ServerSettings, Depends(_settings)]
Artifacts = Annotated["ArtifactRepository | None", Depends(_artifacts)]


def require_run_id(run_id: str | None, run_uuid: str | None = None) -> str:
    """MLflow clients send ``run_id``, older ones ``run_uuid``; one of them is required."""
    value = run_id or run_uuid
    if not value:
        raise InvalidInputError("run_id: missing; it is required")
    return value
