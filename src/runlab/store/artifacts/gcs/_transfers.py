"""Moving files to and from Cloud Storage: resumable chunked uploads, ranged parallel
downloads, and a pool of threads for many files."""

from __future__ import annotations

import contextlib
import io
import os
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from runlab.errors import InvalidInputError, StorageError
from runlab.store.artifacts import _paths
from runlab.store.artifacts.gcs.settings import GCSSettings

# (object name, artifact path relative to the listed directory, size or None for a marker)
Listed = tuple[str, str, "int | None"]


def is_partial(rest: str) -> bool:
    """Whether a name below the listed prefix lies in a reserved folder (staged uploads)."""
    return any(part.startswith(_paths.PARTIAL_PREFIX) for part in rest.split("/"))


def run_all(jobs: Iterable[Callable[[], None]], workers: int) -> None:
    """Run ``jobs`` on up to ``workers`` threads; the first failure is raised."""
    jobs = list(jobs)
    if len(jobs) <= 1 or workers <= 1:
        for job in jobs:
            job()
        return
    with ThreadPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
        for future in [pool.submit(job) for job in jobs]:
            future.result()


class Rewindable:
    """A forward-only stream that can seek back within the last ``window`` bytes read.

    A resumable upload asks where the stream is and, to resend a chunk that failed,
    goes back to the start of that chunk; a request body bridged from the network can
    do neither. Reads return ``size`` bytes unless the stream has ended, since a short
    chunk would be taken for the last one.
    """

    def __init__(self, stream: BinaryIO, window: int) -> None:
        self._stream = stream
        self._window = window
        self._kept = bytearray()  # the last bytes read, from offset _kept_start
        self._kept_start = 0
        self._position = 0

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        kept_end = self._kept_start + len(self._kept)
        if whence != io.SEEK_SET or not self._kept_start <= offset <= kept_end:
            raise io.UnsupportedOperation(
                f"cannot seek to {offset} (whence {whence}): only the last {self._window} "
                "bytes of this stream can be read again"
            )
        self._position = offset
        return offset

    def read(self, size: int | None = -1) -> bytes:
        out = bytearray()
        offset = self._position - self._kept_start
        if offset < len(self._kept):  # replaying bytes already read
            end = len(self._kept) if size is None or size < 0 else offset + size
            out += self._kept[offset:end]
            self._position += len(out)
        while size is None or size < 0 or len(out) < size:
            fresh = self._stream.read(-1 if size is None or size < 0 else size - len(out))
            if not fresh:
                break
            out += fresh
            self._kept += fresh
            self._position += len(fresh)
        if len(self._kept) > self._window:
            excess = len(self._kept) - self._window
            del self._kept[:excess]
            self._kept_start += excess
        return bytes(out)


