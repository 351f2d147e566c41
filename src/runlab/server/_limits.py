"""A request-body size limit that answers 413 with the MLflow-style error JSON.

A declared ``Content-Length`` over the limit is refused before the body is read; a
chunked body is counted as it streams, and the response the app was about to send
is replaced by the 413 once the limit is passed.

The connection stays open after a 413: the server reads the rest of the body and drops
it, and the client's next request goes on the same connection. Only a declared body
over :data:`DRAIN_LIMIT` closes it, as reading that much just to discard it is waste.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from runlab.errors import RequestTooLargeError

__all__ = ["DRAIN_LIMIT", "BodyLimitMiddleware"]

DRAIN_LIMIT = 64 * 1024 * 1024

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        upload_limit: int | None,
        upload_prefixes: tuple[str, ...],
    ) -> None:
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit
        self.upload_prefixes = upload_prefixes

    def _limit_for(self, path: str) -> int | None:
        if path.startswith(self.upload_prefixes):
            return self.upload_limit
        return self.limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit_for(scope.get("path", ""))
        if limit is None:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _send_413(send, limit, close=int(declared) > DRAIN_LIMIT)
            return
        state = {"received": 0, "over": False, "started": False}

        async def counted_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    state["over"] = True
                    raise RequestTooLargeError(_message(limit))
            return message

        async def guarded_send(message: Message) -> None:
            if state["over"]:
                if not state["started"]:
                    state["started"] = True
                    await _send_413(send, limit)
                return
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except RequestTooLargeError:
            if not state["started"]:
                state["started"] = True
                await _send_413(send, limit)
        except Exception:
            if state["over"]:  # the app wrapped our signal in an error of its own
                if not state["started"]:
                    state["started"] = True
                    await _send_413(send, limit)
                return
            raise


def _message(limit: int) -> str:
    return f"request body is larger than this server's limit of {limit} bytes"


async def _send_413(send: Send, limit: int, *, close: bool = False) -> None:
    body = json.dumps(RequestTooLargeError(_message(limit)).to_dict()).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
