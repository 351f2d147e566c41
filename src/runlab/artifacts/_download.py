"""``runlab.artifacts.download_artifacts``: fetch files by run, by ``runs:/`` or
``models:/`` URI, or by any artifact URI."""

from __future__ import annotations

import posixpath
from urllib.parse import urlsplit, urlunsplit

from runlab.errors import InvalidInputError

__all__ = ["download_artifacts"]


def download_artifacts(
    artifact_uri: str | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
    dst_path: str | None = None,
    tracking_uri: str | None = None,
) -> str:
    """Download a file or a directory and return its local path.

    Pass either ``artifact_uri`` (``runs:/<run_id>/<path>``, ``models:/<name>/<version>``
    and the other ``models:/`` forms, or any artifact URI), or ``run_id`` with an optional
    ``artifact_path``. ``dst_path`` is created if needed; it defaults to a new temporary
    directory.
    """
    from runlab.tracking.client import RunlabClient

    if artifact_uri is not None and (run_id is not None or artifact_path is not None):
        raise InvalidInputError(
            "download_artifacts: pass artifact_uri alone, or run_id with artifact_path"
        )
    if artifact_uri is None and run_id is None:
        raise InvalidInputError("download_artifacts: pass artifact_uri or run_id")
    client = RunlabClient(tracking_uri)
    if run_id is not None:
        return client.download_artifacts(run_id, artifact_path or "", dst_path)
    assert artifact_uri is not None
    from runlab.tracking.model_uris import resolve_model_uri

    resolved = resolve_model_uri(artifact_uri, client)
    root, name = _split_last(resolved)
    from runlab.artifacts import get_artifact_repository

    return get_artifact_repository(root).download_artifacts(name, dst_path)


def _split_last(uri: str) -> tuple[str, str]:
    """``scheme://host/a/b/c`` → (``scheme://host/a/b``, ``c``): the repository holding
    the target and the target's name in it."""
    parts = urlsplit(uri)
    if len(parts.scheme) <= 1:  # a plain path (or a Windows drive letter)
        parent, name = posixpath.split(uri.rstrip("/"))
        return parent or ".", name
    path = parts.path.rstrip("/")
    parent, name = posixpath.split(path)
    if not name:
        raise InvalidInputError(
            f"artifact URI {uri!r} names no file or directory to download (it is a root)"
        )
    return urlunsplit((parts.scheme, parts.netloc, parent or "/", parts.query, "")), name
