"""Artifacts in a local directory: ``file:`` URIs and plain paths.

Every artifact path is checked twice: lexically by :func:`runlab.store.artifacts._paths.normalize`,
then after ``os.path.realpath``, so a symbolic link planted inside the root cannot
lead a read, listing, write or delete outside it. The checks assume nobody swaps
directories for links between the check and the operation: the root belongs to
runlab, and anyone who can write into it could change the artifacts directly anyway.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
from collections.abc import Callable, Iterator
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

from runlab.errors import InvalidInputError, NotFoundError, StorageError
from runlab.store.artifacts import _paths
from runlab.store.artifacts.base import ArtifactRepository, FileInfo

__all__ = ["LocalArtifactRepository", "local_root"]


def local_root(artifact_uri: str) -> str:
    """The absolute directory named by a ``file:`` URI or a plain path.

    Accepts ``file:///abs``, ``file:/abs``, ``file://localhost/abs`` (percent-decoded)
    and absolute or relative paths (taken as they are, relative to the current
    directory now, so a later change of directory does not move the root).
    """
    if not artifact_uri:
        raise InvalidInputError("artifact URI must not be empty")
    parsed = urlsplit(artifact_uri)
    if parsed.scheme.lower() == "file":
        if parsed.netloc not in ("", "localhost"):
            raise InvalidInputError(
                f"artifact URI {artifact_uri!r}: file URIs must not name a host ({parsed.netloc!r})"
            )
        if parsed.query or parsed.fragment:
            raise InvalidInputError(
                f"artifact URI {artifact_uri!r}: file URIs take no query or fragment "
                "(percent-encode '?' and '#' in paths as %3F and %23)"
            )
        path = unquote(parsed.path)
    elif len(parsed.scheme) <= 1:  # none, or a Windows drive letter
        path = os.path.expanduser(artifact_uri)
    else:
        raise InvalidInputError(
            f"artifact URI {artifact_uri!r} is neither a local path nor a file: URI"
        )
    if not path:
        raise InvalidInputError(f"artifact URI {artifact_uri!r} names no path")
    if "\x00" in path:
        raise InvalidInputError(f"artifact URI {artifact_uri!r}: NUL bytes are not allowed")
    return os.path.abspath(path)


class LocalArtifactRepository(ArtifactRepository):
    """A directory tree; the root directory is created by the first write."""

    def __init__(self, artifact_uri: str) -> None:
        super().__init__(artifact_uri)
        self.root = local_root(artifact_uri)

    # ------------------------------------------------------------------- writes
    def log_artifact(
        self, local_file: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        source, relative = plan_file_upload(local_file, artifact_path)
        self._copy_in(source, relative)

    def log_artifacts(
        self, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        # Check the whole tree and every destination first: a refusal copies nothing.
        directory, plan = plan_directory_upload(local_dir, artifact_path)
        self._resolve(directory)
        for _, relative in plan:
            self._resolve(relative)
        for path, relative in plan:
            self._copy_in(path, relative)

    def write_bytes(self, artifact_path: str, data: bytes) -> None:
        relative = _paths.normalize(artifact_path)
        if not relative:
            raise InvalidInputError("artifact path '' names the artifact root, not a file")
        if not isinstance(data, bytes):
            data = bytes(data)  # bytearray, memoryview
        target = self._writable(relative)
        with self._storage_errors("write", relative):
            _paths.atomic_write(target, data)

    def write_stream(self, artifact_path: str, stream: BinaryIO) -> None:
        relative = _paths.normalize(artifact_path)
        if not relative:
            raise InvalidInputError("artifact path '' names the artifact root, not a file")
        target = self._writable(relative)
        with self._storage_errors("write", relative):
            _paths.atomic_write(target, stream)  # chunked copy into a temp file, then rename

    def delete_artifacts(self, path: str | None = None) -> None:
        relative = _paths.normalize(path)
        target = self._resolve(relative)
        with self._storage_errors("delete", relative):
            if relative and os.path.islink(target):
                os.unlink(target)  # the link itself, never what it points to
            elif os.path.isdir(target):
                # rmtree unlinks links inside the tree without following them.
                shutil.rmtree(target)
            elif relative and os.path.lexists(target):
                os.unlink(target)

    # -------------------------------------------------------------------- reads
    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        relative = _paths.normalize(path)
        directory = self._resolve(relative)
        root = os.path.realpath(self.root)
        try:
            with os.scandir(directory) as scan:
                entries = [e for e in scan if not e.name.startswith(_paths.PARTIAL_PREFIX)]
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as exc:
            raise self._storage_error("list", relative, exc) from exc
        infos = [_file_info(entry, _paths.join(relative, entry.name), root) for entry in entries]
        return sorted(infos, key=lambda info: info.path)

    def open_artifact(self, path: str) -> BinaryIO:
        relative = _paths.normalize(path)
        target = self._resolve(relative)
        mode = self._artifact_mode(target, relative)
        if stat.S_ISDIR(mode):
            raise InvalidInputError(f"artifact {relative!r} is a directory, not a file")
        if not stat.S_ISREG(mode):
            raise InvalidInputError(f"artifact {relative!r} is not a regular file")
        with self._storage_errors("read", relative):
            return open(target, "rb")  # the caller owns and closes the stream

    def download_artifacts(self, artifact_path: str = "", dst_path: str | None = None) -> str:
        relative = _paths.normalize(artifact_path)
        source = self._resolve(relative)
        try:
            mode = self._artifact_mode(source, relative)
        except NotFoundError:
            if relative:
                raise
            return _paths.download_destination(dst_path)  # nothing logged yet
        if stat.S_ISDIR(mode):
            files = _walk_files(
                source,
                boundary=os.path.realpath(self.root),
                describe=lambda rel: f"artifact {_paths.join(relative, rel)!r}",
                outside="the run's artifact root",
                skip_partial=True,
            )
        elif stat.S_ISREG(mode):
            files = []
        else:
            raise InvalidInputError(f"artifact {relative!r} is not a regular file")
        # Only now create the destination, so a refused download leaves nothing behind.
        local = _paths.local_path(_paths.download_destination(dst_path), relative)
        with self._storage_errors("download", relative):
            if stat.S_ISDIR(mode):
                os.makedirs(local, exist_ok=True)
                for path, rel in files:
                    _copy_out(path, _paths.local_path(local, rel))
            else:
                _copy_out(source, local)
        return local

    # ----------------------------------------------------------- staged uploads
    # Staged parts live in the destination folder itself, so processes on several hosts
    # sharing it (NFS, say) can each take parts of one upload.
    def _staged_write(self, path: str, data: BinaryIO | bytes) -> None:
        target = self._resolve(path)
        with self._storage_errors("stage", path):
            for attempt in (1, 2):
                os.makedirs(os.path.dirname(target), exist_ok=True)
                try:
                    _paths.atomic_write(target, data)
                    return
                except FileNotFoundError:
                    # Another process removed the empty staging folder meanwhile.
                    if attempt == 2 or not isinstance(data, bytes):
                        raise

    def _staged_open(self, path: str) -> BinaryIO:
        try:
            return open(self._resolve(path), "rb")
        except (FileNotFoundError, NotADirectoryError):
            raise NotFoundError(f"staged file {path!r} does not exist") from None
        except OSError as exc:
            raise self._storage_error("read", path, exc) from exc

    def _staged_files(self, folder: str) -> dict[str, int]:
        try:
            with os.scandir(self._resolve(folder)) as scan:
                return {
                    entry.name: entry.stat().st_size
                    for entry in scan
                    if entry.is_file(follow_symlinks=False)
                    and not entry.name.startswith(_paths.PARTIAL_PREFIX)
                }
        except (FileNotFoundError, NotADirectoryError):
            return {}
        except OSError as exc:
            raise self._storage_error("list", folder, exc) from exc

    def _staged_delete(self, folder: str) -> None:
        target = self._resolve(folder)
        with self._storage_errors("delete", folder):
            shutil.rmtree(target, ignore_errors=True)
        # Leave no empty staging folder behind; another upload in progress keeps it.
        with contextlib.suppress(OSError):
            os.rmdir(os.path.dirname(target))

    # ------------------------------------------------------------------ helpers
    def _resolve(self, relative: str) -> str:
        """The local path of a normalized artifact path, proven to stay inside the root.

        Each component is resolved in turn and must stay inside the root: checking
        only the whole path would accept ``out/back`` where ``out`` links outside and
        ``back`` links home again. The parent comes back resolved and the last
        component as named, so a delete removes a link rather than its target.
        """
        root = os.path.realpath(self.root)
        if not relative:
            return root
        parent = root
        *directories, name = relative.split("/")
        for part in directories:
            parent = os.path.realpath(os.path.join(parent, part))
            if not _paths.is_within(parent, root):
                break
        target = os.path.join(parent, name)
        if not (
            _paths.is_within(parent, root) and _paths.is_within(os.path.realpath(target), root)
        ):
            raise _paths.escape_error(
                relative, "it leads through a symbolic link to a location outside the root"
            )
        return target

    def _writable(self, relative: str) -> str:
        """Resolve ``relative`` for a write and create its parent directories."""
        target = self._resolve(relative)
        try:
            os.makedirs(os.path.dirname(target), exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise InvalidInputError(
                f"artifact path {relative!r} cannot be written: one of its parent "
                "directories is a file"
            ) from None
        except OSError as exc:
            raise self._storage_error("write", relative, exc) from exc
        if os.path.isdir(target):
            raise InvalidInputError(
                f"artifact path {relative!r} is a directory; a file cannot replace it"
            )
        return target

    def _copy_in(self, source: str, relative: str) -> None:
        target = self._writable(relative)
        with self._storage_errors("write", relative), open(source, "rb") as stream:
            _paths.atomic_write(target, stream)

    def _artifact_mode(self, target: str, relative: str) -> int:
        try:
            return os.stat(target).st_mode
        except (FileNotFoundError, NotADirectoryError):
            where = f"artifact {relative!r}" if relative else "the artifact root"
            raise NotFoundError(f"{where} does not exist in {self.artifact_uri}") from None
        except OSError as exc:
            raise self._storage_error("read", relative, exc) from exc

    def _storage_error(
        self, action: str, relative: str, exc: OSError
    ) -> StorageError | InvalidInputError:
        if exc.errno == errno.ENAMETOOLONG:  # the whole path, past the system's limit
            return InvalidInputError(
                f"artifact path {relative[:60]!r}... is too long for this file system "
                f"({len(relative.encode('utf-8', 'surrogatepass'))} bytes); use fewer or "
                "shorter directory names"
            )
        return StorageError(
            f"could not {action} artifact {relative!r} in {self.artifact_uri}: "
            f"{exc.strerror or exc}"
        )

    @contextlib.contextmanager
    def _storage_errors(self, action: str, relative: str) -> Iterator[None]:
        try:
            yield
        except OSError as exc:
            raise self._storage_error(action, relative, exc) from exc


def _file_info(entry: os.DirEntry[str], path: str, root: str) -> FileInfo:
    try:
        if entry.is_symlink() and not _paths.is_within(os.path.realpath(entry.path), root):
            # Listed so the tree is shown as it is, but never followed: no size or type
            # of anything outside the root is revealed, and reading it is refused.
            return FileInfo(path, is_dir=False, file_size=None)
        if entry.is_dir():
            return FileInfo(path, is_dir=True, file_size=None)
        return FileInfo(path, is_dir=False, file_size=entry.stat().st_size)
    except OSError:  # a dangling link, or an entry removed meanwhile
        return FileInfo(path, is_dir=False, file_size=None)


def plan_file_upload(
    local_file: str | os.PathLike[str], artifact_path: str | None
) -> tuple[str, str]:
    """The local file and its checked artifact path for logging ``local_file`` into
    directory ``artifact_path``; every repository's ``log_artifact`` starts here."""
    source = os.fspath(local_file)
    directory = _paths.normalize(artifact_path)
    mode = _source_mode(source, "local file")
    if stat.S_ISDIR(mode):
        raise InvalidInputError(
            f"local file {source!r} is a directory; use log_artifacts to log a directory"
        )
    if not stat.S_ISREG(mode):
        raise InvalidInputError(f"local file {source!r} is not a regular file")
    return source, _paths.normalize(_paths.join(directory, os.path.basename(source)))


