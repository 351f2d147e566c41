"""A run's files through a tracking server's artifact proxy.

A server started with an artifacts destination gives its runs ``mlflow-artifacts:``
artifact URIs and serves the files under ``/api/2.0/mlflow-artifacts/artifacts/``:

* ``mlflow-artifacts:/1/<run>/artifacts`` is served at
  ``<tracking URI>/api/2.0/mlflow-artifacts/artifacts/1/<run>/artifacts``;
* ``mlflow-artifacts://host:port/1/<run>/artifacts`` names its server, reached with the
  tracking URI's scheme (``http`` when that is not an HTTP URI);
* ``http(s)://host/…/api/2.0/mlflow-artifacts/artifacts/<path>`` is used as it is.

The repository is a client of the same server as the REST store: it shares that store's
connection pool, credentials, retries and error mapping (:mod:`runlab.store.rest._http`).
Files move in 1 MB chunks in both directions, so a file of any size never sits in memory
whole.
"""

from __future__ import annotations

import io
import os
import posixpath
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any, BinaryIO, cast
from urllib.parse import quote, unquote, urlsplit

from runlab.errors import InvalidInputError, NotFoundError, NotSupportedError, StorageError
from runlab.store.artifacts import _multipart, _paths
from runlab.store.artifacts.base import ArtifactRepository, FileInfo
from runlab.store.artifacts.local import plan_directory_upload, plan_file_upload
from runlab.store.rest._http import HttpSession

if TYPE_CHECKING:
    import httpx

__all__ = ["PROXY_PATH", "HttpArtifactRepository", "proxy_repository", "proxy_url"]

PROXY_PATH = "/api/2.0/mlflow-artifacts/artifacts"
MPU_PATH = "/api/2.0/mlflow-artifacts/mpu"
CHUNK = _paths.COPY_CHUNK_SIZE


def proxy_url(artifact_uri: str, tracking_uri: str | None) -> str:
    """The ``http(s)`` URL of a ``mlflow-artifacts:`` URI on its tracking server."""
    parts = urlsplit(artifact_uri)
    path = parts.path.strip("/")
    tracking = urlsplit(tracking_uri or "")
    if parts.netloc:
        scheme = tracking.scheme if tracking.scheme in ("http", "https") else "http"
        base = f"{scheme}://{parts.netloc}"
    elif tracking.scheme in ("http", "https") and tracking.netloc:
        base = (tracking_uri or "").rstrip("/")
    else:
        raise InvalidInputError(
            f"artifact URI {artifact_uri!r} names a file on a tracking server's artifact "
            f"proxy, but the tracking URI {tracking_uri!r} is not that server's http(s):// "
            "URL: set it with runlab.set_tracking_uri() or RUNLAB_TRACKING_URI"
        )
    return f"{base}{PROXY_PATH}/{quote(unquote(path), safe='/')}" if path else f"{base}{PROXY_PATH}"


def proxy_repository(artifact_uri: str, tracking_uri: str | None) -> HttpArtifactRepository:
    """The repository of a ``mlflow-artifacts:`` URI, resolved against ``tracking_uri``."""
    return HttpArtifactRepository(proxy_url(artifact_uri, tracking_uri), shown_as=artifact_uri)


