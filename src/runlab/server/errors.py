"""Every error leaves the server in one shape: ``{"error_code": ..., "message": ...}``.

==============================================  ======  ===========================
cause                                           status  error_code
==============================================  ======  ===========================
a :class:`runlab.errors.RunlabError`            its own its own
a request that fails validation                 400     INVALID_PARAMETER_VALUE
a body that is not JSON                         400     MALFORMED_REQUEST
an unknown path under ``/api`` or ``/ajax-api`` 404     ENDPOINT_NOT_FOUND
a known path with the wrong method              405     ENDPOINT_NOT_FOUND
a request body over the configured limit        413     RESOURCE_LIMIT_EXCEEDED
anything else (a bug)                           500     INTERNAL_ERROR (logged)
==============================================  ======  ===========================
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from runlab.errors import RunlabError
from runlab.server.prefixes import API_PREFIXES

if TYPE_CHECKING:
    from fastapi import FastAPI, Request
    from starlette.responses import Response

__all__ = ["error_response", "install_error_handlers"]

logger = logging.getLogger("runlab.server")


def error_response(status: int, error_code: str, message: str) -> Response:
    from starlette.responses import JSONResponse

    return JSONResponse({"error_code": error_code, "message": message}, status_code=status)


def _runlab_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RunlabError)
    if exc.http_status >= 500:
        logger.error("%s: %s", type(exc).__name__, exc.message)
    return error_response(exc.http_status, exc.error_code, exc.message)


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
        message = (
            f"no endpoint {method} {path}"
            if exc.status_code == 404
            else f"{path} does not accept {method}"
        )
        return error_response(exc.status_code, "ENDPOINT_NOT_FOUND", message)
    if path.startswith(API_PREFIXES):
        return error_response(exc.status_code, "BAD_REQUEST", str(exc.detail))
    return PlainTextResponse(str(exc.detail), status_code=exc.status_code, headers=exc.headers)


def _unexpected(request: Request, exc: Exception) -> Response:
    logger.exception("unexpected error in %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(
        500, "INTERNAL_ERROR", f"internal server error ({type(exc).__name__}); see the server log"
    )


def install_error_handlers(app: FastAPI) -> None:
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException as StarletteHTTPException

    app.add_exception_handler(RunlabError, _runlab_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
