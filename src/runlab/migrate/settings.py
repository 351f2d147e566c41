"""The settings of imports, exports and copies (see runlab.environment_variables)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from runlab.environment_variables import RUNLAB_IMPORT_BATCH_POINTS, RUNLAB_IMPORT_WORKERS

__all__ = ["MigrateSettings"]


@dataclass(frozen=True)
class MigrateSettings:
    workers: int = 8  # artifact files copied at once
    batch_points: int = 50_000  # metric points written per transaction (at least one run)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> MigrateSettings:
        return cls(
            workers=RUNLAB_IMPORT_WORKERS.get(environ),
            batch_points=RUNLAB_IMPORT_BATCH_POINTS.get(environ),
        )
