"""A ``Server-Timing`` header on every answer: how long the app took, for the browser's
performance entries and for profiling the web UI without a server log."""

from __future__ import annotations

import time
from typing import Any


class ServerTimingMiddleware:
    """Pure ASGI (no response buffering): the time is measured when the headers go out,
    which for JSON answers is after the whole body was built."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()

        async def timed_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                took = (time.perf_counter() - began) * 1000
                headers = list(message.get("headers", []))
                headers.append((b"server-timing", f"app;dur={took:.1f}".encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, timed_send)
