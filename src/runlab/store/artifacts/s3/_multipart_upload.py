"""Multipart uploads into S3: large parts go into S3's own upload, small ones are staged."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from runlab.errors import InvalidInputError, StorageError
from runlab.store.artifacts import _multipart, _paths
from runlab.store.artifacts.base import ArtifactRepository

try:
    from botocore.exceptions import ClientError
except ImportError:  # pragma: no cover - the repository says boto3 is missing
    ClientError = None

from runlab.store.artifacts.s3.settings import MB, S3_MIN_PART_SIZE, S3Settings


def _native_id(manifest: _multipart.Manifest) -> str:
    native = manifest.extra.get("s3_upload_id")
    if not isinstance(native, str) or not native:
        raise StorageError(
            f"multipart upload {manifest.upload_id!r} was not begun as an S3 upload "
            "(its manifest has no S3 upload id)"
        )
    return native


# Arguments of an upload that every UploadPart and CompleteMultipartUpload must repeat.
_PER_PART_ARGS = (
    "SSECustomerAlgorithm",
    "SSECustomerKey",
    "SSECustomerKeyMD5",
    "RequestPayer",
    "ExpectedBucketOwner",
)


class S3MultipartMethods(ArtifactRepository):
    """Mixed into :class:`~runlab.store.artifacts.s3.repository.S3ArtifactRepository`."""

    bucket: str
    client: Any
    settings: S3Settings

    if TYPE_CHECKING:  # provided by the repository

        def _errors(
            self, action: str, relative: str
        ) -> contextlib.AbstractContextManager[None]: ...
        def _key(self, relative: str) -> str: ...
        def _dir_prefix(self, relative: str) -> str: ...
        def _extra_args(self) -> dict[str, Any]: ...
        def _delete_keys(self, keys: list[str]) -> None: ...

    # -------------------------------------------------------- multipart uploads
    # Parts of at least S3's minimum size go straight into S3's own multipart upload,
    # begun with ours, so completing a large file copies nothing. Smaller parts (MLflow
    # clients may be set to send any size) are staged as objects: when every part is
    # small they are joined like on any store, and a small last part after large ones
    # is sent into S3's upload on completion.

    def _begin_native_multipart(self, target: str) -> dict[str, object]:
        with self._errors("begin an upload of", target):
            response = self.client.create_multipart_upload(
                Bucket=self.bucket, Key=self._key(target), **self._extra_args()
            )
        return {"s3_upload_id": str(response["UploadId"])}

    def put_part(self, upload_id: str, part_number: int, stream: BinaryIO) -> str:
        import shutil
        import tempfile

        manifest = self.multipart_upload(upload_id)
        number = _multipart.check_part_number(manifest, part_number)
        with tempfile.TemporaryFile(prefix="runlab-part-") as spool:
            # A seekable copy: its size decides where it goes, and boto3 may resend it.
            shutil.copyfileobj(stream, spool, _paths.COPY_CHUNK_SIZE)
            size = spool.tell()
            spool.seek(0)
            if size < S3_MIN_PART_SIZE:
                self._staged_write(
                    _multipart.staged_path(upload_id, _multipart.part_name(number)), spool
                )
                return f'"{upload_id}-{number}"'
            return self._upload_native_part(manifest, number, spool)

    def complete_multipart(
        self, upload_id: str, artifact_path: str, parts: Sequence[int] | None = None
    ) -> None:
        manifest = self.multipart_upload(upload_id)
        _multipart.check_target(manifest, artifact_path)
        numbers = _multipart.part_numbers(manifest, parts)
        folder = _multipart.staged_path(upload_id)
        staged = {
            n: size
            for name, size in self._staged_files(folder).items()
            if (n := _multipart.parse_part_name(name)) is not None
        }
        native = self._native_parts(manifest)
        missing = [n for n in numbers if n not in staged and n not in native]
        if missing:
            raise InvalidInputError(f"parts: part(s) {missing[:20]} were never uploaded")
        if not any(n in native for n in numbers):
            self._join_staged(manifest, numbers)
            self._abort_native(manifest)
        else:
            small = [n for n in numbers if n not in native and n != numbers[-1]]
            if small:
                raise InvalidInputError(
                    f"parts: part {small[0]} has {staged[small[0]]} bytes, but S3 needs at "
                    f"least {S3_MIN_PART_SIZE // MB} MB in every part but the last once "
                    "any part is that large; send parts of one size"
                )
            last = numbers[-1]
            if last not in native:  # a small last part: into S3's upload now
                native[last] = self._send_staged_part(manifest, last)
            with self._errors("complete the upload of", manifest.target):
                self.client.complete_multipart_upload(
                    MultipartUpload={
                        "Parts": [{"PartNumber": n, "ETag": native[n]} for n in numbers]
                    },
                    **self._native_args(manifest),
                )
        self._staged_delete(folder)

    def abort_multipart(self, upload_id: str, artifact_path: str) -> None:
        manifest = self.multipart_upload(upload_id)
        _multipart.check_target(manifest, artifact_path)
        self._abort_native(manifest)
        self._staged_delete(_multipart.staged_path(upload_id))

    def _native_parts(self, manifest: _multipart.Manifest) -> dict[int, str]:
        """Part number → ETag of the parts S3's own upload holds."""
        found: dict[int, str] = {}
        with self._errors("list the parts of", manifest.target):
            pages = self.client.get_paginator("list_parts").paginate(**self._native_args(manifest))
            for page in pages:
                for part in page.get("Parts", []):
                    found[int(part["PartNumber"])] = str(part["ETag"])
        return found

    def _send_staged_part(self, manifest: _multipart.Manifest, number: int) -> str:
        path = _multipart.staged_path(manifest.upload_id, _multipart.part_name(number))
        with self._staged_open(path) as stream:
            data = stream.read()  # below S3's minimum part size
        return self._upload_native_part(manifest, number, data)

    def _upload_native_part(
        self, manifest: _multipart.Manifest, number: int, body: BinaryIO | bytes
    ) -> str:
        """Send part ``number`` into S3's own upload; its ETag."""
        with self._errors("upload a part of", manifest.target):
            response = self.client.upload_part(
                PartNumber=number, Body=body, **self._native_args(manifest)
            )
        return str(response["ETag"])

    def _abort_native(self, manifest: _multipart.Manifest) -> None:
        args = self._native_args(manifest)
        with self._errors("abort the upload of", manifest.target):
            try:
                self.client.abort_multipart_upload(
                    **{k: v for k, v in args.items() if not k.startswith("SSE")}
                )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "NoSuchUpload":
                    raise  # an upload already ended is what abort wants

    def _native_args(self, manifest: _multipart.Manifest) -> dict[str, Any]:
        """The arguments naming S3's own upload, with those every call on it repeats."""
        extra = self.settings.upload_extra_args
        return {
            "Bucket": self.bucket,
            "Key": self._key(manifest.target),
            "UploadId": _native_id(manifest),
            **{name: extra[name] for name in _PER_PART_ARGS if name in extra},
        }

    # Staged objects live below the hidden staging folder at the root of the prefix.
    def _staged_write(self, path: str, data: BinaryIO | bytes) -> None:
        with self._errors("stage", path):
            self.client.put_object(
                Bucket=self.bucket, Key=self._key(path), Body=data, **self._extra_args()
            )

    def _staged_open(self, path: str) -> BinaryIO:
        with self._errors("read", path):
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(path))
        return cast(BinaryIO, response["Body"])

    def _staged_files(self, folder: str) -> dict[str, int]:
        prefix = self._dir_prefix(folder)
        found: dict[str, int] = {}
        with self._errors("list", folder):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix, Delimiter="/"
            )
            for page in pages:
                for obj in page.get("Contents", []):
                    found[obj["Key"][len(prefix) :]] = int(obj["Size"])
        return found

    def _staged_delete(self, folder: str) -> None:
        with self._errors("delete", folder):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self._dir_prefix(folder)
            )
            for page in pages:
                self._delete_keys([obj["Key"] for obj in page.get("Contents", [])])
