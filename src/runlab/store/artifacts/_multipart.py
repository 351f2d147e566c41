"""What every multipart upload shares: upload ids, the manifest, part names, checks.

An upload's state lives in the artifact destination itself, under the hidden
:data:`STAGING_DIR` at the root: ``<upload id>/upload.json`` (the manifest) and
``<upload id>/part-00001`` ... (parts not held by the store's own multipart upload).
Any process that can reach the destination can therefore take any part or finish the
upload. The folder's name starts with the reserved ``PARTIAL_PREFIX``, so listings and
downloads skip it and no artifact path can name it.
"""

from __future__ import annotations

import io
import json
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from runlab.errors import InvalidInputError, StorageError
from runlab.store.artifacts import _paths

__all__ = [
    "MANIFEST",
    "MAX_PARTS",
    "STAGING_DIR",
    "ChainedStreams",
    "Manifest",
    "check_part_number",
    "new_upload_id",
    "part_name",
    "part_numbers",
    "staged_path",
]

STAGING_DIR = f"{_paths.PARTIAL_PREFIX}uploads"
MANIFEST = "upload.json"
# MLflow's clients fall back to a plain upload when the message starts with this.
UNSUPPORTED = "Multipart upload is not supported for the current artifact repository"
MAX_PARTS = 10_000  # S3's limit, and MLflow's clients never ask for more

_UPLOAD_ID_RE = re.compile(r"^[0-9a-f]{32}$")
_PART_RE = re.compile(r"^part-(\d{5})$")


def new_upload_id() -> str:
    """128 random bits: an upload id is the only thing that lets a request add a part."""
    return secrets.token_hex(16)


def check_upload_id(upload_id: object) -> str:
    if not isinstance(upload_id, str) or not _UPLOAD_ID_RE.match(upload_id):
        raise InvalidInputError(
            f"upload_id {upload_id!r} is not a valid upload id (32 lowercase hex digits)"
        )
    return upload_id


def staged_path(upload_id: str, name: str = "") -> str:
    """The path below the destination root of an upload's folder or of one file in it."""
    return _paths.join(f"{STAGING_DIR}/{check_upload_id(upload_id)}", name)


def part_name(part_number: int) -> str:
    return f"part-{part_number:05d}"


def parse_part_name(name: str) -> int | None:
    match = _PART_RE.match(name)
    return int(match.group(1)) if match else None


def check_num_parts(num_parts: object) -> int:
    if isinstance(num_parts, bool) or not isinstance(num_parts, int):
        raise InvalidInputError(f"num_parts must be a whole number, got {num_parts!r}")
    if not 1 <= num_parts <= MAX_PARTS:
        raise InvalidInputError(f"num_parts must be between 1 and {MAX_PARTS}, got {num_parts}")
    return num_parts


@dataclass(frozen=True)
class Manifest:
    """What ``begin`` recorded: the file being built and how many parts it has.

    ``extra`` holds backend state, such as the id of S3's own multipart upload.
    """

    upload_id: str
    target: str
    num_parts: int
    extra: dict[str, Any] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        body = {"target": self.target, "num_parts": self.num_parts, **self.extra}
        return json.dumps(body).encode()

    @classmethod
    def from_bytes(cls, upload_id: str, data: bytes) -> Manifest:
        try:
            body = json.loads(data)
            target = _paths.normalize(body.pop("target"))
            num_parts = check_num_parts(body.pop("num_parts"))
        except (ValueError, KeyError, AttributeError, InvalidInputError) as exc:
            raise StorageError(
                f"the manifest of multipart upload {upload_id!r} is damaged ({exc})"
            ) from None
        if not target:
            raise StorageError(f"the manifest of multipart upload {upload_id!r} names no file")
        return cls(upload_id, target, num_parts, body)


def check_part_number(manifest: Manifest, part_number: object) -> int:
    if isinstance(part_number, bool) or not isinstance(part_number, int):
        raise InvalidInputError(f"part_number must be a whole number, got {part_number!r}")
    if not 1 <= part_number <= manifest.num_parts:
        raise InvalidInputError(
            f"part_number must be between 1 and {manifest.num_parts} for upload "
            f"{manifest.upload_id!r}, got {part_number}"
        )
    return part_number


def part_numbers(manifest: Manifest, parts: Sequence[int] | None) -> list[int]:
    """The parts ``complete`` joins, in order: ``parts`` (any order) or all of them."""
    numbers = sorted(parts) if parts else list(range(1, manifest.num_parts + 1))
    if numbers != list(range(1, len(numbers) + 1)) or len(numbers) > manifest.num_parts:
        raise InvalidInputError(
            f"parts: part numbers must run 1, 2, 3... up to at most {manifest.num_parts} "
            f"without gaps or repeats, got {numbers[:20]}"
        )
    return numbers


def check_target(manifest: Manifest, artifact_path: str) -> None:
    target = _paths.normalize(artifact_path)
    if target != manifest.target:
        raise InvalidInputError(
            f"path: upload {manifest.upload_id!r} was begun for {manifest.target!r}, not {target!r}"
        )


class ChainedStreams(io.RawIOBase):
    """Streams opened one after another, read as one (the parts of an upload)."""

    def __init__(self, openers: Sequence[Callable[[], BinaryIO]]) -> None:
        self._openers = list(openers)
        self._current: BinaryIO | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, target: bytearray | memoryview) -> int:  # type: ignore[override]
        while True:
            if self._current is None:
                if not self._openers:
                    return 0
                self._current = self._openers.pop(0)()
            data = self._current.read(len(target))
            if data:
                target[: len(data)] = data
                return len(data)
            self._current.close()
            self._current = None

    def close(self) -> None:
        if self._current is not None:
            self._current.close()
            self._current = None
        super().close()