class HttpArtifactRepository(ArtifactRepository):
    """Files below one directory of a tracking server's artifact proxy."""

    def __init__(
        self, artifact_uri: str, shown_as: str | None = None, *, send_credentials: bool = True
    ) -> None:
        super().__init__(shown_as or artifact_uri)
        parts = urlsplit(artifact_uri)
        prefix, marker, root = parts.path.partition(PROXY_PATH)
        if parts.scheme not in ("http", "https") or not marker or root[:1] not in ("", "/"):
            raise InvalidInputError(
                f"artifact URI {artifact_uri!r}: an http(s) artifact URI must point into a "
                f"tracking server's artifact proxy (…{PROXY_PATH}/<path>)"
            )
        self.url = artifact_uri
        self.root = _paths.normalize(unquote(root.strip("/")))
        self.http = HttpSession(
            f"{parts.scheme}://{parts.netloc}{prefix}", send_credentials=send_credentials
        )

    def _endpoint(self, relative: str) -> str:
        full = _paths.join(self.root, relative)
        return f"{PROXY_PATH}/{quote(full, safe='/')}" if full else PROXY_PATH

    # ------------------------------------------------------------------- writes
    def log_artifact(
        self, local_file: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        self._upload(*plan_file_upload(local_file, artifact_path))

    def log_artifacts(
        self, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        _, plan = plan_directory_upload(local_dir, artifact_path)
        for path, relative in plan:
            self._upload(path, relative)

    def write_bytes(self, artifact_path: str, data: bytes) -> None:
        relative = _paths.normalize(artifact_path)
        if not relative:
            raise InvalidInputError("artifact path '' names the artifact root, not a file")
        with self.http.send(
            "PUT",
            self._endpoint(relative),
            content=bytes(data),
            headers={"Content-Type": "application/octet-stream"},
            repeatable=True,  # a PUT replaces the file: sending it twice changes nothing
        ):
            pass

    def _upload(self, source: str, relative: str) -> None:
        if not relative:
            raise InvalidInputError("artifact path '' names the artifact root, not a file")
        try:
            size = os.stat(source).st_size
        except OSError as exc:
            raise StorageError(f"could not read {source!r}: {exc.strerror or exc}") from exc
        with self.http.send(
            "PUT",
            self._endpoint(relative),
            content=lambda: _file_chunks(source),
            headers={
                "Content-Type": "application/octet-stream",
                "Content-Length": str(size),  # not chunked: every server reads a sized body
            },
            repeatable=True,
        ):
            pass

    def delete_artifacts(self, path: str | None = None) -> None:
        relative = _paths.normalize(path)
        try:
            with self.http.send("DELETE", self._endpoint(relative), repeatable=True):
                pass
        except NotFoundError:
            pass  # already gone

    # ------------------------------------------------------------ multipart uploads
    # The server's multipart routes (MLflow's wire); part URLs are the server's own, so
    # parts go to ``mpu/upload/<upload id>/<part>`` whichever instance began the upload.
    def begin_multipart(self, artifact_path: str, num_parts: int) -> str:
        answer = self.http.call(
            "POST",
            self._mpu("create", artifact_path),
            body={"path": posixpath.basename(artifact_path), "num_parts": num_parts},
            repeatable=False,
        )
        return str(answer["upload_id"])

    def put_part(self, upload_id: str, part_number: int, stream: BinaryIO) -> str:
        _multipart.check_upload_id(upload_id)  # before it becomes part of a URL
        data = stream.read()  # one part: bounded by the caller's part size
        endpoint = f"{MPU_PATH}/upload/{upload_id}/{int(part_number)}"
        with self.http.send(
            "PUT",
            endpoint,
            content=data,
            headers={"Content-Type": "application/octet-stream"},
            repeatable=True,  # storing a part again replaces it
        ) as response:
            return str(response.headers.get("ETag", ""))

    def complete_multipart(
        self, upload_id: str, artifact_path: str, parts: Sequence[int] | None = None
    ) -> None:
        body: dict[str, object] = {
            "path": posixpath.basename(artifact_path),
            "upload_id": upload_id,
            "parts": [{"part_number": n, "etag": ""} for n in parts or ()],
        }
        self.http.call("POST", self._mpu("complete", artifact_path), body=body, repeatable=False)

    def abort_multipart(self, upload_id: str, artifact_path: str) -> None:
        body = {"path": posixpath.basename(artifact_path), "upload_id": upload_id}
        self.http.call("POST", self._mpu("abort", artifact_path), body=body, repeatable=False)

    def multipart_upload(self, upload_id: str) -> Any:
        raise NotSupportedError("a tracking server does not show its multipart uploads")

    def _mpu(self, action: str, artifact_path: str) -> str:
        relative = _paths.normalize(artifact_path)
        if not relative:
            raise InvalidInputError("artifact path '' names the artifact root, not a file")
        directory = _paths.join(self.root, posixpath.dirname(relative))
        return f"{MPU_PATH}/{action}/{quote(directory, safe='/')}"

    # -------------------------------------------------------------------- reads
    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        relative = _paths.normalize(path)
        full = _paths.join(self.root, relative)
        params = {"path": full} if full else None
        answer = self.http.call("GET", PROXY_PATH, params=params, repeatable=True)
        infos = []
        for entry in answer.get("files") or ():
            name = str(entry.get("path", ""))
            # Servers name entries by their base name; accept a path below ``full`` too.
            if full and name.startswith(full + "/"):
                name = name[len(full) + 1 :]
            size = entry.get("file_size")
            is_dir = bool(entry.get("is_dir", False))
            infos.append(
                FileInfo(
                    _paths.join(relative, name),
                    is_dir=is_dir,
                    file_size=None if is_dir or size is None else int(size),
                )
            )
        return sorted(infos, key=lambda info: info.path)

    def open_artifact(self, path: str) -> BinaryIO:
        relative = _paths.normalize(path)
        if not relative:
            raise InvalidInputError("artifact path '' names the artifact root, not a file")
        stack = ExitStack()
        response = stack.enter_context(
            self.http.send("GET", self._endpoint(relative), repeatable=True)
        )
        return cast(BinaryIO, _ResponseStream(response, stack.close))

    def download_artifacts(self, artifact_path: str = "", dst_path: str | None = None) -> str:
        return self._download_via_listing(artifact_path, dst_path)


# ----------------------------------------------------------------------------- helpers
def _file_chunks(source: str) -> Iterator[bytes]:
    with open(source, "rb") as stream:
        while chunk := stream.read(CHUNK):
            yield chunk


class _ResponseStream(io.RawIOBase):
    """A readable binary file over a streamed response body."""

    def __init__(self, response: httpx.Response, close: Callable[[], None]) -> None:
        super().__init__()
        self._chunks = response.iter_bytes(CHUNK)
        self._pending = b""
        self._close = close
        self._url = str(response.request.url)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        import httpx

        if not self._pending:
            try:
                self._pending = next(self._chunks, b"")
            except httpx.HTTPError as exc:
                raise StorageError(f"GET {self._url}: the download broke off: {exc}") from exc
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        if not self.closed:
            self._close()
        super().close()
