"""``/mlflow-artifacts/*``: the artifact proxy. Clients read and write files through the
server, which keeps them in the artifacts destination (a folder, or any URI a registered
artifact backend serves), so clients need no storage credentials.

Multipart uploads: MLflow clients with ``MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true`` ask
``mpu/create`` for one URL per part and ``PUT`` each part there. Here those URLs point back
at this server (``mpu/upload/<upload_id>/<part>``), which spools parts to a local staging
folder; ``mpu/complete`` streams them, in order, into the destination with one
``write_stream``. It works with every destination, and parts upload in parallel.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import tempfile
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from runlab.artifacts import _paths
from runlab.artifacts.base import ArtifactRepository
from runlab.errors import InvalidInputError, NotFoundError
from runlab.server import _schemas
from runlab.server._artifact_access import FILE_RESPONSE, stream_file
from runlab.server._deps import Artifacts
from runlab.server._routing import JsonRoute
from runlab.server._streams import BodyReader, ChainedFiles
from runlab.server._wire import Int64, WireModel

router = APIRouter(tags=["artifact proxy"], route_class=JsonRoute)

CHUNK = _paths.COPY_CHUNK_SIZE
MAX_PARTS = 10_000
_UPLOAD_ID_RE = re.compile(r"^[0-9a-f]{32}$")
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
def list_artifacts(destination: Artifacts, path: str | None = None) -> dict[str, Any]:
    """Entries directly inside directory ``path`` (names relative to it)."""
    return _listing(_repo(destination), path)


@router.get("/artifacts/{path:path}", response_class=StreamingResponse, responses=FILE_RESPONSE)
def download_artifact(destination: Artifacts, path: str) -> StreamingResponse:
    return stream_file(_repo(destination), _file_path(path))


@router.put("/artifacts/{path:path}", openapi_extra=_BINARY_BODY)
async def upload_artifact(request: Request, destination: Artifacts, path: str) -> Any:
    import anyio.to_thread

    relative = _file_path(path)  # checked before a byte of the body is read
    repo = _repo(destination)
    reader = io.BufferedReader(BodyReader(request.stream().__aiter__()), CHUNK)
    await anyio.to_thread.run_sync(repo.write_stream, relative, reader)
    return {}


@router.delete("/artifacts/{path:path}")
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


def staging_root() -> str:
    # Shared by every worker process on this machine, so a part may reach any of them.
    return os.path.join(tempfile.gettempdir(), "runlab-multipart")


def _staging(upload_id: str) -> str:
    if not _UPLOAD_ID_RE.match(upload_id):
        raise InvalidInputError(f"upload_id {upload_id!r} is not a valid upload id")
    folder = os.path.join(staging_root(), upload_id)
    if not os.path.isdir(folder):
        raise NotFoundError(f"multipart upload {upload_id!r} does not exist (or has ended)")
    return folder


def _manifest(folder: str) -> dict[str, Any]:
    with open(os.path.join(folder, "upload.json")) as handle:
        return dict(json.load(handle))


def _target(directory: str, local_file: str) -> str:
    # The client names its local file; only the base name becomes the artifact's name.
    name = local_file.replace("\\", "/").rsplit("/", 1)[-1]
    return _file_path(_paths.join(_paths.normalize(directory), _paths.normalize(name)))


@router.post("/mpu/create/{path:path}", response_model=_schemas.CreateMultipartOut)
def create_multipart_upload(
    request: Request, body: CreateMultipart, destination: Artifacts, path: str
) -> dict[str, Any]:
    _repo(destination)
    target = _target(path, body.path)
    if not 1 <= body.num_parts <= MAX_PARTS:
        raise InvalidInputError(f"num_parts must be between 1 and {MAX_PARTS}")
    upload_id = uuid.uuid4().hex
    folder = os.path.join(staging_root(), upload_id)
    os.makedirs(folder, exist_ok=False)
    with open(os.path.join(folder, "upload.json"), "w") as handle:
        json.dump({"target": target, "num_parts": body.num_parts}, handle)
    base = str(request.url_for("upload_multipart_part", upload_id=upload_id, part_number=0))
    base = base.rsplit("/", 1)[0]
    credentials = [
        {"part_number": n, "url": f"{base}/{n}", "headers": {}}
        for n in range(1, body.num_parts + 1)
    ]
    return {"upload_id": upload_id, "credentials": credentials}


@router.put("/mpu/upload/{upload_id}/{part_number}", openapi_extra=_BINARY_BODY)
async def upload_multipart_part(request: Request, upload_id: str, part_number: int) -> Any:
    import anyio.to_thread
    from fastapi.responses import JSONResponse

    folder = _staging(upload_id)
    manifest = _manifest(folder)
    if not 1 <= part_number <= manifest["num_parts"]:
        raise InvalidInputError(
            f"part_number must be between 1 and {manifest['num_parts']}, got {part_number}"
        )
    reader = io.BufferedReader(BodyReader(request.stream().__aiter__()), CHUNK)
    dest = os.path.join(folder, f"part-{part_number:05d}")
    await anyio.to_thread.run_sync(_paths.atomic_write, dest, reader)
    etag = f'"{upload_id}-{part_number}"'
    return JSONResponse({}, headers={"ETag": etag})


@router.post("/mpu/complete/{path:path}", response_model=_schemas.Empty)
def complete_multipart_upload(
    body: CompleteMultipart, destination: Artifacts, path: str
) -> dict[str, Any]:
    repo = _repo(destination)
    folder = _staging(body.upload_id)
    manifest = _manifest(folder)
    target = _target(path, body.path)
    if target != manifest["target"]:
        raise InvalidInputError(
            f"path: upload {body.upload_id!r} was created for {manifest['target']!r}, "
            f"not {target!r}"
        )
    numbers = sorted(p.part_number for p in body.parts) or list(range(1, manifest["num_parts"] + 1))
    if numbers != list(range(1, len(numbers) + 1)):
        raise InvalidInputError("parts: part numbers must run 1, 2, 3... without gaps")
    files = [os.path.join(folder, f"part-{n:05d}") for n in numbers]
    missing = [n for n, f in zip(numbers, files, strict=True) if not os.path.isfile(f)]
    if missing:
        raise InvalidInputError(f"parts: part(s) {missing} were never uploaded")
    with io.BufferedReader(ChainedFiles(files), CHUNK) as stream:
        repo.write_stream(target, stream)
    shutil.rmtree(folder, ignore_errors=True)
    return {}


@router.post("/mpu/abort/{path:path}", response_model=_schemas.Empty)
def abort_multipart_upload(
    body: AbortMultipart, destination: Artifacts, path: str
) -> dict[str, Any]:
    _repo(destination)
    shutil.rmtree(_staging(body.upload_id), ignore_errors=True)
    return {}
