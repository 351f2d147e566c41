"""Params as autologging records them: nested values flattened with dots, every key
checked, long values cut to the param limit with a note instead of an error."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from runlab import _validation as check
from runlab.errors import InvalidInputError

__all__ = ["TRUNCATION_MARK", "flatten", "loggable_params"]

logger = logging.getLogger("runlab.autolog")
TRUNCATION_MARK = "...(truncated)"


def flatten(params: Mapping[str, Any], prefix: str = "", sep: str = ".") -> dict[str, Any]:
    """``{"optimizer": {"lr": 0.1}}`` → ``{"optimizer.lr": 0.1}``; other values as they are."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        name = f"{prefix}{sep}{key}" if prefix else str(key)
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, name, sep))
        else:
            out[name] = value
    return out


def loggable_params(params: Mapping[str, Any], *, known: Iterable[str] = ()) -> dict[str, str]:
    """Flattened, stringified params that the store accepts.

    A value longer than the limit is cut and ends with ``...(truncated)``; a key the store
    refuses is left out. Each is noted on the ``runlab.autolog`` logger, never raised:
    one odd param must not lose the others. Keys in ``known`` (already logged) are skipped.
    """
    skip = set(known)
    out: dict[str, str] = {}
    limit = check.MAX_PARAM_VALUE_LENGTH
    for key, value in flatten(params).items():
        if key in skip:
            continue
        try:
            check.key("param", key)
        except InvalidInputError as e:
            logger.info("autologging left out a param: %s", e)
            continue
        text = _text(value)
        if len(text) > limit:
            logger.info(
                "autologging truncated param %r from %d to %d characters", key, len(text), limit
            )
            text = text[: limit - len(TRUNCATION_MARK)] + TRUNCATION_MARK
        out[key] = text
    return out


def _text(value: Any) -> str:
    try:
        return str(value)
    except Exception:  # an object whose __str__ fails is still a param worth naming
        return f"<{type(value).__name__}>"
