"""gzip for JSON answers, when the client accepts it.

A search page of 1,000 runs is about a megabyte of JSON that gzip shrinks some tenfold,
which matters more than the encoding time on any link slower than a loopback. Only
whole JSON answers are compressed (one body with a ``Content-Length``, the type
``application/json``, no ``Content-Disposition``): streamed artifact downloads, NDJSON
streams and files go out as they are, unbuffered. Level 1: on JSON it keeps most of
level 6's ratio at a third of the time.
"""

from __future__ import annotations

import gzip
from typing import Any

from starlette.concurrency import run_in_threadpool

MIN_SIZE = 1024  # below this, the gzip header and a round of deflate are not worth it
_IN_THREAD = 256 * 1024  # larger bodies are compressed off the event loop
_LEVEL = 1


def _accepts_gzip(scope: Any) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"accept-encoding":
            return b"gzip" in value.lower()
    return False


def _compressible(headers: list[tuple[bytes, bytes]]) -> bool:
    kind = length = None
    for name, value in headers:
        if name == b"content-type":
            kind = value
        elif name == b"content-length":
            length = value
        elif name in (b"content-encoding", b"content-disposition"):
            return False  # already encoded, or a file download
    return (
        kind is not None
        and kind.split(b";")[0].strip() == b"application/json"
        and length is not None
        and int(length) >= MIN_SIZE
    )


class GzipJsonMiddleware:
    """Pure ASGI: every other answer passes straight through."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not _accepts_gzip(scope):
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] | None = None

        async def gzip_send(message: Any) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if _compressible(list(message.get("headers", ()))):
                    start = message  # held until the body is seen
                    return
            elif start is not None and message["type"] == "http.response.body":
                held, start = start, None
                if message.get("more_body", False):  # streamed: sent as it comes
                    await send(held)
                else:
                    await _send_compressed(send, held, message.get("body", b""))
                    return
            await send(message)

        await self.app(scope, receive, gzip_send)


async def _send_compressed(send: Any, start: dict[str, Any], body: bytes) -> None:
    if len(body) > _IN_THREAD:
        packed = await run_in_threadpool(gzip.compress, body, _LEVEL, mtime=0)
    else:
        packed = gzip.compress(body, _LEVEL, mtime=0)
    headers = [(k, v) for k, v in start.get("headers", ()) if k != b"content-length"]
    headers += [
        (b"content-encoding", b"gzip"),
        (b"content-length", str(len(packed)).encode()),
        (b"vary", b"Accept-Encoding"),
    ]
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": packed})
