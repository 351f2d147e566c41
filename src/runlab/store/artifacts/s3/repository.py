"""The S3 artifact repository: files under ``s3://bucket/prefix``."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any, BinaryIO, cast

from runlab.errors import InvalidInputError, NotFoundError, StorageError
from runlab.store.artifacts import _paths
from runlab.store.artifacts.base import ArtifactRepository, FileInfo
from runlab.store.artifacts.local import plan_directory_upload, plan_file_upload

try:
    import boto3
    from boto3.s3.transfer import create_transfer_manager
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        PartialCredentialsError,
    )
    from s3transfer.subscribers import BaseSubscriber
except ImportError:  # pragma: no cover - exercised in a subprocess by the tests
    boto3 = None

from runlab.store.artifacts.s3._client import _shared_client, parse_s3_uri
from runlab.store.artifacts.s3._multipart_upload import S3MultipartMethods
from runlab.store.artifacts.s3.settings import (
    DELETE_BATCH,
    ENDPOINT_ENV,
    INSTALL_HINT,
    LIST_PAGE_SIZE,
    S3Settings,
)

# (key, artifact path relative to the listed directory, size or None for a marker, ETag)
_Listed = tuple[str, str, "int | None", "str | None"]


class _Known(BaseSubscriber if boto3 is not None else object):  # type: ignore[misc]
    """Give a download the size and ETag the listing returned, which saves a HeadObject
    request per file (the ETag also guards a multipart download against a change)."""

    def __init__(self, size: int, etag: str | None) -> None:
        self.size = size
        self.etag = etag

    def on_queued(self, future: Any, **kwargs: Any) -> None:
        future.meta.provide_transfer_size(self.size)
        if self.etag is not None:
            future.meta.provide_object_etag(self.etag)


def _is_partial(prefix: str, key: str) -> bool:
    """Whether ``key`` below ``prefix`` lies in a reserved folder (staged uploads)."""
    rest = key[len(prefix) :] if key.startswith(prefix) else key
    return any(part.startswith(_paths.PARTIAL_PREFIX) for part in rest.split("/"))


# -------------------------------------------------------------------- repository


class S3ArtifactRepository(S3MultipartMethods, ArtifactRepository):
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

    def download_artifacts(self, artifact_path: str = "", dst_path: str | None = None) -> str:
        """One recursive listing, then parallel managed downloads (ranged for big files).

        Listed keys are checked before they become local names, so a key such as
        ``prefix/../../x`` cannot write outside ``dst_path``.
        """
        relative = _paths.normalize(artifact_path)
        with self._errors("download", relative):
            plan = self._download_plan(relative)
            files: list[tuple[str, str, int, str | None]] = []
            if plan is None:  # a single file
                with self._errors("read", relative):
                    head = self.client.head_object(Bucket=self.bucket, Key=self._key(relative))
                result = _paths.local_path(_paths.download_destination(dst_path), relative)
                files.append(
                    (self._key(relative), result, int(head["ContentLength"]), head.get("ETag"))
                )
            else:
                result = _paths.local_path(_paths.download_destination(dst_path), relative)
                os.makedirs(result, exist_ok=True)
                for key, rel, listed_size, etag in plan:
                    target = _paths.local_path(result, rel)
                    if listed_size is None:
                        os.makedirs(target, exist_ok=True)
                    else:
                        files.append((key, target, listed_size, etag))
            self._download_files(files)
        return result

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

    def _location(self, relative: str) -> str:
        return f"s3://{self.bucket}/{self._key(relative)}"

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

    def _download_plan(self, relative: str) -> list[_Listed] | None:
        """(key, relative local path, size or None for an empty directory, ETag) of each
        object below ``relative``.

        None when ``relative`` is not a directory (it may be a file); the root with
        nothing in it is an empty directory.
        """
        prefix = self._dir_prefix(relative)
        plan: list[_Listed] = []
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix, PaginationConfig={"PageSize": self.list_page_size}
        )
        for page in pages:
            for obj in page.get("Contents", []):
                key = obj["Key"]
                if key == prefix:
                    continue
                rest = key[len(prefix) :] if key.startswith(prefix) else ""
                if _is_partial("", rest):
                    continue  # staged multipart uploads are not artifacts
                marker = rest.endswith("/")
                try:
                    rel = _paths.normalize(rest)
                except InvalidInputError:
                    rel = ""
                if not rel or rel != (rest[:-1] if marker else rest):
                    raise StorageError(
                        f"S3 listed key {key!r} below {relative or '(root)'!r} of "
                        f"{self.artifact_uri}, which is not a valid artifact path there; "
                        "refusing to download it"
                    )
                size = None if marker else int(obj["Size"])
                plan.append((key, rel, size, obj.get("ETag")))
        if relative and not plan:
            return None
        return plan

    def _download_files(self, files: list[tuple[str, str, int, str | None]]) -> None:
        for _, local, _, _ in files:
            os.makedirs(os.path.dirname(local), exist_ok=True)
        if not files:
            return
        # s3transfer writes each file under a temporary name and renames it when complete.
        with create_transfer_manager(self.client, self.settings.transfer_config()) as manager:
            futures = [
                manager.download(self.bucket, key, local, subscribers=[_Known(size, etag)])
                for key, local, size, etag in files
            ]
            for future in futures:
                future.result()

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

    @contextlib.contextmanager
    def _errors(self, action: str, relative: str) -> Iterator[None]:
        """Turn boto3's exceptions into runlab errors naming the bucket and key."""
        try:
            yield
        except ClientError as exc:
            raise self._client_error(exc, action, relative) from exc
        except (EndpointConnectionError, ConnectTimeoutError) as exc:
            raise StorageError(
                f"could not {action} {self._location(relative)}: the S3 endpoint "
                f"{self._endpoint()} cannot be reached ({exc}); for an S3-compatible store, "
                f"set {ENDPOINT_ENV}"
            ) from exc
        except (NoCredentialsError, PartialCredentialsError) as exc:
            raise StorageError(
                f"could not {action} {self._location(relative)}: {exc}. Set AWS_ACCESS_KEY_ID "
                "and AWS_SECRET_ACCESS_KEY, choose a profile with AWS_PROFILE, or run where an "
                "instance or container role is available"
            ) from exc
        except BotoCoreError as exc:
            raise StorageError(f"could not {action} {self._location(relative)}: {exc}") from exc
        except OSError as exc:
            raise StorageError(
                f"could not {action} {self._location(relative)}: {exc.strerror or exc}"
            ) from exc
        except Exception as exc:
            # boto3 wraps failed managed uploads in S3UploadFailedError with the cause attached.
            cause = exc.__context__
            if type(exc).__name__ == "S3UploadFailedError" and isinstance(cause, ClientError):
                raise self._client_error(cause, action, relative) from exc
            raise

    def _client_error(self, exc: Any, action: str, relative: str) -> Exception:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        message = error.get("Message") or exc
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        where = self._location(relative)
        if code == "NoSuchBucket":
            return NotFoundError(
                f"S3 bucket {self.bucket!r} does not exist (artifact URI {self.artifact_uri}, "
                f"endpoint {self._endpoint()})"
            )
        if code == "NoSuchUpload":
            return NotFoundError(f"the S3 multipart upload of {where} has ended")
        if code in ("NoSuchKey", "404", "NotFound"):
            name = f"artifact {relative!r}" if relative else "the artifact root"
            return NotFoundError(f"{name} does not exist in {self.artifact_uri} ({where})")
        if status == 403 or code in (
            "AccessDenied",
            "403",
            "Forbidden",
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
            "AllAccessDisabled",
        ):
            hint = (
                f"check the credentials and the bucket's policy; for an S3-compatible store, set "
                f"{ENDPOINT_ENV}"
                if self.settings.endpoint_url is None
                else "check the credentials and the bucket's policy"
            )
            return StorageError(
                f"access denied: could not {action} {where} at {self._endpoint()} "
                f"({code}: {message}); {hint}"
            )
        return StorageError(f"could not {action} {where} at {self._endpoint()}: {code}: {message}")

    def _endpoint(self) -> str:
        return str(getattr(self.client.meta, "endpoint_url", None) or "the default AWS endpoint")
