"""Every error leaves the server in one shape: ``{"error_code": ..., "message": ...}``.

==============================================  ======  ===========================
cause                                           status  error_code
==============================================  ======  ===========================
a :class:`runlab.errors.RunlabError`            its own its own
a request that fails validation                 400     INVALID_PARAMETER_VALUE
a body that is not JSON                         400     MALFORMED_REQUEST
an unknown path under ``/api`` or ``/ajax-api`` 404     ENDPOINT_NOT_FOUND
a known path with the wrong method              405     ENDPOINT_NOT_FOUND (+ Allow)
a request body over the configured limit        413     RESOURCE_LIMIT_EXCEEDED
anything else (a bug)                           500     INTERNAL_ERROR (logged)
==============================================  ======  ===========================

A 500 (a storage failure or a bug) says only ``internal server error; request id <id>``:
its cause, which may name server paths or database internals, goes to the server log
with the traceback and the same id (see :mod:`runlab.server._request_id`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from runlab.errors import RunlabError
from runlab.server._request_id import internal_error_body, request_id_of
from runlab.server.prefixes import API_PREFIXES

if TYPE_CHECKING:
    from fastapi import FastAPI, Request
    from starlette.responses import Response

__all__ = ["error_response", "install_error_handlers"]

logger = logging.getLogger("runlab.server")
PROXY_URI = "mlflow-artifacts:"


def error_response(status: int, error_code: str, message: str) -> Response:
    from starlette.responses import JSONResponse

    return JSONResponse({"error_code": error_code, "message": message}, status_code=status)


def _internal_error(request: Request, exc: Exception) -> Response:
    from starlette.responses import JSONResponse

    request_id = request_id_of(request.scope)
    logger.error(
        "error in %s %s (request id %s)",
        request.method,
        request.url.path,
        request_id,
        exc_info=exc,
    )
    return JSONResponse(internal_error_body(request_id), status_code=500)


def _runlab_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RunlabError)
    if exc.http_status == 500:  # 501 (not supported) says what the client asked for
        return _internal_error(request, exc)
    return error_response(exc.http_status, exc.error_code, _redacted(request, exc.message))


def _redacted(request: Request, message: str) -> str:
    """``message`` with the artifact proxy's destination (a server folder or bucket that
    clients only know as ``mlflow-artifacts:/``) written as that URI."""
    artifacts = getattr(request.app.state.backend, "artifacts", None)
    if artifacts is None:
        return message
    for location in sorted(_locations(artifacts), key=len, reverse=True):
        message = message.replace(location, PROXY_URI)
    return message


def _locations(artifacts: Any) -> set[str]:
    names = {artifacts.artifact_uri, getattr(artifacts, "root", None)}
    return {n.rstrip("/") for n in names if isinstance(n, str) and n.strip("/")}


def _field_name(loc: tuple[Any, ...]) -> str:
    # ("body", "metrics", 3, "value") -> "metrics[3].value"; the location kind is dropped.
    parts = [p for p in loc if p not in ("body", "query", "path", "header")]
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "request body"


def _validation_error(_request: Request, exc: Exception) -> Response:
    errors: list[dict[str, Any]] = list(getattr(exc, "errors", lambda: [])())
    if errors and errors[0].get("type") == "json_invalid":
        return error_response(400, "MALFORMED_REQUEST", "the request body is not valid JSON")
    messages = []
    for error in errors[:5]:
        field = _field_name(tuple(error.get("loc", ())))
        if error.get("type") == "missing":
            messages.append(f"{field}: missing; it is required")
        else:
            messages.append(f"{field}: {error.get('msg', 'invalid value')}")
    if len(errors) > 5:
        messages.append(f"... and {len(errors) - 5} more")
    return error_response(400, "INVALID_PARAMETER_VALUE", "; ".join(messages) or "invalid request")


def _http_error(request: Request, exc: Exception) -> Response:
    from starlette.exceptions import HTTPException as StarletteHTTPException
    from starlette.responses import PlainTextResponse

    assert isinstance(exc, StarletteHTTPException)
    path = request.url.path
    if exc.status_code in (404, 405) and (path.startswith(API_PREFIXES) or exc.status_code == 405):
        method = request.method
        if exc.status_code == 404:
            return error_response(404, "ENDPOINT_NOT_FOUND", f"no endpoint {method} {path}")
        allowed = _allowed_methods(request)
        response = error_response(
            405, "ENDPOINT_NOT_FOUND", f"{path} does not accept {method}; it accepts {allowed}"
        )
        response.headers["Allow"] = allowed
        return response
    if path.startswith(API_PREFIXES):
        return error_response(exc.status_code, "BAD_REQUEST", str(exc.detail))
    return PlainTextResponse(str(exc.detail), status_code=exc.status_code, headers=exc.headers)


def _allowed_methods(request: Request) -> str:
    """Every method some route of the app accepts at this path (FastAPI's own 405 names
    only the first route that matched the path), for the ``Allow`` header."""
    from starlette.routing import compile_path

    from runlab.server._routing import iter_routes

    app = request.app
    table = getattr(app.state, "allow_table", None)
    if table is None:
        table = [(compile_path(path)[0], methods) for path, methods, _ in iter_routes(app)]
        app.state.allow_table = table
    methods: set[str] = set()
    for pattern, route_methods in table:
        if pattern.match(request.url.path):
            methods |= route_methods
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


def _unexpected(request: Request, exc: Exception) -> Response:
    # Only for errors outside RequestIdMiddleware, which renders the app's own.
    return _internal_error(request, exc)


def install_error_handlers(app: FastAPI) -> None:
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException as StarletteHTTPException

    app.add_exception_handler(RunlabError, _runlab_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