def plan_directory_upload(
    local_dir: str | os.PathLike[str], artifact_path: str | None
) -> tuple[str, list[tuple[str, str]]]:
    """The checked destination directory and (local file, artifact path) pairs for logging
    the tree below ``local_dir``; links leaving the tree are refused before any copy.

    Every repository's ``log_artifacts`` starts here, so the rules are the same for all.
    """
    source = os.fspath(local_dir)
    directory = _paths.normalize(artifact_path)
    if not stat.S_ISDIR(_source_mode(source, "local directory")):
        raise InvalidInputError(f"local directory {source!r} is not a directory")
    files = _walk_files(
        source,
        boundary=os.path.realpath(source),
        describe=lambda rel: f"local path {os.path.join(source, *rel.split('/'))!r}",
        outside=f"the directory being logged ({source!r})",
    )
    return directory, [(path, _paths.normalize(_paths.join(directory, rel))) for path, rel in files]


def _source_mode(source: str, kind: str) -> int:
    try:
        return os.stat(source).st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise NotFoundError(f"{kind} {source!r} does not exist") from None
    except OSError as exc:
        raise StorageError(f"could not read {kind} {source!r}: {exc.strerror or exc}") from exc


def _walk_files(
    top: str,
    *,
    boundary: str,
    describe: Callable[[str], str],
    outside: str,
    skip_partial: bool = False,
) -> list[tuple[str, str]]:
    """The regular files below directory ``top``: (local path, relative ``/`` path).

    Symbolic links are followed only when they resolve inside ``boundary`` (a real
    path); any other link, and anything that is neither a file nor a directory,
    raises InvalidInputError. A link back to an enclosing directory is not walked
    again, so a loop ends.
    """
    files: list[tuple[str, str]] = []

    def visit(directory: str, prefix: str, ancestors: frozenset[tuple[int, int]]) -> None:
        info = os.stat(directory)
        identity = (info.st_dev, info.st_ino)
        if identity in ancestors:
            return
        ancestors = ancestors | {identity}
        with os.scandir(directory) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
        for entry in entries:
            if skip_partial and entry.name.startswith(_paths.PARTIAL_PREFIX):
                continue
            relative = _paths.join(prefix, entry.name)
            path = entry.path
            if entry.is_symlink():
                path = os.path.realpath(entry.path)
                if not _paths.is_within(path, boundary):
                    raise InvalidInputError(
                        f"{describe(relative)} is a symbolic link to a location outside "
                        f"{outside}; refusing to follow it"
                    )
            try:
                mode = os.stat(path).st_mode
            except FileNotFoundError:
                raise InvalidInputError(
                    f"{describe(relative)} is a symbolic link to nothing"
                ) from None
            if stat.S_ISDIR(mode):
                visit(path, relative, ancestors)
            elif stat.S_ISREG(mode):
                files.append((path, relative))
            else:
                raise InvalidInputError(
                    f"{describe(relative)} is neither a regular file nor a directory"
                )

    try:
        visit(top, "", frozenset())
    except OSError as exc:
        raise StorageError(f"could not read {describe('')}: {exc.strerror or exc}") from exc
    return files


def _copy_out(source: str, local: str) -> None:
    os.makedirs(os.path.dirname(local), exist_ok=True)
    with open(source, "rb") as stream:
        _paths.atomic_write(local, stream, durable=False)
