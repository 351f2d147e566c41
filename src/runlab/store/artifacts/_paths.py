"""Artifact path rules and safe local writes, shared by every artifact repository.

An artifact path is relative to a run's artifact root and uses ``/`` separators.
:func:`normalize` checks one lexically, before any backend sees it, so local files,
S3 keys and HTTP routes obey the same rules. What a string check cannot see (a
symbolic link inside a local root) is checked by the local repository itself.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from typing import BinaryIO

from runlab.errors import InvalidInputError

__all__ = [
    "COPY_CHUNK_SIZE",
    "MAX_NAME_BYTES",
    "PARTIAL_PREFIX",
    "atomic_write",
    "download_destination",
    "escape_error",
    "is_within",
    "join",
    "local_path",
    "normalize",
]

# Temporary files of in-flight writes start with this; listings and downloads skip them.
PARTIAL_PREFIX = ".runlab-partial-"
COPY_CHUNK_SIZE = 1024 * 1024
# The longest file or directory name of common file systems (ext4, XFS, APFS, NTFS),
# in UTF-8 bytes; a longer name could be stored in S3 but never downloaded to a disk.
MAX_NAME_BYTES = 255

# "C:" or "C:/x": absolute on Windows, so refused everywhere to keep artifact trees portable.
_DRIVE_RE = re.compile(r"^[A-Za-z]:")


def escape_error(path: str, rule: str) -> InvalidInputError:
    return InvalidInputError(f"artifact path {path!r} escapes the run's artifact root ({rule})")


def normalize(path: str | os.PathLike[str] | None) -> str:
    """``path`` as a normalized relative artifact path; ``""`` means the root.

    Empty and ``.`` components and a trailing ``/`` are dropped; ``..``, absolute
    paths, drive letters, backslashes, NUL bytes and names over
    :data:`MAX_NAME_BYTES` raise InvalidInputError.
    """
    if path is None:
        return ""
    raw = os.fspath(path) if isinstance(path, os.PathLike) else path
    if not isinstance(raw, str):
        raise InvalidInputError(f"artifact path must be a string, got {type(raw).__name__}")
    if "\x00" in raw:
        raise InvalidInputError(f"artifact path {raw!r} is not valid (NUL bytes are not allowed)")
    # A backslash is a separator on Windows: "..\\x" would escape there, so no platform
    # accepts one, and an artifact tree reads the same wherever it is downloaded.
    if "\\" in raw:
        raise InvalidInputError(
            f"artifact path {raw!r} is not valid (backslashes are not allowed; "
            "separate directories with '/')"
        )
    if raw.startswith("/") or _DRIVE_RE.match(raw):
        raise escape_error(raw, "absolute paths are not allowed")
    parts = [part for part in raw.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise escape_error(raw, "'..' is not allowed")
    for part in parts:
        size = len(part.encode("utf-8", "surrogatepass"))
        if size > MAX_NAME_BYTES:
            raise InvalidInputError(
                f"artifact path {_shown(raw)}: the name {_shown(part)} is {size} bytes in "
                f"UTF-8; each file or directory name may be at most {MAX_NAME_BYTES} bytes"
            )
    if any(part.startswith(PARTIAL_PREFIX) for part in parts):
        raise InvalidInputError(
            f"artifact path {raw!r} is not valid (names starting with {PARTIAL_PREFIX!r} "
            "are reserved for writes in progress)"
        )
    return "/".join(parts)


def _shown(text: str, limit: int = 60) -> str:
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "..."


def join(base: str, name: str) -> str:
    """Join two normalized artifact paths, either of which may be the root ``""``."""
    return "/".join(part for part in (base, name) if part)


def local_path(directory: str, relative: str) -> str:
    """The local path of normalized artifact path ``relative`` under ``directory``."""
    return os.path.join(directory, *relative.split("/")) if relative else directory


def is_within(path: str, root: str) -> bool:
    """Whether ``path`` is ``root`` or below it; both must already be real paths."""
    path, root = os.path.normcase(path), os.path.normcase(root)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def atomic_write(dest: str, source: BinaryIO | bytes, *, durable: bool = True) -> None:
    """Write ``source`` (a readable stream, copied in chunks, or bytes) to ``dest``.

    The data goes to a temporary file in ``dest``'s directory, which is then renamed
    over ``dest``: readers see the old file or the whole new one, and a crash leaves
    nothing under the final name. ``durable`` syncs the data before the rename, so
    that also holds after a power loss. The parent directory must exist.
    """
    directory = os.path.dirname(dest) or "."
    partial = os.path.join(directory, f"{PARTIAL_PREFIX}{uuid.uuid4().hex}")
    # os.open with 0o666 lets the umask decide the mode, as for any new file
    # (mkstemp would force 0o600 and hide artifacts from a server run as another user).
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(partial, flags, 0o666)
    try:
        with os.fdopen(fd, "wb") as out:
            if isinstance(source, bytes):
                out.write(source)
            else:
                shutil.copyfileobj(source, out, COPY_CHUNK_SIZE)
            if durable:
                out.flush()
                os.fsync(out.fileno())
        os.replace(partial, dest)
    except BaseException:
        try:
            os.unlink(partial)
        except OSError:
            pass
        raise


def download_destination(dst_path: str | os.PathLike[str] | None) -> str:
    """The absolute directory a download goes to, created if needed.

    None means a new temporary directory, which the caller owns.
    """
    if dst_path is None:
        return tempfile.mkdtemp(prefix="runlab-artifacts-")
    dst = os.path.abspath(os.fspath(dst_path))
    if os.path.exists(dst) and not os.path.isdir(dst):
        raise InvalidInputError(f"download destination {dst!r} is a file, not a directory")
    os.makedirs(dst, exist_ok=True)
    return dst
