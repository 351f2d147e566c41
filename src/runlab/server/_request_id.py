"""A request id on every request and answer, and the 500 that names it.

The id comes from the client's ``X-Request-Id`` header when that is a sane token (so a
proxy's id carries through), else it is generated. It is kept in the request state
(``request.state.request_id``) and sent back in an ``X-Request-Id`` header on every answer.

An exception no handler turned into an answer ends here: it is logged with its traceback
and the id, and the client gets ``{"error_code": "INTERNAL_ERROR", "message": ...}``
naming only the id. It is not raised further, so the server keeps the connection open
(Starlette's outermost middleware would re-raise it, and uvicorn then drops the
connection).
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["HEADER", "RequestIdMiddleware", "internal_error_body", "request_id_of"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

HEADER = "X-Request-Id"
# Letters, digits and a few separators, as proxies generate them (nginx's $request_id,
# UUIDs, trace ids); anything else is replaced rather than echoed into logs and headers.
_SANE_ID = re.compile(rb"[A-Za-z0-9._:@+=-]{1,128}")
_STATE_KEY = "request_id"

logger = logging.getLogger("runlab.server")


def request_id_of(scope: Scope) -> str:
    """The id :class:`RequestIdMiddleware` gave this request (``"-"`` outside it)."""
    return str((scope.get("state") or {}).get(_STATE_KEY, "-"))


def internal_error_body(request_id: str) -> dict[str, str]:
    return {
        "error_code": "INTERNAL_ERROR",
        "message": f"internal server error; request id {request_id}",
    }


def _incoming_id(scope: Scope) -> str:
    for name, value in scope.get("headers") or ():
        if name == b"x-request-id":
            return value.decode("ascii") if _SANE_ID.fullmatch(value) else uuid.uuid4().hex
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Pure ASGI: the answer is streamed through untouched apart from one header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_id(scope)
        scope.setdefault("state", {})[_STATE_KEY] = request_id
        header = (b"x-request-id", request_id.encode("ascii"))
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [h for h in message.get("headers", []) if h[0].lower() != header[0]]
                message = {**message, "headers": [*headers, header]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logger.exception(
                "unexpected error in %s %s (request id %s)",
                scope.get("method"),
                scope.get("path"),
                request_id,
            )
            if started:  # part of the answer is out: the connection cannot be saved
                raise
            body = json.dumps(internal_error_body(request_id), separators=(",", ":")).encode()
            await send_with_id(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"x-content-type-options", b"nosniff"),
                    ],
                }
            )
            await send_with_id({"type": "http.response.body", "body": body})
