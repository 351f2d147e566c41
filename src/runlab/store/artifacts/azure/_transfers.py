"""Whole-file transfers: uploads staged as blocks in parallel, parallel ranged downloads."""

from __future__ import annotations

import contextlib
import io
import os
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, BinaryIO

from runlab.errors import InvalidInputError, StorageError
from runlab.store.artifacts import _paths
from runlab.store.artifacts.azure.settings import AzureSettings

# A blob that stands for a folder (Data Lake accounts with a hierarchical namespace).
_FOLDER_FLAG = "hdi_isfolder"


def blob_stream(
    errors: Callable[[], contextlib.AbstractContextManager[None]], downloader: Any
) -> BinaryIO:
    """A downloading blob as a binary stream that reads as the caller reads (one block
    per request), raising runlab's errors from ``errors()``."""
    return io.BufferedReader(_BlobStream(errors, downloader), _paths.COPY_CHUNK_SIZE)


class _BlobStream(io.RawIOBase):
    def __init__(
        self, errors: Callable[[], contextlib.AbstractContextManager[None]], downloader: Any
    ) -> None:
        self._errors = errors
        self._downloader = downloader

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        with self._errors():
            data = self._downloader.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def is_folder_marker(blob: Any) -> bool:
    metadata = getattr(blob, "metadata", None) or {}
    return str(metadata.get(_FOLDER_FLAG, "")).lower() == "true"


class AzureTransferMethods:
    """Mixed into :class:`~runlab.store.artifacts.azure.repository.AzureBlobArtifactRepository`."""

    artifact_uri: str
    container: Any
    settings: AzureSettings

    if TYPE_CHECKING:  # provided by the repository

        def _errors(
            self, action: str, relative: str
        ) -> contextlib.AbstractContextManager[None]: ...
        def _key(self, relative: str) -> str: ...
        def _dir_prefix(self, relative: str) -> str: ...
        def _blobs_below(self, relative: str) -> Any: ...

    def _upload_file(self, source: str, relative: str, concurrency: int) -> None:
        """Upload one local file: in one request up to a block, else as blocks staged
        ``concurrency`` at a time and committed as one block list (the SDK's upload)."""
        with self._errors("upload", relative), open(source, "rb") as stream:
            self.container.upload_blob(
                self._key(relative),
                stream,
                length=os.fstat(stream.fileno()).st_size,
                overwrite=True,
                max_concurrency=concurrency,
            )

    def download_artifacts(self, artifact_path: str = "", dst_path: str | None = None) -> str:
        """One flat listing, then parallel downloads (ranged, in parallel, for big files).

        Listed names are checked before they become local names, so a blob such as
        ``prefix/../../x`` cannot write outside ``dst_path``.
        """
        relative = _paths.normalize(artifact_path)
        with self._errors("download", relative):
            plan = self._download_plan(relative)
            if plan is None:  # not a directory: a file, or NotFoundError before any write
                blob = self.container.get_blob_client(self._key(relative))
                with self._errors("read", relative):
                    size = int(blob.get_blob_properties().size)
                result = _paths.local_path(_paths.download_destination(dst_path), relative)
                os.makedirs(os.path.dirname(result), exist_ok=True)
                self._download_files([(self._key(relative), result, size)])
                return result
            result = _paths.local_path(_paths.download_destination(dst_path), relative)
            os.makedirs(result, exist_ok=True)
            files: list[tuple[str, str, int]] = []
            for name, rel, listed in plan:
                target = _paths.local_path(result, rel)
                if listed is None:
                    os.makedirs(target, exist_ok=True)
                else:
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    files.append((name, target, listed))
            self._download_files(files)
        return result

    def _download_plan(self, relative: str) -> list[tuple[str, str, int | None]] | None:
        """(blob name, path relative to the directory, size or None for a folder) of each
        blob below ``relative``; None when nothing is (``relative`` may be a file)."""
        prefix = self._dir_prefix(relative)
        plan: list[tuple[str, str, int | None]] = []
        for blob in self._blobs_below(relative):
            rest = blob.name[len(prefix) :] if blob.name.startswith(prefix) else ""
            if any(part.startswith(_paths.PARTIAL_PREFIX) for part in rest.split("/")):
                continue  # staged multipart uploads are not artifacts
            try:
                rel = _paths.normalize(rest)
            except InvalidInputError:
                rel = ""
            if not rel or rel != rest:
                raise StorageError(
                    f"Azure listed blob {blob.name!r} below {relative or '(root)'!r} of "
                    f"{self.artifact_uri}, which is not a valid artifact path there; "
                    "refusing to download it"
                )
            plan.append((blob.name, rel, None if is_folder_marker(blob) else int(blob.size)))
        if relative and not plan:
            return None
        return plan

    def _download_files(self, files: list[tuple[str, str, int]]) -> None:
        if not files:
            return
        workers = min(self.settings.max_concurrency, len(files))
        per_file = max(1, self.settings.max_concurrency // workers)
        if workers == 1:
            for name, local, _size in files:
                self._download_file_to(name, local, per_file)
            return
        with ThreadPoolExecutor(workers, thread_name_prefix="runlab-azure-down") as pool:
            futures = [pool.submit(self._download_file_to, n, p, per_file) for n, p, _ in files]
            for future in futures:
                future.result()

    def _download_file_to(self, name: str, local: str, concurrency: int) -> None:
        """Download into a partial file beside ``local``, renamed when complete; a blob
        of several blocks comes in ranges, ``concurrency`` at a time, each checked
        against the first range's ETag (a blob replaced meanwhile fails, not mixes)."""
        partial = os.path.join(os.path.dirname(local), f"{_paths.PARTIAL_PREFIX}{uuid.uuid4().hex}")
        relative = name[len(self._key("")) :].lstrip("/") if self._key("") else name
        try:
            with self._errors("download", relative), open(partial, "wb") as out:
                downloader = self.container.download_blob(name, max_concurrency=concurrency)
                downloader.readinto(out)
            os.replace(partial, local)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(partial)
            raise
