"""What every part of the SQL store shares: the clock and experiment keys."""

from __future__ import annotations

import time

from runlab import _validation as check
from runlab.errors import InvalidInputError, NotFoundError

__all__ = ["experiment_key", "now_ms"]


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
