"""Opaque page tokens: the offset of the next page, tied to the query that made it."""

from __future__ import annotations

import base64
import hashlib
import json

from runlab.errors import InvalidInputError


def query_fingerprint(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:12]


def encode(offset: int, fingerprint: str) -> str:
    raw = json.dumps({"offset": offset, "q": fingerprint}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str | None, fingerprint: str) -> int:
    """Offset carried by ``token`` (0 when None); the token must come from the same query."""
    if not token:
        return 0
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        offset = int(data["offset"])
        same_query = data.get("q") == fingerprint
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInputError(f"page_token {token!r} is not a valid page token") from exc
    if offset < 0:
        raise InvalidInputError(f"page_token {token!r} is not a valid page token")
    if not same_query:
        raise InvalidInputError(
            "page_token belongs to a different query: pass the same filter, order and "
            "experiments as the call that returned it"
        )
    return offset
