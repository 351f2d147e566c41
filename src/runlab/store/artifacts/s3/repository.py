"""The S3 artifact repository: files under ``s3://bucket/prefix``."""

from __future__ import annotations

import contextlib
import os
from typing import Any, BinaryIO, cast

from runlab.errors import InvalidInputError, NotFoundError, StorageError
from runlab.store.artifacts import _paths
from runlab.store.artifacts.base import ArtifactRepository, FileInfo
from runlab.store.artifacts.local import plan_directory_upload, plan_file_upload

try:
    import boto3
    from boto3.s3.transfer import create_transfer_manager
    from botocore.exceptions import ClientError
except ImportError:  # pragma: no cover - exercised in a subprocess by the tests
    boto3 = None

from runlab.store.artifacts.s3._client import _shared_client, parse_s3_uri
from runlab.store.artifacts.s3._downloads import S3DownloadMethods, _is_partial
from runlab.store.artifacts.s3._errors import S3ErrorMapping
from runlab.store.artifacts.s3._multipart_upload import S3MultipartMethods
from runlab.store.artifacts.s3.settings import (
    DELETE_BATCH,
    INSTALL_HINT,
    LIST_PAGE_SIZE,
    S3Settings,
)

# -------------------------------------------------------------------- repository


class S3ArtifactRepository(
    S3ErrorMapping, S3DownloadMethods, S3MultipartMethods, ArtifactRepository
):
    """Files under ``s3://bucket/prefix``: artifact path ``a/b`` is key ``prefix/a/b``.

    ``settings`` default to the environment; ``client`` to the shared client for them.
    """

    def __init__(
        self,
        artifact_uri: str,
        *,
        settings: S3Settings | None = None,
        client: Any = None,
        list_page_size: int = LIST_PAGE_SIZE,
    ) -> None:
        if boto3 is None:
            raise StorageError(f"{INSTALL_HINT} (for artifact URI {artifact_uri!r})")
        super().__init__(artifact_uri)
        self.bucket, self.prefix = parse_s3_uri(artifact_uri)
        self.settings = settings or S3Settings.from_env()
        self.client = client if client is not None else _shared_client(self.settings)
        self.list_page_size = list_page_size

    # ------------------------------------------------------------------- writes
    def log_artifact(
        self, local_file: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        source, relative = plan_file_upload(local_file, artifact_path)
        with self._errors("upload", relative):
            self.client.upload_file(
                source,
                self.bucket,
                self._key(relative),
                ExtraArgs=self._extra_args(),
                Config=self.settings.transfer_config(),
            )

    def log_artifacts(
        self, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        # The same checks as the local repository: nothing is uploaded after a refusal.
        directory, plan = plan_directory_upload(local_dir, artifact_path)
        if not plan:
            return
        # One transfer manager runs the uploads in parallel, small files and parts alike.
        with (
            self._errors("upload", directory),
            create_transfer_manager(self.client, self.settings.transfer_config()) as manager,
        ):
            futures = [
                manager.upload(path, self.bucket, self._key(relative), self._extra_args())
                for path, relative in plan
            ]
            for future in futures:
                future.result()

    def write_bytes(self, artifact_path: str, data: bytes) -> None:
        relative = self._file_path(artifact_path)
        with self._errors("write", relative):
            self.client.put_object(
                Bucket=self.bucket, Key=self._key(relative), Body=bytes(data), **self._extra_args()
            )

    def write_stream(self, artifact_path: str, stream: BinaryIO) -> None:
        """Store what ``stream`` yields as file ``artifact_path``, multipart when large.

        The stream is read only on the calling thread, one part at a time: a request
        body bridged from an event loop (the server's upload proxy) cannot be read from
        boto3's worker threads.
        """
        relative = self._file_path(artifact_path)
        config = self.settings.transfer_config()
        config.use_threads = False
        with self._errors("write", relative):
            self.client.upload_fileobj(
                stream,
                self.bucket,
                self._key(relative),
                ExtraArgs=self._extra_args(),
                Config=config,
            )

    def delete_artifacts(self, path: str | None = None) -> None:
        relative = _paths.normalize(path)
        with self._errors("delete", relative):
            if relative:
                self._delete_keys([self._key(relative)])
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket,
                Prefix=self._dir_prefix(relative),
                PaginationConfig={"PageSize": min(self.list_page_size, DELETE_BATCH)},
            )
            for page in pages:
                self._delete_keys([obj["Key"] for obj in page.get("Contents", [])])
            if not relative:  # the staged manifests went too: end S3's uploads with them
                self._abort_all_native()

    def _abort_all_native(self) -> None:
        pages = self.client.get_paginator("list_multipart_uploads").paginate(
            Bucket=self.bucket, Prefix=self._dir_prefix("")
        )
        for page in pages:
            for upload in page.get("Uploads", []):
                with contextlib.suppress(ClientError):  # ended meanwhile
                    self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )

    # -------------------------------------------------------------------- reads
    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        relative = _paths.normalize(path)
        prefix = self._dir_prefix(relative)
        infos: list[FileInfo] = []
        with self._errors("list", relative):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket,
                Prefix=prefix,
                Delimiter="/",
                PaginationConfig={"PageSize": self.list_page_size},
            )
            for page in pages:
                for common in page.get("CommonPrefixes", []):
                    if _is_partial(prefix, common["Prefix"]):
                        continue  # staged multipart uploads
                    name = self._child_name(prefix, common["Prefix"], relative, directory=True)
                    infos.append(FileInfo(_paths.join(relative, name), True, None))
                for obj in page.get("Contents", []):
                    if obj["Key"] == prefix or _is_partial(prefix, obj["Key"]):
                        continue  # a zero-byte "directory marker" some tools create
                    name = self._child_name(prefix, obj["Key"], relative, directory=False)
                    infos.append(FileInfo(_paths.join(relative, name), False, int(obj["Size"])))
        return sorted(infos, key=lambda info: info.path)

    def open_artifact(self, path: str) -> BinaryIO:
        relative = self._file_path(path)
        try:
            with self._errors("read", relative):
                response = self.client.get_object(Bucket=self.bucket, Key=self._key(relative))
        except NotFoundError:
            if self._is_directory(relative):
                raise InvalidInputError(
                    f"artifact {relative!r} is a directory, not a file"
                ) from None
            raise
        # botocore's StreamingBody reads from the socket as the caller reads; closing it
        # (the caller's job) releases the connection.
        return cast(BinaryIO, response["Body"])

    # ------------------------------------------------------------------ helpers
    def _key(self, relative: str) -> str:
        return _paths.join(self.prefix, relative)

    def _dir_prefix(self, relative: str) -> str:
        """The key prefix of everything inside directory ``relative``."""
        key = self._key(relative)
        return f"{key}/" if key else ""

    def _extra_args(self) -> dict[str, Any]:
        return dict(self.settings.upload_extra_args)  # a copy: boto3 may add to it

    def _file_path(self, path: str) -> str:
        relative = _paths.normalize(path)
        if not relative:
            raise InvalidInputError("artifact path '' names the artifact root, not a file")
        return relative

    def _child_name(self, prefix: str, key: str, relative: str, *, directory: bool) -> str:
        """The name of a listed key directly inside ``prefix``, or StorageError."""
        name = key[len(prefix) :] if key.startswith(prefix) else ""
        if directory:
            name = name[:-1] if name.endswith("/") else ""
        valid = bool(name) and "/" not in name
        if valid:
            try:
                valid = _paths.normalize(name) == name
            except InvalidInputError:
                valid = False
        if not valid:
            raise StorageError(
                f"S3 listed key {key!r} for directory {relative or '(root)'!r} of "
                f"{self.artifact_uri}, which is not an artifact of that directory"
            )
        return name

    def _is_directory(self, relative: str) -> bool:
        with self._errors("list", relative):
            response = self.client.list_objects_v2(
                Bucket=self.bucket, Prefix=self._dir_prefix(relative), MaxKeys=1
            )
        return bool(response.get("KeyCount", 0))

    def _delete_keys(self, keys: list[str]) -> None:
        for start in range(0, len(keys), DELETE_BATCH):
            batch = keys[start : start + DELETE_BATCH]
            response = self.client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True},
            )
            errors = response.get("Errors", [])
            if errors:
                first = errors[0]
                raise StorageError(
                    f"could not delete {len(errors)} object(s) from s3://{self.bucket}, "
                    f"such as {first.get('Key')!r}: {first.get('Code')}: {first.get('Message')}"
                )
