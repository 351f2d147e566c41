"""The artifact repository contract: where one run's files live.

Every backend (local folder today; S3 and the tracking server's HTTP proxy next)
implements :class:`ArtifactRepository`. Artifact paths are relative to the
repository's root and use ``/``; each method checks them with the shared rules in
:mod:`runlab.store.artifacts._paths` before touching storage.
"""

from __future__ import annotations

import abc
import io
import os
import posixpath
import shutil
import tempfile
from collections.abc import Sequence
from typing import BinaryIO

from runlab.entities import FileInfo
from runlab.errors import InvalidInputError, NotFoundError, NotSupportedError, StorageError
from runlab.store.artifacts import _multipart, _paths

__all__ = ["ArtifactRepository", "FileInfo"]


class ArtifactRepository(abc.ABC):
    """Files of one run (or any artifact root) behind an ``artifact_uri``."""

    def __init__(self, artifact_uri: str) -> None:
        self.artifact_uri = artifact_uri

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.artifact_uri!r})"

    @abc.abstractmethod
    def log_artifact(
        self, local_file: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        """Copy ``local_file`` into directory ``artifact_path`` (the root if None)."""

    @abc.abstractmethod
    def log_artifacts(
        self, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        """Copy the files below ``local_dir``, recursively, into ``artifact_path``."""

    @abc.abstractmethod
    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        """The entries directly inside directory ``path``, sorted by path.

        An empty list when ``path`` does not exist or is a file.
        """

    @abc.abstractmethod
    def download_artifacts(self, artifact_path: str = "", dst_path: str | None = None) -> str:
        """Copy a file or a directory tree to ``dst_path`` and return its local path.

        The result is ``dst_path/artifact_path``; ``dst_path`` defaults to a new
        temporary directory. NotFoundError when ``artifact_path`` does not exist.
        """

    @abc.abstractmethod
    def open_artifact(self, path: str) -> BinaryIO:
        """A binary stream of file ``path``, for streaming it without loading it whole.

        The caller closes it. NotFoundError when ``path`` does not exist.
        """

    @abc.abstractmethod
    def write_bytes(self, artifact_path: str, data: bytes) -> None:
        """Store ``data`` as file ``artifact_path``, replacing any file there."""

    def write_stream(self, artifact_path: str, stream: BinaryIO) -> None:
        """Store what ``stream`` yields as file ``artifact_path``, replacing any file there.

        The data is read in chunks and never held in memory whole. This default
        spools it to a temporary file and logs that; backends that can write a
        stream directly override it.
        """
        relative = _paths.normalize(artifact_path)
        if not relative:
            raise InvalidInputError("artifact path '' names the artifact root, not a file")
        directory, name = posixpath.split(relative)
        with tempfile.TemporaryDirectory(prefix="runlab-upload-") as spool:
            local = os.path.join(spool, name)
            with open(local, "wb") as out:
                shutil.copyfileobj(stream, out, _paths.COPY_CHUNK_SIZE)
            self.log_artifact(local, directory or None)

    @abc.abstractmethod
    def delete_artifacts(self, path: str | None = None) -> None:
        """Delete file or directory ``path``, or everything if None; missing is fine."""

    # ------------------------------------------------------------ multipart uploads
    # A file sent in parts that may reach different processes, on different hosts: the
    # upload's state lives in the repository, never in the process. This default keeps
    # a manifest and the parts in a hidden staging folder at the repository's root
    # (through the ``_staged_*`` hooks below) and joins them on completion; a store with
    # its own multipart uploads (S3) overrides it.

    def begin_multipart(self, artifact_path: str, num_parts: int) -> str:
        """Start building file ``artifact_path`` from ``num_parts`` parts; return the
        upload's id (unguessable: whoever knows it can add parts)."""
        target = _paths.normalize(artifact_path)
        if not target:
            raise InvalidInputError("artifact path '' names the artifact root, not a file")
        manifest = _multipart.Manifest(
            _multipart.new_upload_id(),
            target,
            _multipart.check_num_parts(num_parts),
            self._begin_native_multipart(target),
        )
        self._staged_write(
            _multipart.staged_path(manifest.upload_id, _multipart.MANIFEST), manifest.to_bytes()
        )
        return manifest.upload_id

    def multipart_upload(self, upload_id: str) -> _multipart.Manifest:
        """The manifest of an upload in progress; NotFoundError once it has ended."""
        path = _multipart.staged_path(upload_id, _multipart.MANIFEST)
        try:
            with self._staged_open(path) as stream:
                data = stream.read()
        except NotFoundError:
            raise NotFoundError(
                f"multipart upload {upload_id!r} does not exist (or has ended)"
            ) from None
        return _multipart.Manifest.from_bytes(upload_id, data)

    def put_part(self, upload_id: str, part_number: int, stream: BinaryIO) -> str:
        """Store part ``part_number`` (from 1), replacing an earlier copy; return its ETag.

        Parts may arrive in any order, in parallel, through any process.
        """
        manifest = self.multipart_upload(upload_id)
        number = _multipart.check_part_number(manifest, part_number)
        path = _multipart.staged_path(upload_id, _multipart.part_name(number))
        self._staged_write(path, stream)
        return f'"{upload_id}-{number}"'

    def complete_multipart(
        self, upload_id: str, artifact_path: str, parts: Sequence[int] | None = None
    ) -> None:
        """Join parts 1..n (``parts``, default all) into the file and end the upload.

        ``artifact_path`` must be the path the upload was begun for.
        """
        manifest = self.multipart_upload(upload_id)
        _multipart.check_target(manifest, artifact_path)
        numbers = _multipart.part_numbers(manifest, parts)
        staged = self._staged_files(_multipart.staged_path(upload_id))
        missing = [n for n in numbers if _multipart.part_name(n) not in staged]
        if missing:
            raise InvalidInputError(f"parts: part(s) {missing[:20]} were never uploaded")
        self._join_staged(manifest, numbers)
        self._staged_delete(_multipart.staged_path(upload_id))

    def abort_multipart(self, upload_id: str, artifact_path: str) -> None:
        """End an upload and drop its parts; NotFoundError if it has already ended."""
        _multipart.check_target(self.multipart_upload(upload_id), artifact_path)
        self._staged_delete(_multipart.staged_path(upload_id))

    def _join_staged(self, manifest: _multipart.Manifest, numbers: Sequence[int]) -> None:
        """Stream the staged parts, in order, into the target file."""
        openers = [
            lambda n=n: self._staged_open(
                _multipart.staged_path(manifest.upload_id, _multipart.part_name(n))
            )
            for n in numbers
        ]
        with io.BufferedReader(
            _multipart.ChainedStreams(openers), _paths.COPY_CHUNK_SIZE
        ) as stream:
            self.write_stream(manifest.target, stream)

    def _begin_native_multipart(self, target: str) -> dict[str, object]:
        """Backend state to keep in the manifest (a store's own upload id); none here."""
        return {}

    # The staging hooks take paths built by the multipart code below the root, inside
    # the reserved staging folder (which the public methods refuse to name).
    def _staged_write(self, path: str, data: BinaryIO | bytes) -> None:
        raise self._no_staging()

    def _staged_open(self, path: str) -> BinaryIO:
        """The staged file's stream; NotFoundError when it does not exist."""
        raise self._no_staging()

    def _staged_files(self, folder: str) -> dict[str, int]:
        """Name → size of the files directly in staged ``folder`` (empty if none)."""
        raise self._no_staging()

    def _staged_delete(self, folder: str) -> None:
        """Delete staged ``folder`` and what it holds; missing is fine."""
        raise self._no_staging()

    def _no_staging(self) -> NotSupportedError:
        return NotSupportedError(
            f"{_multipart.UNSUPPORTED} ({type(self).__name__} cannot stage the parts)"
        )

    # ------------------------------------------------------------ for subclasses
    def _download_via_listing(self, artifact_path: str = "", dst_path: str | None = None) -> str:
        """``download_artifacts`` built from ``list_artifacts`` and ``open_artifact``.

        Remote repositories, which have no cheaper way, implement
        ``download_artifacts`` with this. Listed paths are checked before they are
        used as local file names, so a hostile listing cannot write outside
        ``dst_path``.
        """
        relative = _paths.normalize(artifact_path)
        entries = self.list_artifacts(relative)
        if relative and not entries:
            # Not a directory: a file, or NotFoundError before anything is created.
            with self.open_artifact(relative) as stream:
                local = _paths.local_path(_paths.download_destination(dst_path), relative)
                os.makedirs(os.path.dirname(local), exist_ok=True)
                _paths.atomic_write(local, stream, durable=False)
            return local
        local = _paths.local_path(_paths.download_destination(dst_path), relative)
        self._download_listed(relative, entries, local)
        return local

    def _download_listed(self, directory: str, entries: list[FileInfo], local: str) -> None:
        os.makedirs(local, exist_ok=True)
        for entry in entries:
            try:
                child = _paths.normalize(entry.path)
            except InvalidInputError:
                child = ""
            # Only direct children: a listing is data from storage (or a server), not trusted.
            if not child or posixpath.dirname(child) != directory:
                raise StorageError(
                    f"artifact repository {self.artifact_uri!r} listed {entry.path!r} "
                    f"inside {directory!r}, which is not an entry of that directory"
                )
            target = _paths.local_path(local, posixpath.basename(child))
            if entry.is_dir:
                self._download_listed(child, self.list_artifacts(child), target)
            else:
                self._download_file(child, target)

    def _download_file(self, path: str, local: str) -> None:
        os.makedirs(os.path.dirname(local), exist_ok=True)
        with self.open_artifact(path) as stream:
            _paths.atomic_write(local, stream, durable=False)
