"""The Azure Blob Storage artifact repository: files under ``wasbs://`` and ``abfss://`` URIs."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, BinaryIO

from runlab.errors import InvalidInputError, NotFoundError, StorageError
from runlab.store.artifacts import _paths
from runlab.store.artifacts.azure._client import shared_client
from runlab.store.artifacts.azure._errors import AzureErrorMapping
from runlab.store.artifacts.azure._staging import AzureStagingMethods
from runlab.store.artifacts.azure._transfers import (
    AzureTransferMethods,
    blob_stream,
    is_folder_marker,
)
from runlab.store.artifacts.azure.settings import (
    DELETE_BATCH,
    INSTALL_HINT,
    LIST_PAGE_SIZE,
    AzureSettings,
    parse_azure_uri,
)
from runlab.store.artifacts.base import ArtifactRepository, FileInfo
from runlab.store.artifacts.local import plan_directory_upload, plan_file_upload

try:
    from azure.storage.blob import BlobPrefix

    HAVE_SDK = True
except ImportError:  # pragma: no cover - exercised in a subprocess by the tests
    HAVE_SDK = False


class AzureBlobArtifactRepository(
    AzureErrorMapping, AzureTransferMethods, AzureStagingMethods, ArtifactRepository
):
    """Files below ``wasbs://container@account.blob.core.windows.net/prefix`` (or the
    ``abfss://…dfs…`` form of the same account): artifact path ``a/b`` is blob ``prefix/a/b``.

    ``settings`` default to the environment; ``service`` (a ``BlobServiceClient``) to the
    shared client for them and the environment's credentials.
    """

    def __init__(
        self,
        artifact_uri: str,
        *,
        settings: AzureSettings | None = None,
        service: Any = None,
        list_page_size: int = LIST_PAGE_SIZE,
    ) -> None:
        if not HAVE_SDK:
            raise StorageError(f"{INSTALL_HINT} (for artifact URI {artifact_uri!r})")
        super().__init__(artifact_uri)
        self.location = parse_azure_uri(artifact_uri)
        self.prefix = self.location.prefix
        self.settings = settings or AzureSettings.from_env()
        self.service = (
            service if service is not None else shared_client(self.location, self.settings)
        )
        self.container = self.service.get_container_client(self.location.container)
        self.list_page_size = list_page_size

    # ------------------------------------------------------------------- writes
    def log_artifact(
        self, local_file: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        source, relative = plan_file_upload(local_file, artifact_path)
        self._upload_file(source, relative, self.settings.max_concurrency)

    def log_artifacts(
        self, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        # The same checks as the local repository: nothing is uploaded after a refusal.
        _directory, plan = plan_directory_upload(local_dir, artifact_path)
        if len(plan) <= 1:
            for source, relative in plan:
                self._upload_file(source, relative, self.settings.max_concurrency)
            return
        # Files go in parallel; each file's blocks share what is left of the budget.
        workers = min(self.settings.max_concurrency, len(plan))
        per_file = max(1, self.settings.max_concurrency // workers)
        with ThreadPoolExecutor(workers, thread_name_prefix="runlab-azure-up") as pool:
            futures = [pool.submit(self._upload_file, s, r, per_file) for s, r in plan]
            for future in futures:
                future.result()

    def write_bytes(self, artifact_path: str, data: bytes) -> None:
        relative = self._file_path(artifact_path)
        with self._errors("write", relative):
            self.container.upload_blob(
                self._key(relative), bytes(data), overwrite=True, max_concurrency=1
            )

    def write_stream(self, artifact_path: str, stream: BinaryIO) -> None:
        """Store what ``stream`` yields as file ``artifact_path``, in blocks when large.

        The stream is read only on the calling thread (concurrency 1): a request body
        bridged from an event loop (the server's upload proxy) cannot be read from the
        SDK's worker threads.
        """
        relative = self._file_path(artifact_path)
        with self._errors("write", relative):
            self.container.upload_blob(
                self._key(relative), stream, overwrite=True, max_concurrency=1
            )

    def delete_artifacts(self, path: str | None = None) -> None:
        relative = _paths.normalize(path)
        with self._errors("delete", relative):
            names = [self._key(relative)] if relative else []
            names += [blob.name for blob in self._blobs_below(relative)]
            self._delete_blobs(names)

    # -------------------------------------------------------------------- reads
    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        relative = _paths.normalize(path)
        prefix = self._dir_prefix(relative)
        infos: dict[str, FileInfo] = {}
        with self._errors("list", relative):
            items = self.container.walk_blobs(
                name_starts_with=prefix or None,
                include=["metadata"],
                delimiter="/",
                results_per_page=self.list_page_size,
            )
            for item in items:
                prefixed = isinstance(item, BlobPrefix)
                if not prefixed and item.name == prefix:
                    continue  # a zero-byte "name/" blob that some tools make for a folder
                name = self._child_name(prefix, item.name, relative, directory=prefixed)
                if name.startswith(_paths.PARTIAL_PREFIX):
                    continue  # staged multipart uploads
                full = _paths.join(relative, name)
                # A Data Lake folder is also a blob: one entry for it and its prefix.
                directory = prefixed or is_folder_marker(item)
                size = None if directory else int(item.size)
                infos.setdefault(full, FileInfo(full, directory, size))
        return sorted(infos.values(), key=lambda info: info.path)

    def open_artifact(self, path: str) -> BinaryIO:
        relative = self._file_path(path)
        blob = self.container.get_blob_client(self._key(relative))
        try:
            with self._errors("read", relative):
                downloader = blob.download_blob(max_concurrency=1)
        except NotFoundError:
            if self._is_directory(relative):
                raise InvalidInputError(
                    f"artifact {relative!r} is a directory, not a file"
                ) from None
            raise
        if is_folder_marker(downloader.properties):
            raise InvalidInputError(f"artifact {relative!r} is a directory, not a file")
        return blob_stream(lambda: self._errors("read", relative), downloader)

    # ------------------------------------------------------------------ helpers
    def _key(self, relative: str) -> str:
        return _paths.join(self.prefix, relative)

    def _dir_prefix(self, relative: str) -> str:
        """The name prefix of every blob inside directory ``relative``."""
        key = self._key(relative)
        return f"{key}/" if key else ""

    def _file_path(self, path: str) -> str:
        relative = _paths.normalize(path)
        if not relative:
            raise InvalidInputError("artifact path '' names the artifact root, not a file")
        return relative

    def _blobs_below(self, relative: str) -> Any:
        prefix = self._dir_prefix(relative)
        return self.container.list_blobs(
            name_starts_with=prefix or None,
            include=["metadata"],
            results_per_page=self.list_page_size,
        )

    def _child_name(self, prefix: str, name: str, relative: str, *, directory: bool) -> str:
        """The name of a listed blob directly inside ``prefix``, or StorageError."""
        rest = name[len(prefix) :] if name.startswith(prefix) else ""
        if directory:
            rest = rest[:-1] if rest.endswith("/") else ""
        valid = bool(rest) and "/" not in rest
        if valid and not rest.startswith(_paths.PARTIAL_PREFIX):
            try:
                valid = _paths.normalize(rest) == rest
            except InvalidInputError:
                valid = False
        if not valid:
            raise StorageError(
                f"Azure listed blob {name!r} for directory {relative or '(root)'!r} of "
                f"{self.artifact_uri}, which is not an artifact of that directory"
            )
        return rest

    def _is_directory(self, relative: str) -> bool:
        with self._errors("list", relative):
            pages = self.container.list_blobs(
                name_starts_with=self._dir_prefix(relative), results_per_page=1
            ).by_page()
            return any(True for _ in next(pages, []))

    def _delete_blobs(self, names: list[str]) -> None:
        """Delete ``names`` in batches; one already gone is what a delete wants."""
        for start in range(0, len(names), DELETE_BATCH):
            batch = names[start : start + DELETE_BATCH]
            responses = self.container.delete_blobs(*batch, raise_on_any_failure=False)
            for name, response in zip(batch, responses, strict=False):
                if response.status_code not in (200, 202, 404):
                    raise StorageError(
                        f"could not delete {self.location.url(name)}: HTTP "
                        f"{response.status_code} {response.reason}"
                    )
