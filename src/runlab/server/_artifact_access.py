"""Which repository holds a run's artifacts, seen from the server."""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import urlsplit

from runlab.errors import InvalidInputError
from runlab.server._locations import PROXY_SCHEME, LocationPolicy
from runlab.store.artifacts import _paths, get_artifact_repository
from runlab.store.artifacts.base import ArtifactRepository

if TYPE_CHECKING:
    from fastapi.responses import StreamingResponse

__all__ = [
    "FILE_RESPONSE",
    "PROXY_SCHEME",
    "content_disposition",
    "repository_for",
    "stream_file",
]

CHUNK = _paths.COPY_CHUNK_SIZE
# Served as plain text: a browser must never run an uploaded page or script in our origin.
_ACTIVE_TYPES = ("text/html", "application/javascript", "text/javascript", "image/svg+xml")
FILE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
    }
}


def repository_for(
    artifact_uri: str, destination: ArtifactRepository | None, locations: LocationPolicy
) -> tuple[ArtifactRepository, str]:
    """A repository and the path prefix inside it where ``artifact_uri``'s files are.

    ``mlflow-artifacts:/<path>`` URIs live in the proxy's destination under ``<path>``;
    any other URI (a folder, ``s3://``) is opened directly, with no prefix, once
    ``locations`` allows it. An ``http(s)`` location is read without the server's own
    credentials.
    """
    locations.check_stored(artifact_uri)
    parsed = urlsplit(artifact_uri)
    scheme = parsed.scheme.lower()
    if scheme == PROXY_SCHEME:
        if destination is None:
            raise InvalidInputError(
                f"artifact URI {artifact_uri!r} is served by the artifact proxy, which this "
                "server runs without (--no-serve-artifacts)"
            )
        return destination, _paths.normalize(parsed.path.lstrip("/"))
    if scheme in ("http", "https"):
        from runlab.store.artifacts.http import HttpArtifactRepository

        return HttpArtifactRepository(artifact_uri, send_credentials=False), ""
    return get_artifact_repository(artifact_uri), ""


def list_json(
    artifact_uri: str,
    destination: ArtifactRepository | None,
    path: str | None,
    locations: LocationPolicy,
) -> dict[str, Any]:
    """The files in folder ``path`` of ``artifact_uri``, in MLflow's ListArtifacts shape."""
    relative = _paths.normalize(path)
    repo, prefix = repository_for(artifact_uri, destination, locations)
    files = []
    for entry in repo.list_artifacts(_paths.join(prefix, relative)):
        item: dict[str, Any] = {
            "path": entry.path[len(prefix) + 1 :] if prefix else entry.path,
            "is_dir": entry.is_dir,
        }
        if entry.file_size is not None:
            item["file_size"] = entry.file_size
        files.append(item)
    return {"root_uri": artifact_uri, "files": files}


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    try:
        while chunk := stream.read(CHUNK):
            yield chunk
    finally:
        stream.close()


def content_disposition(kind: str, name: str) -> str:
    """``kind; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>`` (RFC 6266,
    RFC 5987): every client gets a usable name, modern ones the exact one. Quotes,
    backslashes, control characters and ``;`` never reach the header as they are, so a
    file name cannot end the parameter or add one."""
    from urllib.parse import quote

    fallback = (
        "".join(c if " " <= c <= "~" and c not in '"\\;%' else "_" for c in name).strip()
        or "download"
    )
    encoded = quote(name, safe="", errors="surrogatepass")
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def stream_file(
    repo: ArtifactRepository,
    path: str,
    *,
    disposition: str = "attachment",
    headers: dict[str, str] | None = None,
) -> StreamingResponse:
    """File ``path`` of ``repo`` as a streamed response (opened first, so a missing file
    is a 404 before anything is sent); ``headers`` are added to the answer's."""
    from fastapi.responses import StreamingResponse

    stream = repo.open_artifact(path)
    media_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    if media_type in _ACTIVE_TYPES:
        media_type = "text/plain"
    answer_headers = {
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": content_disposition(disposition, path.rsplit("/", 1)[-1]),
        **(headers or {}),
    }
    return StreamingResponse(_chunks(stream), media_type=media_type, headers=answer_headers)
