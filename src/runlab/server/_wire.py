"""The request field types clients send (answers are written by :mod:`runlab.wire`).

MLflow clients encode int64 fields as JSON strings or numbers and non-finite
doubles as ``"NaN"``/``"Infinity"`` strings (or bare ``NaN`` tokens); the types
below accept all of those. Responses write int64 as numbers and non-finite
metric values as those strings, which both the Python client and the browser's
``JSON.parse`` read.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from runlab import _validation as check

__all__ = [
    "Double",
    "Id",
    "Int64",
    "KeyValue",
    "WireModel",
]


def _int64(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
    return value


def _double(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("nan", "+nan", "-nan"):
            return math.nan
        if text in ("infinity", "+infinity", "inf", "+inf"):
            return math.inf
        if text in ("-infinity", "-inf"):
            return -math.inf
    return value


Int64 = Annotated[
    int,
    BeforeValidator(_int64),
    Field(ge=check.INT64_MIN, le=check.INT64_MAX, json_schema_extra={"format": "int64"}),
]
Double = Annotated[float, BeforeValidator(_double)]


class WireModel(BaseModel):
    """A request body: unknown fields are ignored, as protobuf's JSON parser does."""

    model_config = ConfigDict(extra="ignore")


class KeyValue(WireModel):
    key: str
    value: str = ""


def _id_text(value: Any) -> Any:
    # Ids are strings on the wire; a client that sends a bare number means the same id.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


Id = Annotated[str, BeforeValidator(_id_text)]
