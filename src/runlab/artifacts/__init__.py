"""Artifact repositories: where a run's files live, chosen by the artifact URI's scheme.

==============================================  ===============================
artifact URI                                    repository
==============================================  ===============================
``file:///abs/path``, ``file:/abs/path``        :class:`LocalArtifactRepository`
a plain absolute or relative path               :class:`LocalArtifactRepository`
==============================================  ===============================

Other backends (``s3``, ``http(s)``, ``mlflow-artifacts``) plug in with
:func:`register_artifact_repository`; the dispatcher does not change. Factories
import their backend's dependencies when called, so importing this package stays
cheap.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from runlab.artifacts._download import download_artifacts  # standard library at import
from runlab.artifacts.base import ArtifactRepository, FileInfo
from runlab.artifacts.local import LocalArtifactRepository  # standard library only
from runlab.errors import InvalidInputError

__all__ = [
    "ArtifactRepository",
    "ArtifactRepositoryFactory",
    "FileInfo",
    "LocalArtifactRepository",
    "download_artifacts",
    "get_artifact_repository",
    "register_artifact_repository",
]

ArtifactRepositoryFactory = Callable[[str], ArtifactRepository]

_SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.\-]+$")
_factories: dict[str, ArtifactRepositoryFactory] = {}


def register_artifact_repository(scheme: str, factory: ArtifactRepositoryFactory) -> None:
    """Route artifact URIs with ``scheme`` to ``factory(artifact_uri)``.

    Registering a scheme again replaces its factory. Plain paths always go to the
    ``file`` factory.
    """
    if not _SCHEME_RE.match(scheme):
        raise InvalidInputError(
            f"artifact URI scheme {scheme!r} is not valid (lowercase letters, digits, "
            "'+', '-' and '.', starting with a letter; at least two characters)"
        )
    _factories[scheme] = factory


def get_artifact_repository(artifact_uri: str) -> ArtifactRepository:
    """A repository for ``artifact_uri``; InvalidInputError for an unknown scheme."""
    scheme = urlsplit(artifact_uri).scheme.lower()
    # No scheme means a plain path; a one-letter "scheme" is a Windows drive ("C:\\x").
    if len(scheme) <= 1:
        scheme = "file"
    factory = _factories.get(scheme)
    if factory is None:
        supported = ", ".join(sorted(_factories))
        raise InvalidInputError(
            f"artifact URI {artifact_uri!r}: scheme {scheme!r} is not supported "
            f"(supported: {supported}, or a plain path)"
        )
    return factory(artifact_uri)


register_artifact_repository("file", LocalArtifactRepository)
