"""``/mlflow-artifacts/*``: the artifact proxy. Clients read and write files through the
server, which keeps them in the artifacts destination (a folder, or any URI a registered
artifact backend serves), so clients need no storage credentials.

Multipart uploads: MLflow clients with ``MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true`` ask
``mpu/create`` for one URL per part and ``PUT`` each part there. Here those URLs point back
at the server (``mpu/upload/<upload_id>/<part>``), and the destination repository keeps
the upload (``begin_multipart``, ``put_part``, ``complete_multipart``): its state lives in
the destination, not in this process, so with several servers behind a load balancer
any of them can take any part or complete the upload.
"""

from __future__ import annotations

import io
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from runlab.errors import InvalidInputError, NotFoundError
from runlab.server import _schemas
from runlab.server._artifact_access import FILE_RESPONSE, stream_file
from runlab.server._deps import Artifacts
from runlab.server._routing import JsonRoute
from runlab.server._streams import BodyReader, require_declared_length
from runlab.server._wire import Int64, WireModel
from runlab.server.auth.rules import access, artifact_path
from runlab.store.artifacts import _multipart, _paths
from runlab.store.artifacts.base import ArtifactRepository

router = APIRouter(tags=["artifact proxy"], route_class=JsonRoute)

CHUNK = _paths.COPY_CHUNK_SIZE
_BINARY_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


def _repo(destination: ArtifactRepository | None) -> ArtifactRepository:
    if destination is None:  # routes are only mounted with the proxy on; kept for safety
        raise NotFoundError("this server does not serve artifacts (--no-serve-artifacts)")
    return destination


def _file_path(path: str) -> str:
    relative = _paths.normalize(path)
    if not relative:
        raise InvalidInputError("path: names the artifact root, not a file")
    return relative


def _listing(repo: ArtifactRepository, path: str | None) -> dict[str, Any]:
    relative = _paths.normalize(path)
    files = []
    for entry in repo.list_artifacts(relative):
        item: dict[str, Any] = {"path": entry.path.rsplit("/", 1)[-1], "is_dir": entry.is_dir}
        if entry.file_size is not None:
            item["file_size"] = entry.file_size
        files.append(item)
    return {"files": files}


@router.get("/artifacts", response_model=_schemas.ProxyListOut)
@access("read", artifact_path())
def list_artifacts(destination: Artifacts, path: str | None = None) -> dict[str, Any]:
    """Entries directly inside directory ``path`` (names relative to it)."""
    return _listing(_repo(destination), path)


@router.get("/artifacts/{path:path}", response_class=StreamingResponse, responses=FILE_RESPONSE)
@access("read", artifact_path())
def download_artifact(destination: Artifacts, path: str) -> StreamingResponse:
    return stream_file(_repo(destination), _file_path(path))


@router.put("/artifacts/{path:path}", openapi_extra=_BINARY_BODY)
@access("edit", artifact_path())
async def upload_artifact(request: Request, destination: Artifacts, path: str) -> Any:
    import anyio.to_thread

    relative = _file_path(path)  # checked before a byte of the body is read
    require_declared_length(request.headers)
    repo = _repo(destination)
    reader = io.BufferedReader(BodyReader(request.stream().__aiter__()), CHUNK)
    await anyio.to_thread.run_sync(repo.write_stream, relative, reader)
    return {}


@router.delete("/artifacts/{path:path}")
@access("manage", artifact_path())
def delete_artifact(destination: Artifacts, path: str) -> dict[str, Any]:
    _repo(destination).delete_artifacts(_file_path(path))
    return {}


# ------------------------------------------------------------------ multipart uploads
class CreateMultipart(WireModel):
    path: str
    num_parts: Int64 = 1


class PartIn(WireModel):
    part_number: Int64
    etag: str = ""
    url: str | None = None


class CompleteMultipart(WireModel):
    path: str
    upload_id: str
    parts: list[PartIn] = []


class AbortMultipart(WireModel):
    path: str
    upload_id: str


def _target(directory: str, local_file: str) -> str:
    # The client names its local file; only the base name becomes the artifact's name.
    name = local_file.replace("\\", "/").rsplit("/", 1)[-1]
    return _file_path(_paths.join(_paths.normalize(directory), _paths.normalize(name)))


@router.post("/mpu/create/{path:path}", response_model=_schemas.CreateMultipartOut)
@access("edit", artifact_path())
def create_multipart_upload(
    request: Request, body: CreateMultipart, destination: Artifacts, path: str
) -> dict[str, Any]:
    repo = _repo(destination)
    target = _target(path, body.path)
    upload_id = repo.begin_multipart(target, body.num_parts)
    base = str(request.url_for("upload_multipart_part", upload_id=upload_id, part_number=0))
    base = base.rsplit("/", 1)[0]
    credentials = [
        {"part_number": n, "url": f"{base}/{n}", "headers": {}}
        for n in range(1, body.num_parts + 1)
    ]
    return {"upload_id": upload_id, "credentials": credentials}


@router.put("/mpu/upload/{upload_id}/{part_number}", openapi_extra=_BINARY_BODY)
@access("authenticated")
async def upload_multipart_part(
    request: Request, destination: Artifacts, upload_id: str, part_number: str
) -> Any:
    import anyio.to_thread
    from fastapi.responses import JSONResponse

    repo = _repo(destination)
    # All checked before a byte of the body is read.
    require_declared_length(request.headers)
    _multipart.check_upload_id(upload_id)
    if not part_number.isdigit() or len(part_number) > 5:
        raise InvalidInputError(
            f"part_number must be a whole number from 1 to {_multipart.MAX_PARTS}, "
            f"got {part_number!r}"
        )
    reader = io.BufferedReader(BodyReader(request.stream().__aiter__()), CHUNK)
    etag = await anyio.to_thread.run_sync(repo.put_part, upload_id, int(part_number), reader)
    return JSONResponse({}, headers={"ETag": etag})


@router.post("/mpu/complete/{path:path}", response_model=_schemas.Empty)
@access("edit", artifact_path())
def complete_multipart_upload(
    body: CompleteMultipart, destination: Artifacts, path: str
) -> dict[str, Any]:
    repo = _repo(destination)
    _multipart.check_upload_id(body.upload_id)
    numbers = [p.part_number for p in body.parts]
    repo.complete_multipart(body.upload_id, _target(path, body.path), numbers)
    return {}


@router.post("/mpu/abort/{path:path}", response_model=_schemas.Empty)
@access("edit", artifact_path())
def abort_multipart_upload(
    body: AbortMultipart, destination: Artifacts, path: str
) -> dict[str, Any]:
    repo = _repo(destination)
    _multipart.check_upload_id(body.upload_id)
    repo.abort_multipart(body.upload_id, _target(path, body.path))
    return {}
