"""Streaming uploads to storage without holding them in memory: a blocking reader over the
request body, and the check that an upload says how long it is."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

__all__ = ["BodyReader", "require_declared_length"]


def require_declared_length(headers: Any) -> None:
    """An upload sends ``Content-Length`` (``0`` for an empty file) or a chunked body.

    A request with neither has no body by HTTP's rules, but it is far more often a
    client that lost its body than one that means to store an empty file; answered
    411 rather than writing a 0-byte artifact over a real one.
    """
    from starlette.exceptions import HTTPException

    if "content-length" in headers:
        return
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return
    raise HTTPException(
        411,
        "the upload has no Content-Length and no chunked body; send Content-Length "
        "(Content-Length: 0 for an empty file) or Transfer-Encoding: chunked",
    )


class BodyReader(io.RawIOBase):
    """A blocking reader over an async request body, for use in a worker thread.

    Each read that needs data asks the event loop for the next chunk
    (``anyio.from_thread``), so storage code written for file objects can consume a
    request as it arrives.
    """

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""
        self._done = False

    async def _next(self) -> bytes | None:
        try:
            return await self._chunks.__anext__()
        except StopAsyncIteration:
            return None

    def readable(self) -> bool:
        return True

    def readinto(self, target: bytearray | memoryview) -> int:  # type: ignore[override]
        import anyio.from_thread

        while not self._buffer and not self._done:
            chunk = anyio.from_thread.run(self._next)
            if chunk is None:
                self._done = True
            else:
                self._buffer = chunk
        n = min(len(target), len(self._buffer))
        target[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n
