"""The SFTP artifact repository: files in a directory of an SSH server."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import posixpath
import stat
import uuid
from collections.abc import Iterator
from typing import Any, BinaryIO, cast

from runlab import environment_variables as envvars
from runlab.errors import InvalidInputError, NotFoundError, StorageError
from runlab.store.artifacts import _paths
from runlab.store.artifacts.base import ArtifactRepository, FileInfo
from runlab.store.artifacts.local import plan_directory_upload, plan_file_upload
from runlab.store.artifacts.sftp import _sessions
from runlab.store.artifacts.sftp._uri import parse_sftp_uri

__all__ = ["SFTPArtifactRepository"]

_CHUNK = 1024 * 1024
_PREFETCH_REQUESTS = 64  # read requests in flight while a file downloads


class SFTPArtifactRepository(ArtifactRepository):
    """Files under ``sftp://user@host:port/root``: artifact path ``a/b`` is ``root/a/b``.

    Paths are checked lexically (``_paths.normalize``) and then on the server: every
    directory on the way and the final name are looked at without following links, and
    a link is followed only when the server resolves it to a place inside the root. So
    a symbolic link planted in the tree cannot lead a read, listing, write or delete
    outside it. Writes go to a partial file renamed over the target when complete.
    """

    def __init__(self, artifact_uri: str, *, timeout: float | None = None) -> None:
        self.location = parse_sftp_uri(artifact_uri)
        try:
            import paramiko  # noqa: F401  (the extra is installed)
        except ImportError:
            # The URI as shown everywhere else: without its password.
            raise StorageError(
                f"{_sessions.INSTALL_HINT} (for artifact URI '{self.location}')"
            ) from None
        super().__init__(artifact_uri)
        self.root = self.location.root
        self.endpoint = _sessions.resolve_endpoint(
            self.location, envvars.RUNLAB_SFTP_TIMEOUT.get() if timeout is None else timeout
        )
        self._root_real: str | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.location)!r})"

    # ------------------------------------------------------------------- writes
    def log_artifact(
        self, local_file: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        source, relative = plan_file_upload(local_file, artifact_path)
        with open(source, "rb") as stream:
            self._put(relative, stream)

    def log_artifacts(
        self, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        # The same checks as the local repository: nothing is uploaded after a refusal.
        _directory, plan = plan_directory_upload(local_dir, artifact_path)
        for source, relative in plan:
            with open(source, "rb") as stream:
                self._put(relative, stream)

    def write_bytes(self, artifact_path: str, data: bytes) -> None:
        self._put(self._file_path(artifact_path), io.BytesIO(bytes(data)))

    def write_stream(self, artifact_path: str, stream: BinaryIO) -> None:
        self._put(self._file_path(artifact_path), stream)

    def delete_artifacts(self, path: str | None = None) -> None:
        relative = _paths.normalize(path)
        with self._session("delete", relative) as sftp:
            target = self._resolve(sftp, relative)
            if target is None:
                return
            attr = _lstat(sftp, target)
            if attr is None:
                return
            if relative and stat.S_ISLNK(attr.st_mode):
                sftp.remove(target)  # the link itself, never what it points to
            elif stat.S_ISDIR(attr.st_mode):
                _remove_tree(sftp, target)
                if not relative:
                    self._root_real = None
            elif relative:
                sftp.remove(target)

    # -------------------------------------------------------------------- reads
    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        relative = _paths.normalize(path)
        with self._session("list", relative) as sftp:
            directory = self._resolve(sftp, relative)
            if directory is None:
                return []
            attr = self._followed(sftp, directory, relative)
            if attr is None or not stat.S_ISDIR(attr.st_mode):
                return []
            infos = [
                self._file_info(sftp, directory, entry, relative)
                for entry in sftp.listdir_attr(directory)
                if not entry.filename.startswith(_paths.PARTIAL_PREFIX)
            ]
        return sorted(infos, key=lambda info: info.path)

    def open_artifact(self, path: str) -> BinaryIO:
        return self._open(self._file_path(path))

    def download_artifacts(self, artifact_path: str = "", dst_path: str | None = None) -> str:
        return self._download_via_listing(artifact_path, dst_path)

    # ------------------------------------------------------------ multipart staging
    # The staging hooks get paths below the root that the multipart code built (inside
    # the reserved staging folder, which normalize() refuses), so they skip that check.
    def _staged_write(self, path: str, data: BinaryIO | bytes) -> None:
        self._put(path, io.BytesIO(data) if isinstance(data, bytes) else data)

    def _staged_open(self, path: str) -> BinaryIO:
        try:
            return self._open(path)
        except NotFoundError:
            raise NotFoundError(f"staged file {path!r} does not exist") from None

    def _staged_files(self, folder: str) -> dict[str, int]:
        with self._session("list", folder) as sftp:
            directory = self._resolve(sftp, folder)
            if directory is None:
                return {}
            try:
                entries = sftp.listdir_attr(directory)
            except FileNotFoundError:
                return {}
        return {
            e.filename: int(e.st_size or 0)
            for e in entries
            if stat.S_ISREG(e.st_mode) and not e.filename.startswith(_paths.PARTIAL_PREFIX)
        }

    def _staged_delete(self, folder: str) -> None:
        with self._session("delete", folder) as sftp:
            directory = self._resolve(sftp, folder)
            if directory is None or _lstat(sftp, directory) is None:
                return
            _remove_tree(sftp, directory)
            # Leave no empty staging folder behind; another upload in progress keeps it.
            with contextlib.suppress(OSError):
                sftp.rmdir(posixpath.dirname(directory))

    # ------------------------------------------------------------------ helpers
    def _open(self, relative: str) -> BinaryIO:
        """A stream of file ``relative``, holding its SFTP channel until closed."""
        pool = _sessions.pool_for(self.endpoint)
        with self._errors("read", relative):
            sftp = pool.acquire()
        try:
            with self._errors("read", relative):
                target = self._resolve(sftp, relative)
                attr = None if target is None else self._followed(sftp, target, relative)
                if target is None or attr is None:
                    raise self._not_found(relative)
                if stat.S_ISDIR(attr.st_mode):
                    raise InvalidInputError(f"artifact {relative!r} is a directory, not a file")
                if not stat.S_ISREG(attr.st_mode):
                    raise InvalidInputError(f"artifact {relative!r} is not a regular file")
                remote = sftp.open(target, "rb")
                # Keeps read requests in flight, so a large file is not fetched
                # one round trip per 32 KB.
                remote.prefetch(attr.st_size, _PREFETCH_REQUESTS)
        except BaseException as exc:
            pool.release(sftp, broken=isinstance(exc, _sessions.CONNECTION_ERRORS))
            raise
        return cast(BinaryIO, _HeldFile(remote, lambda broken: pool.release(sftp, broken=broken)))

    def _put(self, relative: str, stream: BinaryIO) -> None:
        """Write ``stream`` to a partial file beside the target, then rename it over."""
        with self._session("write", relative) as sftp:
            target = self._resolve(sftp, relative, create=True)
            assert target is not None  # created on the way
            attr = _lstat(sftp, target)
            if attr is not None and stat.S_ISLNK(attr.st_mode):
                attr = self._followed(sftp, target, relative)
            if attr is not None and stat.S_ISDIR(attr.st_mode):
                raise InvalidInputError(
                    f"artifact path {relative!r} is a directory; a file cannot replace it"
                )
            partial = posixpath.join(
                posixpath.dirname(target), f"{_paths.PARTIAL_PREFIX}{uuid.uuid4().hex}"
            )
            try:
                with sftp.open(partial, "wb") as out:
                    out.set_pipelined(True)
                    while chunk := stream.read(_CHUNK):
                        out.write(chunk)
                # Replaces a file (or a link, never its target) in one step on OpenSSH.
                sftp.posix_rename(partial, target)
            except BaseException:
                with contextlib.suppress(Exception):
                    sftp.remove(partial)
                raise

    def _resolve(self, sftp: Any, relative: str, *, create: bool = False) -> str | None:
        """The server path of ``relative`` with every directory on the way proven to lie
        inside the root; None when one is missing (``create`` makes them instead).

        The last component comes back as named, unresolved: a delete removes a link, a
        write replaces it, and reads go through :meth:`_followed`.
        """
        root = self._root(sftp, create=create)
        if root is None:
            return None
        if not relative:
            return root
        current = root
        *directories, name = relative.split("/")
        for part in directories:
            path = posixpath.join(current, part)
            attr = _lstat(sftp, path)
            if attr is None:
                if not create:
                    return None
                _mkdir(sftp, path)
                attr = _lstat(sftp, path)
            elif stat.S_ISLNK(attr.st_mode):
                path = self._inside(sftp, path, relative)
                attr = _stat(sftp, path)
            if attr is None or not stat.S_ISDIR(attr.st_mode):
                if create:
                    raise InvalidInputError(
                        f"artifact path {relative!r} cannot be written: one of its parent "
                        "directories is a file"
                    )
                return None
            current = path
        return posixpath.join(current, name)

    def _followed(self, sftp: Any, target: str, relative: str) -> Any:
        """The attributes of what ``target`` names, following a link only into the root;
        None when nothing is there."""
        attr = _lstat(sftp, target)
        if attr is not None and stat.S_ISLNK(attr.st_mode):
            return _stat(sftp, self._inside(sftp, target, relative))
        return attr

    def _inside(self, sftp: Any, path: str, relative: str) -> str:
        """The real path of link ``path``, which must lie inside the root."""
        try:
            real = str(sftp.normalize(path))
        except FileNotFoundError:
            return path  # a dangling link: nothing there, whatever it names
        if not _is_within(real, self._root_real or self.root):
            raise _paths.escape_error(
                relative, "it leads through a symbolic link to a location outside the root"
            )
        return real

    def _root(self, sftp: Any, *, create: bool) -> str | None:
        """The root's real path on the server; None while it does not exist."""
        if self._root_real is None:
            if create:
                _makedirs(sftp, self.root)
            try:
                self._root_real = str(sftp.normalize(self.root))
            except FileNotFoundError:
                return None
        return self._root_real

    def _file_info(self, sftp: Any, directory: str, entry: Any, relative: str) -> FileInfo:
        path = _paths.join(relative, entry.filename)
        mode = entry.st_mode or 0
        if stat.S_ISLNK(mode):
            # Followed only inside the root: nothing about an outside target is shown.
            child = posixpath.join(directory, entry.filename)
            try:
                real = str(sftp.normalize(child))
            except FileNotFoundError:
                return FileInfo(path, is_dir=False, file_size=None)
            if not _is_within(real, self._root_real or self.root):
                return FileInfo(path, is_dir=False, file_size=None)
            followed = _stat(sftp, real)
            if followed is None:
                return FileInfo(path, is_dir=False, file_size=None)
            entry, mode = followed, followed.st_mode
        if stat.S_ISDIR(mode):
            return FileInfo(path, is_dir=True, file_size=None)
        return FileInfo(path, is_dir=False, file_size=int(entry.st_size or 0))

    def _file_path(self, path: str) -> str:
        relative = _paths.normalize(path)
        if not relative:
            raise InvalidInputError("artifact path '' names the artifact root, not a file")
        return relative

    def _not_found(self, relative: str) -> NotFoundError:
        where = f"artifact {relative!r}" if relative else "the artifact root"
        return NotFoundError(f"{where} does not exist in {self.location}")

    @contextlib.contextmanager
    def _session(self, action: str, relative: str) -> Iterator[Any]:
        with self._errors(action, relative), _sessions.session(self.endpoint) as sftp:
            yield sftp

    @contextlib.contextmanager
    def _errors(self, action: str, relative: str) -> Iterator[None]:
        """Turn what the server answers into runlab errors naming the URI and the path."""
        import paramiko

        what = f"artifact {relative!r}" if relative else "the artifact root"
        try:
            yield
        except (InvalidInputError, NotFoundError, StorageError):
            raise
        except PermissionError as exc:
            raise StorageError(
                f"permission denied: could not {action} {what} in {self.location} "
                f"(the server's user {self.endpoint.user!r} may not)"
            ) from exc
        except FileNotFoundError as exc:
            raise self._not_found(relative) from exc
        except TimeoutError as exc:
            raise StorageError(
                f"could not {action} {what} in {self.location}: the server did not answer "
                f"within {self.endpoint.timeout:g} seconds (RUNLAB_SFTP_TIMEOUT)"
            ) from exc
        except (EOFError, paramiko.SSHException) as exc:
            raise StorageError(
                f"could not {action} {what} in {self.location}: the connection to "
                f"{self.endpoint} was lost ({exc or type(exc).__name__})"
            ) from exc
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:
                raise InvalidInputError(
                    f"artifact path {relative[:60]!r}... is too long for the server's file system"
                ) from exc
            raise StorageError(
                f"could not {action} {what} in {self.location}: {exc.strerror or exc}"
            ) from exc


