"""Artifact repositories: where a run's files live, chosen by the artifact URI's scheme.

==============================================  ===============================
artifact URI                                    repository
==============================================  ===============================
``file:///abs/path``, ``file:/abs/path``        :class:`LocalArtifactRepository`
a plain absolute or relative path               :class:`LocalArtifactRepository`
``s3://bucket/prefix``                          ``S3ArtifactRepository`` (``runlab[s3]``)
``gs://bucket/prefix``                          ``GCSArtifactRepository`` (``runlab[gcs]``)
``wasbs://container@account.blob.…/path``       ``AzureBlobArtifactRepository`` (``runlab[azure]``)
``abfss://container@account.dfs.…/path``        the same, through the blob API
``mlflow-artifacts:/path``                      a tracking server's artifact proxy
``http(s)://host/api/2.0/mlflow-artifacts/…``   a tracking server's artifact proxy
==============================================  ===============================

Other backends plug in with :func:`register_artifact_repository`; the dispatcher
does not change. Factories import their backend's dependencies when called, so
importing this package stays cheap.

A ``mlflow-artifacts:/path`` URI names a place on *the* tracking server, whichever it
is, so :func:`get_artifact_repository` resolves it against a tracking URI (the
caller's, else the current one).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from runlab.errors import InvalidInputError
from runlab.store.artifacts.base import ArtifactRepository, FileInfo
from runlab.store.artifacts.local import LocalArtifactRepository  # standard library only

__all__ = [
    "ArtifactRepository",
    "ArtifactRepositoryFactory",
    "FileInfo",
    "LocalArtifactRepository",
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


def get_artifact_repository(
    artifact_uri: str, tracking_uri: str | None = None
) -> ArtifactRepository:
    """A repository for ``artifact_uri``; InvalidInputError for an unknown scheme.

    ``tracking_uri`` is the server that ``mlflow-artifacts:`` URIs are relative to
    (default: the current tracking URI).
    """
    scheme = urlsplit(artifact_uri).scheme.lower()
    # No scheme means a plain path; a one-letter "scheme" is a Windows drive ("C:\\x").
    if len(scheme) <= 1:
        scheme = "file"
    if scheme == "mlflow-artifacts":
        from runlab.store.artifacts.http import proxy_repository
        from runlab.store.uri import resolve

        return proxy_repository(artifact_uri, resolve(tracking_uri))
    factory = _factories.get(scheme)
    if factory is None:
        supported = ", ".join(sorted(_factories))
        raise InvalidInputError(
            f"artifact URI {artifact_uri!r}: scheme {scheme!r} is not supported "
            f"(supported: {supported}, or a plain path)"
        )
    return factory(artifact_uri)


def _s3_repository(artifact_uri: str) -> ArtifactRepository:
    from runlab.store.artifacts.s3 import S3ArtifactRepository  # boto3 loads only now

    return S3ArtifactRepository(artifact_uri)


def _gcs_repository(artifact_uri: str) -> ArtifactRepository:
    from runlab.store.artifacts.gcs import GCSArtifactRepository  # google-cloud-storage loads now

    return GCSArtifactRepository(artifact_uri)


def _azure_repository(artifact_uri: str) -> ArtifactRepository:
    from runlab.store.artifacts.azure import AzureBlobArtifactRepository  # the SDK loads now

    return AzureBlobArtifactRepository(artifact_uri)


def _sftp_repository(artifact_uri: str) -> ArtifactRepository:
    from runlab.store.artifacts.sftp import SFTPArtifactRepository  # paramiko loads now

    return SFTPArtifactRepository(artifact_uri)


def _http_repository(artifact_uri: str) -> ArtifactRepository:
    from runlab.store.artifacts.http import HttpArtifactRepository

    return HttpArtifactRepository(artifact_uri)


register_artifact_repository("file", LocalArtifactRepository)
register_artifact_repository("s3", _s3_repository)
register_artifact_repository("gs", _gcs_repository)
register_artifact_repository("wasbs", _azure_repository)
register_artifact_repository("abfss", _azure_repository)
register_artifact_repository("sftp", _sftp_repository)
register_artifact_repository("http", _http_repository)
register_artifact_repository("https", _http_repository)
