"""The app's route classes: every route is guarded, and JSON routes write plain dicts.

``GuardedRoute`` refuses a handler without an access rule (:mod:`.auth.rules`) and calls
each handler through one wrapper, which

- answers 400 when a single-valued query parameter is repeated (``?run_id=a&run_id=b``):
  FastAPI would silently keep one of them;
- answers 400, before parsing, when the path, the query or a JSON body holds a NUL
  character or a lone surrogate (:mod:`._inputs`): PostgreSQL cannot store or compare
  the one, no encoder can write the other, and the answer should not depend on the
  database;
- with ``--auth``, checks the rule against the arguments FastAPI parsed for the handler,
  so the permission is decided on exactly the values the handler will use, and then
  filters the answer or records grants as the rule says.

``JsonRoute``: handlers return plain dicts, which are written with ``json.dumps``.
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
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from fastapi import Request
from fastapi._compat import field_annotation_is_sequence
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from runlab.errors import InvalidInputError
from runlab.server import _inputs
from runlab.server.auth.rules import Access, Args, access_of

__all__ = ["GuardedRoute", "JsonResponse", "JsonRoute", "iter_routes"]

_REQUEST = "_runlab_request"  # the wrapper's own parameter, never passed to the handler
_HANDLER = "__runlab_handler__"  # on a wrapper: the handler it calls


class JsonResponse(JSONResponse):
    """Compact JSON; NaN and infinities are refused (``_wire`` writes them as strings)."""

    def render(self, content: Any) -> bytes:
        return json.dumps(
            content, ensure_ascii=False, allow_nan=False, separators=(",", ":")
        ).encode("utf-8")


def _single_valued_query_names(dependant: Any) -> frozenset[str]:
    names: set[str] = set()
    for param in dependant.query_params:
        if not field_annotation_is_sequence(param.field_info.annotation):
            names.add(param.alias)
    for sub in dependant.dependencies:
        names |= _single_valued_query_names(sub)
    return frozenset(names)


def _request_parameter(endpoint: Callable[..., Any]) -> str | None:
    """The name of the handler's own ``Request`` parameter, if it has one."""
    from fastapi.dependencies.utils import get_typed_signature

    for param in get_typed_signature(endpoint).parameters.values():
        if isinstance(param.annotation, type) and issubclass(param.annotation, Request):
            return param.name
    return None


def _refuse_repeats(request: Request, single: frozenset[str]) -> None:
    if not single or "&" not in request.scope.get("query_string", b"").decode("latin-1"):
        return
    seen: set[str] = set()
    for key, _value in request.query_params.multi_items():
        if key in single:
            if key in seen:
                raise InvalidInputError(
                    f"{key}: given more than once; this parameter takes one value"
                )
            seen.add(key)


class GuardedRoute(APIRoute):
    """A route whose handler runs only after its access rule allowed the request."""

    json_answers = False

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        # include_router builds each route again from the one it copies: start from the
        # handler itself, not from the wrapper around it.
        endpoint = getattr(endpoint, _HANDLER, endpoint)
        rule = access_of(endpoint)
        if rule is None:
            raise TypeError(
                f"route {path} ({endpoint.__qualname__}) has no access rule: declare one "
                "with runlab.server.auth.rules.access"
            )
        self.access: Access = rule
        self.handler = endpoint
        self._single: frozenset[str] = frozenset()
        super().__init__(path, self._guarded(endpoint, rule), **kwargs)
        self._single = _single_valued_query_names(self.dependant)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """FastAPI's handler, after the checks of :mod:`._inputs` on the URL, the query
        string and a JSON body (decoded once: FastAPI reuses the request's parsed body)."""
        handle = super().get_route_handler()
        takes_body = self.body_field is not None

        async def checked(request: Request) -> Response:
            scope = request.scope
            _inputs.check_path(scope.get("raw_path") or b"")
            _inputs.check_query(scope.get("query_string", b""))
            _inputs.check_path_params(request.path_params)
            if takes_body and "json" in request.headers.get("content-type", ""):
                try:
                    body = await request.json()
                except ValueError:  # not JSON: FastAPI answers that itself
                    pass
                else:
                    _inputs.check_json(body)
            return await handle(request)

        return checked

    def _guarded(self, endpoint: Callable[..., Any], rule: Access) -> Callable[..., Any]:
        respond = _respond if self.json_answers else _as_is
        route = self
        own = _request_parameter(endpoint)  # FastAPI passes the request once, by one name

        def authorizer_and_user(request: Request) -> tuple[Any, Any]:
            authorizer = getattr(request.app.state, "authorizer", None)
            if authorizer is None or rule.level == "public":
                return None, None
            return authorizer, authorizer.user_of(request.scope)

        if inspect.iscoroutinefunction(endpoint):

            @functools.wraps(endpoint)
            async def wrapped(*args: Any, **kw: Any) -> Any:
                request: Request = kw[own] if own else kw.pop(_REQUEST)
                _refuse_repeats(request, route._single)
                authorizer, user = authorizer_and_user(request)
                if authorizer is None:
                    return respond(await endpoint(*args, **kw))
                parsed = Args(kw)
                await run_in_threadpool(authorizer.before, rule, user, parsed)
                result = await endpoint(*args, **kw)
                answer = await run_in_threadpool(authorizer.after, rule, user, parsed, result)
                return respond(answer)

        else:

            @functools.wraps(endpoint)
            def wrapped(*args: Any, **kw: Any) -> Any:  # still run in the thread pool
                request: Request = kw[own] if own else kw.pop(_REQUEST)
                _refuse_repeats(request, route._single)
                authorizer, user = authorizer_and_user(request)
                if authorizer is None:
                    return respond(endpoint(*args, **kw))
                parsed = Args(kw)
                authorizer.before(rule, user, parsed)
                return respond(authorizer.after(rule, user, parsed, endpoint(*args, **kw)))

        if own is None:  # the wrapper takes the request too, under a name no handler uses
            signature = inspect.signature(endpoint)
            extra = inspect.Parameter(_REQUEST, inspect.Parameter.KEYWORD_ONLY, annotation=Request)
            wrapped.__signature__ = signature.replace(  # type: ignore[attr-defined]
                parameters=[*signature.parameters.values(), extra]
            )
        setattr(wrapped, _HANDLER, endpoint)
        return wrapped


class JsonRoute(GuardedRoute):
    json_answers = True


def _respond(result: Any) -> Any:
    return result if isinstance(result, Response) else JsonResponse(result)


def _as_is(result: Any) -> Any:
    return result


def iter_routes(
    app: Any, *, load: bool = True
) -> Iterator[tuple[str, frozenset[str], Access | None]]:
    """(full path, methods, access rule) of every HTTP route of ``app``, included
    routers walked (HEAD is left out: it is checked as GET). Route modules still held
    back (:mod:`._lazy`) are loaded first, unless ``load`` is false: then they are left out."""
    if load:
        from runlab.server._lazy import load_all

        load_all(app)
    yield from _walk(app.router.routes, "")


def _walk(routes: list[Any], prefix: str) -> Iterator[tuple[str, frozenset[str], Access | None]]:
    for route in routes:
        context = getattr(route, "include_context", None)
        if context is not None:  # FastAPI keeps an included router as one entry
            yield from _walk(context.included_router.routes, prefix + context.prefix)
        elif getattr(route, "methods", None):
            methods = frozenset(m for m in route.methods if m != "HEAD")
            yield prefix + route.path, methods, getattr(route, "access", None)
