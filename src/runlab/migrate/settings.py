"""The environment variables of imports, exports and copies, read in one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from runlab.errors import InvalidInputError

__all__ = ["MigrateSettings"]

WORKERS_ENV = "RUNLAB_IMPORT_WORKERS"
BATCH_POINTS_ENV = "RUNLAB_IMPORT_BATCH_POINTS"


@dataclass(frozen=True)
class MigrateSettings:
    workers: int = 8  # artifact files copied at once
    batch_points: int = 50_000  # metric points written per transaction (at least one run)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> MigrateSettings:
        env = os.environ if environ is None else environ
        return cls(
            workers=_whole(env, WORKERS_ENV, cls.workers, 1, 256),
            batch_points=_whole(env, BATCH_POINTS_ENV, cls.batch_points, 1, 10_000_000),
        )


def _whole(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise InvalidInputError(f"{name}={text!r} is not a whole number") from None
    if not low <= value <= high:
        raise InvalidInputError(f"{name}={value} must be between {low} and {high}")
    return value
