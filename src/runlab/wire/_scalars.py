"""Numbers, key/value lists and pages as they travel in MLflow's JSON."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def double(value: float) -> float | str:
    """A double as protobuf JSON writes it (JSON has no NaN or infinities)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def number(value: Any) -> float:
    """A double read back: numbers, and ``"NaN"``/``"Infinity"``/``"-Infinity"``/``"1.5"``."""
    if isinstance(value, float):
        return value
    return float(value)


def optional_int(value: Any) -> int | None:
    return None if value is None or value == "" else int(value)


def pairs(items: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    """``[{"key": k, "value": v}, ...]`` → ``{k: v}`` (a missing value is ``""``)."""
    return {str(t["key"]): str(t.get("value", "")) for t in items or ()}


def key_values(mapping: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in mapping.items()]


def strings(values: Sequence[Any] | None) -> list[str]:
    return [str(v) for v in values or ()]


def page(key: str, items: list[dict[str, Any]], token: str | None) -> dict[str, Any]:
    """A page of a search: ``{key: items}``, with ``next_page_token`` when more follow."""
    out: dict[str, Any] = {key: items}
    if token:
        out["next_page_token"] = token
    return out
