"""What route handlers receive from the app: its backend's stores, settings and artifact
storage."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from runlab.backend import Backend
from runlab.errors import InvalidInputError
from runlab.server._locations import LocationPolicy
from runlab.server.settings import ServerSettings
from runlab.store.artifacts.base import ArtifactRepository
from runlab.store.base import TrackingStore
from runlab.store.logged_models_base import LoggedModelStore
from runlab.store.registry_base import RegistryStore

__all__ = [
    "Artifacts",
    "Locations",
    "LoggedModels",
    "Registry",
    "Settings",
    "Store",
    "require_run_id",
]


def _backend(request: Request) -> Backend:
    return request.app.state.backend  # type: ignore[no-any-return]


def _store(request: Request) -> TrackingStore:
    return _backend(request).tracking


def _registry(request: Request) -> RegistryStore:
    return _backend(request).require_registry()


def _logged_models(request: Request) -> LoggedModelStore | None:
    return _backend(request).logged_models


def _settings(request: Request) -> ServerSettings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _artifacts(request: Request) -> ArtifactRepository | None:
    return _backend(request).artifacts


def _locations(request: Request) -> LocationPolicy:
    return request.app.state.locations  # type: ignore[no-any-return]


Store = Annotated[TrackingStore, Depends(_store)]
Registry = Annotated[RegistryStore, Depends(_registry)]
LoggedModels = Annotated[LoggedModelStore | None, Depends(_logged_models)]
Settings = Annotated[ServerSettings, Depends(_settings)]
Artifacts = Annotated[ArtifactRepository | None, Depends(_artifacts)]
Locations = Annotated[LocationPolicy, Depends(_locations)]


def require_run_id(run_id: str | None, run_uuid: str | None = None) -> str:
    """MLflow clients send ``run_id``, older ones ``run_uuid``; one of them is required."""
    value = run_id or run_uuid
    if not value:
        raise InvalidInputError("run_id: missing; it is required")
    return value
