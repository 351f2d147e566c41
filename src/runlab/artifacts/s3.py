"""Artifacts in Amazon S3 or an S3-compatible object store: ``s3://bucket/prefix``.

Every request goes through boto3, so AWS buckets and S3-compatible stores (MinIO,
Ceph, Cloudflare R2, moto…) take the same code path. Large files use boto3's managed
transfers (multipart uploads, parallel ranged downloads), tuned by the settings below.

=================================  ========================================================
environment variable               meaning
=================================  ========================================================
``RUNLAB_S3_ENDPOINT_URL``         endpoint of an S3-compatible store
``AWS_ENDPOINT_URL_S3``            read by boto3 itself when the above is unset
``AWS_ENDPOINT_URL``               read by boto3 itself when both of the above are unset
``MLFLOW_S3_ENDPOINT_URL``         used when none of the above is set
``RUNLAB_S3_IGNORE_TLS``           ``true``: do not verify the endpoint's certificate
``RUNLAB_S3_ADDRESSING_STYLE``     ``auto`` (default), ``path`` or ``virtual``
``RUNLAB_S3_MULTIPART_THRESHOLD``  files from this size up go multipart (8MB)
``RUNLAB_S3_MULTIPART_CHUNKSIZE``  size of each part (8MB; S3's minimum is 5MB)
``RUNLAB_S3_MAX_CONCURRENCY``      parallel requests of one transfer (10)
``RUNLAB_S3_UPLOAD_EXTRA_ARGS``    JSON object of upload arguments for every write, e.g.
                                   ``{"ServerSideEncryption": "aws:kms"}`` (then
                                   ``MLFLOW_S3_UPLOAD_EXTRA_ARGS``)
=================================  ========================================================

Credentials and the region come from boto3's standard chain (environment, shared
config and credentials files, SSO, instance and container roles). One client per
configuration is made per process and shared: boto3 clients are thread-safe.

S3 has no directories: a "directory" is the common prefix of some keys, so it exists
while a file lies below it, and an empty directory cannot be stored.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO, cast
from urllib.parse import urlsplit

from runlab.artifacts import _multipart, _paths
from runlab.artifacts.base import ArtifactRepository, FileInfo
from runlab.artifacts.local import plan_directory_upload, plan_file_upload
from runlab.errors import InvalidInputError, NotFoundError, StorageError

try:
    import boto3
    from boto3.s3.transfer import S3Transfer, TransferConfig, create_transfer_manager
    from botocore.config import Config
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

__all__ = ["S3ArtifactRepository", "S3Settings", "parse_s3_uri"]

ENDPOINT_ENV = "RUNLAB_S3_ENDPOINT_URL"
MLFLOW_ENDPOINT_ENV = "MLFLOW_S3_ENDPOINT_URL"
AWS_ENDPOINT_ENVS = ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
IGNORE_TLS_ENV = "RUNLAB_S3_IGNORE_TLS"
ADDRESSING_STYLE_ENV = "RUNLAB_S3_ADDRESSING_STYLE"
MULTIPART_THRESHOLD_ENV = "RUNLAB_S3_MULTIPART_THRESHOLD"
MULTIPART_CHUNKSIZE_ENV = "RUNLAB_S3_MULTIPART_CHUNKSIZE"
MAX_CONCURRENCY_ENV = "RUNLAB_S3_MAX_CONCURRENCY"
UPLOAD_EXTRA_ARGS_ENV = "RUNLAB_S3_UPLOAD_EXTRA_ARGS"
MLFLOW_UPLOAD_EXTRA_ARGS_ENV = "MLFLOW_S3_UPLOAD_EXTRA_ARGS"

MB = 1024 * 1024
S3_MIN_PART_SIZE = 5 * MB  # of every part of a multipart upload but the last
DEFAULT_MULTIPART_SIZE = 8 * MB  # boto3's own default
DEFAULT_MAX_CONCURRENCY = 10
DELETE_BATCH = 1000  # the most keys one DeleteObjects call takes
LIST_PAGE_SIZE = 1000  # the most keys one ListObjectsV2 page holds

INSTALL_HINT = "S3 artifact storage needs boto3: pip install 'runlab[s3]'"

_SIZE_RE = re.compile(r"^\s*(\d+)\s*(?:([kmg])i?b?)?\s*$", re.IGNORECASE)
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


# ---------------------------------------------------------------------- settings


@dataclass(frozen=True)
class S3Settings:
    """How to reach the store; read from the environment by :meth:`from_env`.

    ``endpoint_url`` None lets boto3 choose: ``AWS_ENDPOINT_URL_S3``,
    ``AWS_ENDPOINT_URL``, an ``endpoint_url`` in the shared config file, or AWS.
    """

    endpoint_url: str | None = None
    verify_tls: bool = True
    addressing_style: str = "auto"
    multipart_threshold: int = DEFAULT_MULTIPART_SIZE
    multipart_chunksize: int = DEFAULT_MULTIPART_SIZE
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    upload_extra_args: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> S3Settings:
        env = os.environ if environ is None else environ
        endpoint_var = next(
            (
                name
                for name in (ENDPOINT_ENV, *AWS_ENDPOINT_ENVS, MLFLOW_ENDPOINT_ENV)
                if env.get(name)
            ),
            None,
        )
        endpoint = None
        if endpoint_var is not None:
            endpoint = _endpoint(endpoint_var, env[endpoint_var])
            if endpoint_var in AWS_ENDPOINT_ENVS:
                endpoint = None  # boto3 reads these itself, with its own precedence rules
        style = env.get(ADDRESSING_STYLE_ENV, "").strip().lower() or "auto"
        if style not in ("auto", "path", "virtual"):
            raise InvalidInputError(
                f"{ADDRESSING_STYLE_ENV}={style!r} is not valid (use auto, path or virtual)"
            )
        return cls(
            endpoint_url=endpoint,
            verify_tls=not _flag(IGNORE_TLS_ENV, env.get(IGNORE_TLS_ENV, "")),
            addressing_style=style,
            multipart_threshold=_size(env, MULTIPART_THRESHOLD_ENV, DEFAULT_MULTIPART_SIZE),
            multipart_chunksize=_size(env, MULTIPART_CHUNKSIZE_ENV, DEFAULT_MULTIPART_SIZE),
            max_concurrency=_count(env, MAX_CONCURRENCY_ENV, DEFAULT_MAX_CONCURRENCY),
            upload_extra_args=_upload_extra_args(env),
        )

    def transfer_config(self) -> Any:
        return TransferConfig(
            multipart_threshold=self.multipart_threshold,
            multipart_chunksize=self.multipart_chunksize,
            max_concurrency=self.max_concurrency,
            preferred_transfer_client="classic",  # the same behaviour with or without awscrt
        )


def _endpoint(name: str, value: str) -> str:
    value = value.strip()
    parsed = urlsplit(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InvalidInputError(
            f"{name}={value!r} is not a valid endpoint URL (expected http(s)://host[:port])"
        )
    return value


def _upload_extra_args(env: Mapping[str, str]) -> dict[str, Any]:
    name = next(
        (n for n in (UPLOAD_EXTRA_ARGS_ENV, MLFLOW_UPLOAD_EXTRA_ARGS_ENV) if env.get(n)), None
    )
    if name is None:
        return {}
    try:
        value = json.loads(env[name])
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise InvalidInputError(
            f"{name} must be a JSON object of S3 upload arguments, "
            'such as {"ServerSideEncryption": "aws:kms"}'
        )
    allowed = set(S3Transfer.ALLOWED_UPLOAD_ARGS) if boto3 is not None else set(value)
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise InvalidInputError(
            f"{name}: {', '.join(map(repr, unknown))} is not an S3 upload argument "
            f"(allowed: {', '.join(sorted(allowed))})"
        )
    return value


def _flag(name: str, value: str) -> bool:
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidInputError(f"{name}={value!r} is not a boolean (use true or false)")


def _size(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    match = _SIZE_RE.match(raw)
    if not match or int(match.group(1)) <= 0:
        raise InvalidInputError(
            f"{name}={raw!r} is not a size (a positive number of bytes, or with KB, MB or GB)"
        )
    unit = (match.group(2) or "").lower()
    return int(match.group(1)) * {"": 1, "k": 1024, "m": MB, "g": 1024 * MB}[unit]


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) <= 0:
        raise InvalidInputError(f"{name}={raw!r} is not a positive whole number")
    return int(raw)


# ----------------------------------------------------------------------- clients

# (key, artifact path relative to the listed directory, size or None for a marker, ETag)
_Listed = tuple[str, str, "int | None", "str | None"]

_MAX_CLIENTS = 16
_clients: dict[tuple[Any, ...], Any] = {}
_clients_lock = threading.Lock()


def _shared_client(settings: S3Settings) -> Any:
    """One client per configuration and process.

    The key holds every ``AWS_*`` variable, so a change to the credentials, profile,
    region or endpoint in the environment gives a new client rather than a stale one.
    """
    aws_env = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_")))
    key = (
        settings.endpoint_url,
        settings.verify_tls,
        settings.addressing_style,
        settings.max_concurrency,
        aws_env,
    )
    client = _clients.get(key)
    if client is None:
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                # Sessions are not thread-safe: each client gets its own, made under the lock.
                session = boto3.session.Session()
                client = session.client(
                    "s3",
                    endpoint_url=settings.endpoint_url,
                    verify=settings.verify_tls,
                    config=Config(
                        s3={"addressing_style": settings.addressing_style},
                        # Room for one transfer's requests and submissions, plus a few callers.
                        max_pool_connections=settings.max_concurrency + 10,
                    ),
                )
                if len(_clients) >= _MAX_CLIENTS:  # the environment keeps changing: drop the oldest
                    del _clients[next(iter(_clients))]
                _clients[key] = client
    return client


def clear_client_cache() -> None:
    """Forget the shared clients (after credentials were rotated in place, say)."""
    with _clients_lock:
        _clients.clear()


# ---------------------------------------------------------------------- the URI


def parse_s3_uri(artifact_uri: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` → ``("bucket", "some/prefix")``; the prefix may be ``""``."""
    parsed = urlsplit(artifact_uri)
    if parsed.scheme.lower() != "s3":
        raise InvalidInputError(f"artifact URI {artifact_uri!r} is not an s3:// URI")
    if not parsed.netloc:
        raise InvalidInputError(f"artifact URI {artifact_uri!r} names no bucket (s3://bucket/...)")
    if parsed.query or parsed.fragment:
        raise InvalidInputError(f"artifact URI {artifact_uri!r}: s3 URIs take no query or fragment")
    try:
        prefix = _paths.normalize(parsed.path.lstrip("/"))
    except InvalidInputError as exc:
        raise InvalidInputError(
            f"artifact URI {artifact_uri!r} has a key prefix that is not a clean path: "
            f"{exc.message}"
        ) from None
    return parsed.netloc, prefix


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


# -------------------------------------------------------------------- repository


class S3ArtifactRepository(ArtifactRepository):
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
