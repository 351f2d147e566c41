"""Opaque page tokens, tied to the query that made them: either the offset of the next
page, or (run searches) the sort key of the last row returned, so that the next page
starts right after it (see _run_order)."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from runlab.errors import InvalidInputError

Cursor = tuple[str, list[Any]]  # the phase of the last row and its sort key


def query_fingerprint(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:12]


def encode(offset: int, fingerprint: str) -> str:
    return _encode({"offset": offset, "q": fingerprint})


def encode_cursor(cursor: Cursor, fingerprint: str) -> str:
    phase, values = cursor
    return _encode({"after": values, "phase": phase, "q": fingerprint})


def decode(token: str | None, fingerprint: str) -> int:
    """Offset carried by ``token`` (0 when None); the token must come from the same query."""
    found = decode_position(token, fingerprint)
    if not isinstance(found, int):
        raise _invalid(token)
    return found


def decode_position(token: str | None, fingerprint: str) -> int | Cursor:
    """The offset (0 when None) or the cursor that ``token`` carries."""
    if not token:
        return 0
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        same_query = data.get("q") == fingerprint
        if "after" in data:
            position: int | Cursor = (str(data["phase"]), list(data["after"]))
        else:
            position = int(data["offset"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _invalid(token) from exc
    if isinstance(position, int) and position < 0:
        raise _invalid(token)
    if not same_query:
        raise InvalidInputError(
            "page_token belongs to a different query: pass the same filter, order and "
            "experiments as the call that returned it"
        )
    return position


def _encode(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _invalid(token: str | None) -> InvalidInputError:
    return InvalidInputError(f"page_token {token!r} is not a valid page token")
