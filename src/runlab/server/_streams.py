"""Blocking readers for streaming uploads to storage without holding them in memory."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

__all__ = ["BodyReader"]


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
