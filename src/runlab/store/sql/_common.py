"""What every part of the SQL store shares: the clock, experiment keys and new ids."""

from __future__ import annotations

import time
from typing import Any

from runlab import _validation as check
from runlab.errors import InvalidInputError, NotFoundError

__all__ = ["experiment_key", "inserted_id", "now_ms"]


def now_ms() -> int:
    return int(time.time() * 1000)


def experiment_key(value: str | int) -> int:
    """The integer key of experiment ``value``; NotFoundError when it cannot be one."""
    # A well-formed number past int64 is a bad value (400), not an id that may exist.
    text = str(value)
    if text.isascii() and text.isdigit() and (len(text) > 19 or int(text) > check.INT64_MAX):
        raise InvalidInputError(f"experiment_id {text} is out of range (at most 2^63-1)")
    try:
        return int(check.experiment_id(value))
    except InvalidInputError:
        raise NotFoundError(f"experiment {value!r} not found") from None


def inserted_id(result: Any) -> int:
    """The primary key of the one row an INSERT wrote. Read from the result rather than
    with ``RETURNING``: MySQL 8 has none, and its driver reports ``lastrowid`` instead."""
    key = result.inserted_primary_key
    if key is None:  # pragma: no cover - every caller inserts exactly one row
        raise RuntimeError("the INSERT reported no primary key")
    return int(key[0])
