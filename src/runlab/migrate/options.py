"""What to import: experiment filters, a start date, runs or registry only."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from runlab.entities import Experiment, RunInfo
from runlab.errors import InvalidInputError

__all__ = ["Options", "parse_since"]

_AGO = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True)
class Options:
    experiments: tuple[str, ...] = ()  # names, ids or globs; empty means all
    since: int | None = None  # ms: runs started or ended at or after it
    runs_only: bool = False
    registry_only: bool = False

    def __post_init__(self) -> None:
        if self.runs_only and self.registry_only:
            raise InvalidInputError("--runs-only and --registry-only exclude each other")

    def chosen(self, experiments: Sequence[Experiment]) -> list[Experiment]:
        """The experiments the filters name; InvalidInputError for a pattern matching none."""
        if not self.experiments:
            return list(experiments)
        chosen = []
        unmatched = set(self.experiments)
        for exp in experiments:
            hits = {
                p
                for p in self.experiments
                if p == exp.experiment_id or fnmatch.fnmatchcase(exp.name, p)
            }
            if hits:
                chosen.append(exp)
                unmatched -= hits
        if unmatched:
            names = ", ".join(repr(p) for p in sorted(unmatched))
            raise InvalidInputError(f"--experiments: {names} matches no experiment at the source")
        return chosen

    def wants(self, info: RunInfo) -> bool:
        if self.since is None:
            return True
        return max(info.start_time or 0, info.end_time or 0) >= self.since


def parse_since(text: str, now: datetime | None = None) -> int:
    """``2024-01-31``, ``2024-01-31T12:00`` (UTC unless it says otherwise) or an age such
    as ``7d``, ``12h``, ``30m``: the moment in milliseconds."""
    value = text.strip()
    found = _AGO.match(value.lower())
    if found:
        moment = (now or datetime.now(timezone.utc)) - timedelta(
            **{_UNITS[found.group(2)]: int(found.group(1))}
        )
        return int(moment.timestamp() * 1000)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(
            f"--since {text!r} is neither a date (2024-01-31, 2024-01-31T12:00) nor an age "
            "(7d, 12h, 30m)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)
