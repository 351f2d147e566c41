"""Downloads from S3: one recursive listing, then parallel managed (ranged) transfers."""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING, Any

from runlab.errors import InvalidInputError, StorageError
from runlab.store.artifacts import _paths
from runlab.store.artifacts.s3.settings import S3Settings

try:
    import boto3
    from boto3.s3.transfer import create_transfer_manager
    from s3transfer.subscribers import BaseSubscriber
except ImportError:  # pragma: no cover - the repository says boto3 is missing
    boto3 = None

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


class S3DownloadMethods:
    """Mixed into :class:`~runlab.store.artifacts.s3.repository.S3ArtifactRepository`."""

    artifact_uri: str
    bucket: str
    client: Any
    settings: S3Settings
    list_page_size: int

    if TYPE_CHECKING:  # provided by the repository

        def _errors(
            self, action: str, relative: str
        ) -> contextlib.AbstractContextManager[None]: ...
        def _key(self, relative: str) -> str: ...
        def _dir_prefix(self, relative: str) -> str: ...

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
