"""The Cloud Storage artifact repository: files under ``gs://bucket/prefix``."""

from __future__ import annotations

import os
from functools import partial
from typing import Any, BinaryIO, cast

from runlab.errors import InvalidInputError, NotFoundError, StorageError
from runlab.store.artifacts import _paths
from runlab.store.artifacts.base import ArtifactRepository, FileInfo
from runlab.store.artifacts.gcs._client import parse_gcs_uri, shared_client
from runlab.store.artifacts.gcs._errors import GCSErrorMapping, credentials_error
from runlab.store.artifacts.gcs._transfers import GCSTransferMethods, is_partial, run_all
from runlab.store.artifacts.gcs.settings import INSTALL_HINT, LIST_PAGE_SIZE, GCSSettings
from runlab.store.artifacts.local import plan_directory_upload, plan_file_upload


class GCSArtifactRepository(GCSErrorMapping, GCSTransferMethods, ArtifactRepository):
    """Files under ``gs://bucket/prefix``: artifact path ``a/b`` is object ``prefix/a/b``.

    ``settings`` default to the environment; ``client`` to the shared client for it.
    Multipart uploads stage their parts as objects in the bucket (the base class's
    scheme), so any process may take any part.
    """

    def __init__(
        self,
        artifact_uri: str,
        *,
        settings: GCSSettings | None = None,
        client: Any = None,
        list_page_size: int = LIST_PAGE_SIZE,
    ) -> None:
        try:
            import google.cloud.storage  # noqa: F401  (the extra is installed)
            from google.auth.exceptions import DefaultCredentialsError
        except ImportError:
            raise StorageError(f"{INSTALL_HINT} (for artifact URI {artifact_uri!r})") from None
        super().__init__(artifact_uri)
        self.bucket_name, self.prefix = parse_gcs_uri(artifact_uri)
        self.settings = settings or GCSSettings.from_env()
        if client is None:
            try:
                client = shared_client()
            except DefaultCredentialsError as exc:
                raise credentials_error(exc, f"artifact URI {artifact_uri}") from None
        self.client = client
        self.bucket = client.bucket(self.bucket_name)
        self.list_page_size = list_page_size

    # ------------------------------------------------------------------- writes
    def log_artifact(
        self, local_file: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        source, relative = plan_file_upload(local_file, artifact_path)
        self._upload_file(source, relative)

    def log_artifacts(
        self, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        # The same checks as the local repository: nothing is uploaded after a refusal.
        _directory, plan = plan_directory_upload(local_dir, artifact_path)
        run_all(
            [partial(self._upload_file, source, relative) for source, relative in plan],
            self.settings.max_concurrency,
        )

    def write_bytes(self, artifact_path: str, data: bytes) -> None:
        relative = self._file_path(artifact_path)
        with self._errors("write", relative):
            self.bucket.blob(self._object(relative)).upload_from_string(
                bytes(data), timeout=self.settings.timeout
            )

    def write_stream(self, artifact_path: str, stream: BinaryIO) -> None:
        """Store what ``stream`` yields as a resumable upload, one chunk at a time.

        The stream is read only on the calling thread: a request body bridged from an
        event loop (the server's upload proxy) cannot be read from other threads.
        """
        relative = self._file_path(artifact_path)
        with self._errors("write", relative):
            self._upload_stream(self.bucket.blob(self._object(relative)), stream)

    def delete_artifacts(self, path: str | None = None) -> None:
        relative = _paths.normalize(path)
        with self._errors("delete", relative):
            names = [b.name for b in self._list(self._dir_prefix(relative), delimiter=None)]
            if relative:
                names.append(self._object(relative))
            self._delete_objects(names)

    # -------------------------------------------------------------------- reads
    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        relative = _paths.normalize(path)
        prefix = self._dir_prefix(relative)
        infos: list[FileInfo] = []
        with self._errors("list", relative):
            blobs = self._list(prefix, delimiter="/")
            for page in blobs.pages:
                for blob in page:
                    if blob.name == prefix or is_partial(blob.name[len(prefix) :]):
                        continue  # a folder placeholder, or a staged upload
                    name = self._child_name(prefix, blob.name, relative, directory=False)
                    infos.append(FileInfo(_paths.join(relative, name), False, int(blob.size or 0)))
                for common in page.prefixes:
                    if is_partial(common[len(prefix) :]):
                        continue
                    name = self._child_name(prefix, common, relative, directory=True)
                    infos.append(FileInfo(_paths.join(relative, name), True, None))
        return sorted(infos, key=lambda info: info.path)

    def open_artifact(self, path: str) -> BinaryIO:
        relative = self._file_path(path)
        with self._errors("read", relative):
            blob = self.bucket.get_blob(self._object(relative), timeout=self.settings.timeout)
            if blob is None:
                if self._is_directory(relative):
                    raise InvalidInputError(f"artifact {relative!r} is a directory, not a file")
                raise self._not_found(relative)
            # Reads in chunks as the caller reads, pinned to the generation just found.
            reader = blob.open("rb", chunk_size=self.settings.download_chunk_size)
        return cast(BinaryIO, reader)

    # ------------------------------------------------------------ multipart staging
    def _staged_write(self, path: str, data: BinaryIO | bytes) -> None:
        with self._errors("stage", path):
            blob = self.bucket.blob(self._object(path))
            if isinstance(data, bytes):
                blob.upload_from_string(data, timeout=self.settings.timeout)
            else:
                self._upload_stream(blob, data)

    def _staged_open(self, path: str) -> BinaryIO:
        with self._errors("read", path):
            blob = self.bucket.get_blob(self._object(path), timeout=self.settings.timeout)
            if blob is None:
                raise NotFoundError(f"{self._location(path)} does not exist")
            return cast(BinaryIO, blob.open("rb", chunk_size=self.settings.download_chunk_size))

    def _staged_files(self, folder: str) -> dict[str, int]:
        prefix = self._dir_prefix(folder)
        with self._errors("list", folder):
            return {
                b.name[len(prefix) :]: int(b.size or 0) for b in self._list(prefix, delimiter="/")
            }

    def _staged_delete(self, folder: str) -> None:
        with self._errors("delete", folder):
            self._delete_objects([b.name for b in self._list(self._dir_prefix(folder), None)])

    # ------------------------------------------------------------------ helpers
    def _dir_prefix(self, relative: str) -> str:
        """The name prefix of everything inside directory ``relative``."""
        name = self._object(relative)
        return f"{name}/" if name else ""

    def _file_path(self, path: str) -> str:
        relative = _paths.normalize(path)
        if not relative:
            raise InvalidInputError("artifact path '' names the artifact root, not a file")
        return relative

    def _list(self, prefix: str, delimiter: str | None) -> Any:
        return self.client.list_blobs(
            self.bucket,
            prefix=prefix,
            delimiter=delimiter,
            page_size=self.list_page_size,
            timeout=self.settings.timeout,
        )

    def _is_directory(self, relative: str) -> bool:
        blobs = self.client.list_blobs(
            self.bucket,
            prefix=self._dir_prefix(relative),
            max_results=1,
            timeout=self.settings.timeout,
        )
        return any(True for _ in blobs)

    def _delete_objects(self, names: list[str]) -> None:
        from google.api_core.exceptions import NotFound

        def delete(name: str) -> None:
            try:
                self.bucket.delete_blob(name, timeout=self.settings.timeout)
            except NotFound:  # gone already: what delete wants
                pass

        run_all([partial(delete, name) for name in names], self.settings.max_concurrency)

    def _child_name(self, prefix: str, name: str, relative: str, *, directory: bool) -> str:
        """The name of a listed object directly inside ``prefix``, or StorageError."""
        child = name[len(prefix) :] if name.startswith(prefix) else ""
        if directory:
            child = child[:-1] if child.endswith("/") else ""
        valid = bool(child) and "/" not in child
        if valid:
            try:
                valid = _paths.normalize(child) == child
            except InvalidInputError:
                valid = False
        if not valid:
            raise StorageError(
                f"Cloud Storage listed object {name!r} for directory {relative or '(root)'!r} "
                f"of {self.artifact_uri}, which is not an artifact of that directory"
            )
        return child
