"""Multipart uploads (a server's proxied, resumable uploads) kept in the container itself.

The manifest and the parts are blobs in the hidden staging folder at the root of the
prefix, so any server process over the same container can take the next part; listings
and downloads skip that folder. Completing joins the parts, in order, into the target
blob through :meth:`write_stream` (staged blocks, one block list). Azure's own
uncommitted blocks are not used for parts: they belong to the target blob, so two
uploads of one path would discard each other's blocks at the first commit.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, BinaryIO

from runlab.store.artifacts.azure._transfers import blob_stream

if TYPE_CHECKING:
    from runlab.store.artifacts.base import FileInfo


class AzureStagingMethods:
    """Mixed into :class:`~runlab.store.artifacts.azure.repository.AzureBlobArtifactRepository`."""

    container: Any

    if TYPE_CHECKING:  # provided by the repository

        def _errors(
            self, action: str, relative: str
        ) -> contextlib.AbstractContextManager[None]: ...
        def _key(self, relative: str) -> str: ...
        def _dir_prefix(self, relative: str) -> str: ...
        def _blobs_below(self, relative: str) -> Any: ...
        def _delete_blobs(self, names: list[str]) -> None: ...
        def list_artifacts(self, path: str | None = None) -> list[FileInfo]: ...

    def _staged_write(self, path: str, data: BinaryIO | bytes) -> None:
        with self._errors("stage", path):
            self.container.upload_blob(self._key(path), data, overwrite=True, max_concurrency=1)

    def _staged_open(self, path: str) -> BinaryIO:
        with self._errors("read", path):
            downloader = self.container.download_blob(self._key(path), max_concurrency=1)
        return blob_stream(lambda: self._errors("read", path), downloader)

    def _staged_files(self, folder: str) -> dict[str, int]:
        prefix = self._dir_prefix(folder)
        found: dict[str, int] = {}
        with self._errors("list", folder):
            for blob in self.container.walk_blobs(name_starts_with=prefix, delimiter="/"):
                if not blob.name.endswith("/"):
                    found[blob.name[len(prefix) :]] = int(blob.size)
        return found

    def _staged_delete(self, folder: str) -> None:
        with self._errors("delete", folder):
            self._delete_blobs([blob.name for blob in self._blobs_below(folder)])