class _HeldFile(io.RawIOBase):
    """A remote file that gives its SFTP channel back to the pool when closed."""

    def __init__(self, remote: Any, release: Any) -> None:
        self._remote = remote
        self._release = release

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return bytes(self._remote.read())
        return bytes(self._remote.read(size))

    def readinto(self, target: Any) -> int:
        data = self._remote.read(len(target))
        target[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            broken = False
            try:
                self._remote.close()
            except Exception:
                broken = True
            self._release(broken)
        super().close()


def _is_within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _lstat(sftp: Any, path: str) -> Any:
    try:
        return sftp.lstat(path)
    except FileNotFoundError:
        return None


def _stat(sftp: Any, path: str) -> Any:
    try:
        return sftp.stat(path)
    except FileNotFoundError:
        return None


def _mkdir(sftp: Any, path: str) -> None:
    try:
        sftp.mkdir(path)
    except OSError:
        # SFTP answers a bare "failure" for an existing name: another writer may have
        # made the directory meanwhile, which is fine; anything else is an error.
        attr = _lstat(sftp, path)
        if attr is None or not stat.S_ISDIR(attr.st_mode):
            raise


def _makedirs(sftp: Any, path: str) -> None:
    parts = [part for part in path.split("/") if part]
    current = ""
    for part in parts:
        current = f"{current}/{part}"
        attr = _stat(sftp, current)
        if attr is None:
            _mkdir(sftp, current)
        elif not stat.S_ISDIR(attr.st_mode):
            raise StorageError(f"{current!r} on the SFTP server is a file, not a directory")


def _remove_tree(sftp: Any, directory: str) -> None:
    """Remove ``directory`` and everything below it; links are removed, not followed."""
    for entry in sftp.listdir_attr(directory):
        path = posixpath.join(directory, entry.filename)
        if stat.S_ISDIR(entry.st_mode or 0):
            _remove_tree(sftp, path)
        else:
            with contextlib.suppress(FileNotFoundError):
                sftp.remove(path)
    with contextlib.suppress(FileNotFoundError):
        sftp.rmdir(directory)
