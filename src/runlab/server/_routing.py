"""``JsonRoute``: handlers return plain dicts, which are written with ``json.dumps``.

FastAPI would otherwise validate each returned dict against the response model and walk
it with ``jsonable_encoder``, which costs several times the encoding itself on a search
answer of a thousand runs. Handlers build their answers from entities in ``_wire``, so
the shape is right by construction; ``response_model`` still documents it in OpenAPI
(FastAPI passes a returned ``Response`` through untouched).
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute
from starlette.responses import JSONResponse, Response

__all__ = ["JsonResponse", "JsonRoute"]


class JsonResponse(JSONResponse):
    """Compact JSON; NaN and infinities are refused (``_wire`` writes them as strings)."""

    def render(self, content: Any) -> bytes:
        return json.dumps(
            content, ensure_ascii=False, allow_nan=False, separators=(",", ":")
        ).encode("utf-8")


def _respond(result: Any) -> Any:
    return result if isinstance(result, Response) else JsonResponse(result)


class JsonRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if inspect.iscoroutinefunction(endpoint):

            @functools.wraps(endpoint)
            async def wrapped(*args: Any, **kw: Any) -> Any:
                return _respond(await endpoint(*args, **kw))

        else:

            @functools.wraps(endpoint)
            def wrapped(*args: Any, **kw: Any) -> Any:  # still run in the thread pool
                return _respond(endpoint(*args, **kw))

        super().__init__(path, wrapped, **kwargs)
