"""Serve a saved model over HTTP, answering the requests MLflow's scoring server answers.

==================  =====================================================================
route               answers
==================  =====================================================================
POST /invocations   ``{"predictions": [...]}`` for a JSON body (``dataframe_split``,
                    ``dataframe_records``, ``instances`` or ``inputs``, plus optional
                    ``params``) or a ``text/csv`` body with a header row
GET /ping, /health  200 ``OK``: the model is loaded (the app is built around a loaded model)
GET /version        the runlab version
==================  =====================================================================

A request the model cannot take gets a 400 with ``{"error_code", "message"}``:
``BAD_REQUEST`` for a body that does not parse, ``INVALID_PARAMETER_VALUE`` when the
input breaks the model's signature (the message names the column and the problem).
An unsupported content type gets a 415.
"""

from __future__ import annotations

import io
import json
import os
from typing import TYPE_CHECKING, Any

# FastAPI reads the endpoints' annotations at run time, so these names live at module level.
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException

from runlab.errors import BadRequestError, RunlabError, UnsupportedMediaTypeError

if TYPE_CHECKING:
    from runlab.models.flavors.pyfunc import PyFuncModel
    from runlab.models.signature import Schema

__all__ = ["INPUT_FORMATS", "create_scoring_app", "parse_json_input"]

INPUT_FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
JSON = "application/json"
CSV = "text/csv"


def create_scoring_app(model: str | os.PathLike[str] | PyFuncModel) -> FastAPI:
    """A FastAPI app scoring ``model`` (a loaded PyFuncModel, or any URI load_model takes)."""
    from runlab._version import __version__
    from runlab.models.flavors.pyfunc import PyFuncModel, load_model

    pyfunc = model if isinstance(model, PyFuncModel) else load_model(model)
    schema = pyfunc.metadata.get_input_schema()
    app = FastAPI(title="runlab model server", docs_url=None, redoc_url=None, openapi_url=None)

    def error(exc: RunlabError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=exc.http_status)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        code = "ENDPOINT_NOT_FOUND" if exc.status_code == 404 else "BAD_REQUEST"
        message = str(exc.detail)
        if exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}"
        elif exc.status_code == 404:
            message = f"no endpoint {request.url.path}: use POST /invocations"
        return JSONResponse({"error_code": code, "message": message}, status_code=exc.status_code)

    @app.get("/ping")
    @app.get("/health")
    async def ping() -> Response:
        return PlainTextResponse("OK")

    @app.get("/version")
    async def version() -> Response:
        return PlainTextResponse(__version__)

    @app.post("/invocations")
    async def invocations(request: Request) -> Response:
        body = await request.body()
        try:
            data, params = parse_request(request.headers.get("content-type", ""), body, schema)
            result = await run_in_threadpool(_predict, pyfunc, data, params)
        except RunlabError as exc:
            return error(exc)
        return Response(_dump({"predictions": result}), media_type=JSON)

    return app


def _predict(pyfunc: PyFuncModel, data: Any, params: dict[str, Any] | None) -> Any:
    from runlab.models.input_example import to_jsonable

    try:
        result = pyfunc.predict(data, params=params)
    except RunlabError:
        raise
    except Exception as exc:
        # The input passed the signature (if any) and still made the model fail.
        raise BadRequestError(
            f"the model failed on this input: {type(exc).__name__}: {exc}".rstrip(": ")
        ) from exc
    return to_jsonable(result)


def _dump(value: Any) -> str:
    return json.dumps(value, allow_nan=False, separators=(",", ":"))


# ============================================================================ request parsing
def parse_request(
    content_type: str, body: bytes, schema: Schema | None
) -> tuple[Any, dict[str, Any] | None]:
    """The model input and params of one ``POST /invocations`` request."""
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime == JSON:
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadRequestError(f"the request body is not valid JSON: {exc}") from None
        return parse_json_input(payload, schema)
    if mime == CSV:
        return parse_csv(body, schema), None
    shown = mime or "none"
    raise UnsupportedMediaTypeError(
        f"content type {shown!r} is not supported: send {JSON} (a JSON object with one of "
        f"{', '.join(INPUT_FORMATS)}) or {CSV} (with a header row)"
    )


def parse_json_input(payload: Any, schema: Schema | None) -> tuple[Any, dict[str, Any] | None]:
    import pandas as pd

    if not isinstance(payload, dict):
        raise BadRequestError(
            f"the JSON body must be an object with one of the keys {', '.join(INPUT_FORMATS)}, "
            f"got {type(payload).__name__}"
        )
    unknown = sorted(set(payload) - {*INPUT_FORMATS, "params"})
    if unknown:
        raise BadRequestError(
            f"unknown key(s) {unknown} in the request body; the input goes under one of "
            f"{', '.join(INPUT_FORMATS)}, and inference parameters under params"
        )
    formats = [k for k in INPUT_FORMATS if k in payload]
    if len(formats) != 1:
        raise BadRequestError(
            f"the request body must hold exactly one of {', '.join(INPUT_FORMATS)}; it has "
            f"{formats or 'none'}"
        )
    params = payload.get("params")
    if params is not None and not isinstance(params, dict):
        raise BadRequestError(f"params must be a JSON object, got {type(params).__name__}")
    fmt = formats[0]
    value = payload[fmt]
    try:
        if fmt == "dataframe_split":
            if not isinstance(value, dict) or "data" not in value:
                raise BadRequestError(
                    'dataframe_split must be an object like {"columns": [...], "data": [[...]]}'
                )
            extra = sorted(set(value) - {"columns", "data", "index"})
            if extra:
                raise BadRequestError(f"dataframe_split: unknown key(s) {extra}")
            data = pd.DataFrame(
                value["data"], columns=value.get("columns"), index=value.get("index")
            )
        elif fmt == "dataframe_records":
            if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
                raise BadRequestError("dataframe_records must be a list of objects, one per row")
            data = pd.DataFrame(value)
        else:
            data = _tensor_style(value, schema, fmt)
    except (ValueError, TypeError) as exc:
        raise BadRequestError(f"{fmt} cannot be read as a table: {exc}") from None
    return data, params


def _tensor_style(value: Any, schema: Schema | None, fmt: str) -> Any:
    """``instances`` and ``inputs``: tensors for tensor schemas (or none), tables for column
    schemas."""
    import numpy as np
    import pandas as pd

    columns = schema is not None and not schema.is_tensor_spec()
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        if columns or schema is None:
            return pd.DataFrame(value)
        return {k: np.asarray([row.get(k) for row in value]) for k in value[0]}
    if isinstance(value, dict):
        if columns:
            return value  # a dict of columns, or one record; enforcement reads both
        return {k: np.asarray(v) for k, v in value.items()}
    if columns:
        return value
    try:
        return np.asarray(value)
    except ValueError as exc:
        raise BadRequestError(f"{fmt} is not a rectangular array: {exc}") from None


def parse_csv(body: bytes, schema: Schema | None) -> Any:
    import pandas as pd

    from runlab.models.signature import DataType

    dtypes: dict[str, Any] = {}
    if schema is not None and not schema.is_tensor_spec() and schema.has_input_names():
        for spec in schema.inputs:
            if getattr(spec, "type", None) in (DataType.string, DataType.binary):
                dtypes[str(spec.name)] = str  # "007" stays text
    try:
        return pd.read_csv(io.BytesIO(body), dtype=dtypes or None)
    except (ValueError, UnicodeDecodeError) as exc:  # pandas' parser errors are ValueErrors
        raise BadRequestError(f"the CSV body cannot be parsed: {exc}") from None
