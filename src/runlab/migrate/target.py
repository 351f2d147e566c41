"""Where imports write: the stores of one runlab tracking URI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from runlab.migrate.sources.base import Source
    from runlab.store.artifacts.base import ArtifactRepository
    from runlab.store.base import TrackingStore
    from runlab.store.logged_models_base import LoggedModelStore
    from runlab.store.registry_base import RegistryStore

__all__ = ["Target"]


@dataclass
class Target:
    uri: str
    tracking: TrackingStore
    registry: RegistryStore | None = None
    logged_models: LoggedModelStore | None = None

    @classmethod
    def open(cls, uri: str | None) -> Target:
        """The tracking URI ``uri`` (the current one if None): a folder, ``sqlite:///``,
        ``postgresql://`` or a runlab server."""
        from runlab.store.uri import resolve

        resolved = resolve(uri)
        if urlsplit(resolved).scheme in ("http", "https"):
            from runlab.store.rest.registry import RestRegistryStore
            from runlab.store.rest.store import RestStore

            return cls(resolved, RestStore(resolved), RestRegistryStore(resolved))
        from runlab.backend import Backend

        backend = Backend.open(resolved)
        return cls(resolved, backend.tracking, backend.registry, backend.logged_models)

    @property
    def keeps_ids(self) -> bool:
        """Whether runs and experiments keep their ids here (a server chooses its own)."""
        return urlsplit(self.uri).scheme not in ("http", "https")

    def artifacts(self, artifact_uri: str) -> ArtifactRepository:
        from runlab.artifacts import get_artifact_repository

        return get_artifact_repository(artifact_uri, self.uri)

    def as_source(self) -> Source:
        """This target read back, for verification."""
        from runlab.migrate.sources.stores import StoreSource

        return StoreSource(self.tracking, self.uri, self.registry, self.logged_models)

    def close(self) -> None:
        self.tracking.close()
