"""Text no field may carry, refused for every route before its handler runs.

- A lone UTF-16 surrogate (``"\\ud800"`` as a JSON escape, or ``%ED%A0%80`` in a query
  string): it is not a character, cannot be encoded as UTF-8, and no database stores it.
- A NUL character (``\\x00``, ``%00``): PostgreSQL text cannot hold one, and in names it
  would truncate them in C libraries and file systems.
- Query strings that are not UTF-8: Starlette would silently turn the bytes into U+FFFD.

Each refusal is a 400 naming the field (``tags[0].value``, ``experiment_name``).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_to_bytes

from runlab.errors import InvalidInputError

__all__ = ["check_json", "check_path", "check_path_params", "check_query"]

_BAD = re.compile("[\x00\ud800-\udfff]")


def _problem(text: str) -> str | None:
    found = _BAD.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "contains a NUL character (\\x00), which is not allowed"
    return (
        f"contains a lone surrogate (U+{ord(found.group()):04X}), which is not a "
        "character; send valid UTF-8 text"
    )


def _refuse(field: str, problem: str) -> InvalidInputError:
    return InvalidInputError(f"{field}: {problem}")


def check_json(value: Any, field: str = "") -> None:
    """Walk a decoded JSON body; raise for the first string (or key) that breaks a rule."""
    if isinstance(value, str):
        problem = _problem(value)
        if problem:
            raise _refuse(field or "request body", problem)
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{field}.{key}" if field else str(key)
            problem = _problem(key)
            if problem:
                raise _refuse(f"{field or 'request body'} key {key!r}", problem)
            check_json(item, name)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_json(item, f"{field}[{i}]")


def check_query(query_string: bytes) -> None:
    """Every name and value of a raw query string is UTF-8 without NUL or surrogates."""
    if b"%" not in query_string and b"\x00" not in query_string:
        return  # plain ASCII: nothing to decode (uvicorn passes the bytes as sent)
    for pair in query_string.split(b"&"):
        raw_name, _, raw_value = pair.partition(b"=")
        name = _decoded(raw_name, "query parameter name")
        _decoded(raw_value, name)


def _decoded(raw: bytes, field: str) -> str:
    try:
        text = unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        raise _refuse(
            field, "is not valid UTF-8 once percent-decoded (a surrogate or a broken sequence)"
        ) from None
    problem = _problem(text)
    if problem:
        raise _refuse(field, problem)
    return text


def check_path(raw_path: bytes) -> None:
    """The URL path, percent-decoded, is UTF-8 (uvicorn would turn bad bytes into U+FFFD)."""
    if b"%" in raw_path:
        _decoded(raw_path.replace(b"+", b"%2B"), "URL path")


def check_path_params(params: dict[str, Any]) -> None:
    for name, value in params.items():
        if isinstance(value, str):
            problem = _problem(value)
            if problem:
                raise _refuse(name, problem)
