"""Everything a tracking server works on, bundled once: :class:`Backend`.

The tracking store, the model registry, the logged-model store, the accounts of
``--auth`` and the artifact proxy's destination are made together, where the tracking
URI is known, and handed to :func:`runlab.server.app.create_app`; no route builds a
store or looks inside one. A SQL tracking store keeps the registry, the logged models
and the accounts in its own database; other stores have what they are given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from runlab.errors import InvalidInputError

if TYPE_CHECKING:
    from runlab.store.artifacts.base import ArtifactRepository
    from runlab.store.auth_base import AuthStore
    from runlab.store.base import TrackingStore
    from runlab.store.logged_models_base import LoggedModelStore
    from runlab.store.registry_base import RegistryStore

__all__ = ["Backend"]


@dataclass
class Backend:
    tracking: TrackingStore
    registry: RegistryStore | None = None
    logged_models: LoggedModelStore | None = None
    auth: AuthStore | None = None
    artifacts: ArtifactRepository | None = None  # where the artifact proxy keeps files
    artifact_root: str | None = None  # where the store puts new experiments' artifacts

    @classmethod
    def for_store(
        cls, store: TrackingStore, *, artifacts: ArtifactRepository | None = None
    ) -> Backend:
        """The bundle around ``store``: with a SQL store, the registry, logged models
        and accounts in the same database."""
        from runlab.store.sql.store import SqlStore

        if not isinstance(store, SqlStore):
            return cls(store, artifacts=artifacts)
        from runlab.store.sql.auth import SqlAuthStore
        from runlab.store.sql.logged_models import SqlLoggedModelStore
        from runlab.store.sql.registry import SqlRegistryStore

        return cls(
            store,
            registry=SqlRegistryStore(store.db),
            logged_models=SqlLoggedModelStore(store.db),
            auth=SqlAuthStore(store.db),
            artifacts=artifacts,
            artifact_root=store.artifact_root,
        )

    @classmethod
    def open(
        cls,
        tracking_uri: str | None,
        *,
        artifact_root: str | None = None,
        artifacts_destination: str | None = None,
    ) -> Backend:
        """The bundle for a tracking URI (a folder, ``sqlite:///``, ``postgresql://``);
        ``artifact_root`` is where new experiments' locations start,
        ``artifacts_destination`` the artifact proxy's storage (none if None)."""
        from runlab.store.uri import build_store, resolve

        artifacts = None
        if artifacts_destination is not None:
            from runlab.store.artifacts import get_artifact_repository

            artifacts = get_artifact_repository(artifacts_destination)
        return cls.for_store(build_store(resolve(tracking_uri), artifact_root), artifacts=artifacts)

    def require_registry(self) -> RegistryStore:
        if self.registry is None:
            raise InvalidInputError(
                f"{type(self.tracking).__name__} keeps no model registry on this server"
            )
        return self.registry

    def require_auth(self) -> AuthStore:
        if self.auth is None:
            raise InvalidInputError(
                "--auth needs a database backend store (a folder, sqlite:/// or postgresql://)"
            )
        return self.auth

    def close(self) -> None:
        self.tracking.close()