class GCSTransferMethods:
    """Mixed into :class:`~runlab.store.artifacts.gcs.repository.GCSArtifactRepository`."""

    artifact_uri: str
    bucket: Any
    client: Any
    settings: GCSSettings

    if TYPE_CHECKING:  # provided by the repository

        def _errors(
            self, action: str, relative: str
        ) -> contextlib.AbstractContextManager[None]: ...
        def _object(self, relative: str) -> str: ...
        def _dir_prefix(self, relative: str) -> str: ...
        def _not_found(self, relative: str) -> Exception: ...

    # ------------------------------------------------------------------ uploads
    def _upload_file(self, source: str, relative: str) -> None:
        """One local file to one object; resumable, in chunks, above the chunk size."""
        with self._errors("upload", relative):
            blob = self.bucket.blob(self._object(relative))
            if os.path.getsize(source) <= self.settings.upload_chunk_size:
                blob.upload_from_filename(source, timeout=self.settings.timeout)
                return
            self._upload_stream(blob, source)

    def _upload_stream(self, blob: Any, source: str | BinaryIO) -> None:
        # No size given: the library then always uses a resumable upload, one request per
        # chunk (a failed chunk is retried alone), whatever the total.
        blob.chunk_size = self.settings.upload_chunk_size
        if isinstance(source, str):
            with open(source, "rb") as stream:
                blob.upload_from_file(stream, timeout=self.settings.timeout)
            return
        try:
            seekable = source.seekable()
        except (AttributeError, ValueError):
            seekable = False
        if not seekable:
            # Two chunks: the one being sent, and room for the library's read-ahead.
            source = cast(BinaryIO, Rewindable(source, 2 * self.settings.upload_chunk_size))
        blob.upload_from_file(source, timeout=self.settings.timeout)

    # ---------------------------------------------------------------- downloads
    def download_artifacts(self, artifact_path: str = "", dst_path: str | None = None) -> str:
        """One recursive listing, then parallel downloads (ranged for big files).

        Listed names are checked before they become local names, so an object such as
        ``prefix/../../x`` cannot write outside ``dst_path``.
        """
        relative = _paths.normalize(artifact_path)
        with self._errors("download", relative):
            plan = self._download_plan(relative)
            files: list[tuple[Any, str]] = []
            if plan is None:  # not a directory: a file, or nothing
                blob = self.bucket.get_blob(self._object(relative), timeout=self.settings.timeout)
                if blob is None:
                    raise self._not_found(relative)
                result = _paths.local_path(_paths.download_destination(dst_path), relative)
                files.append((blob, result))
            else:
                result = _paths.local_path(_paths.download_destination(dst_path), relative)
                os.makedirs(result, exist_ok=True)
                for name, rel, size in plan:
                    target = _paths.local_path(result, rel)
                    if size is None:
                        os.makedirs(target, exist_ok=True)
                    else:
                        files.append((self.bucket.blob(name), target))
            for _, local in files:
                os.makedirs(os.path.dirname(local), exist_ok=True)
            run_all(
                [partial(self._download_blob, blob, local) for blob, local in files],
                self.settings.max_concurrency,
            )
        return result

    def _download_plan(self, relative: str) -> list[Listed] | None:
        """Every object below directory ``relative``; None when it is not a directory
        (the root with nothing in it is an empty directory)."""
        prefix = self._dir_prefix(relative)
        plan: list[Listed] = []
        for blob in self.client.list_blobs(
            self.bucket, prefix=prefix, timeout=self.settings.timeout
        ):
            name = blob.name
            rest = name[len(prefix) :] if name.startswith(prefix) else ""
            if name == prefix or is_partial(rest):
                continue  # a folder placeholder, or a staged multipart upload
            marker = rest.endswith("/")
            try:
                rel = _paths.normalize(rest)
            except InvalidInputError:
                rel = ""
            if not rel or rel != (rest[:-1] if marker else rest):
                raise StorageError(
                    f"Cloud Storage listed object {name!r} below {relative or '(root)'!r} of "
                    f"{self.artifact_uri}, which is not a valid artifact path there; "
                    "refusing to download it"
                )
            plan.append((name, rel, None if marker else int(blob.size or 0)))
        if relative and not plan:
            return None
        return plan

    def _download_blob(self, blob: Any, local: str) -> None:
        """Into a partial file beside ``local``, renamed when complete."""
        from google.cloud.storage import transfer_manager

        partial = os.path.join(os.path.dirname(local), f"{_paths.PARTIAL_PREFIX}{uuid.uuid4().hex}")
        try:
            if blob.size is None:
                blob.reload(timeout=self.settings.timeout)
            if blob.size > self.settings.download_chunk_size:
                transfer_manager.download_chunks_concurrently(
                    blob,
                    partial,
                    chunk_size=self.settings.download_chunk_size,
                    download_kwargs={"timeout": self.settings.timeout},
                    max_workers=self.settings.max_concurrency,
                    worker_type=transfer_manager.THREAD,
                )
            else:
                blob.download_to_filename(partial, timeout=self.settings.timeout)
            os.replace(partial, local)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(partial)
            raise
