"""Which repository holds a run's artifacts, seen from the server."""

from __future__ import annotations

from urllib.parse import urlsplit

from runlab.artifacts import _paths, get_artifact_repository
from runlab.artifacts.base import ArtifactRepository
from runlab.errors import InvalidInputError

__all__ = ["PROXY_SCHEME", "repository_for"]

PROXY_SCHEME = "mlflow-artifacts"


def repository_for(
    artifact_uri: str, destination: ArtifactRepository | None
) -> tuple[ArtifactRepository, str]:
    """A repository and the path prefix inside it where ``artifact_uri``'s files are.

    ``mlflow-artifacts:/<path>`` URIs live in the proxy's destination under ``<path>``;
    any other URI (a folder, ``s3://``) is opened directly, with no prefix.
    """
    parsed = urlsplit(artifact_uri)
    if parsed.scheme.lower() == PROXY_SCHEME:
        if destination is None:
            raise InvalidInputError(
                f"artifact URI {artifact_uri!r} is served by the artifact proxy, which this "
                "server runs without (--no-serve-artifacts)"
            )
        return destination, _paths.normalize(parsed.path.lstrip("/"))
    return get_artifact_repository(artifact_uri), ""
