"""Search results column by column, for building a DataFrame without Run entities.

A search that ends in a pandas DataFrame needs columns, not objects: a store that can
read its rows straight into columns (:class:`RunTableSource`, the SQL store) skips
building a thousand ``Run`` entities and their dicts only to take them apart again.
Other stores' results are turned into the same shape by :meth:`RunTable.from_runs`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar, runtime_checkable

from runlab.entities import Run, ViewType

V = TypeVar("V")

__all__ = ["INFO_COLUMNS", "RunTable", "RunTableSource"]

# The run attributes of a table, in column order.
INFO_COLUMNS = ("run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time")

_NAN = float("nan")


@dataclass
class RunTable:
    """One list per column, every list as long as ``run_id``. A metric a run does not
    have is NaN (so is a NaN value); a missing param or tag is None."""

    run_id: list[str] = field(default_factory=list)
    experiment_id: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    artifact_uri: list[str] = field(default_factory=list)
    start_time: list[int | None] = field(default_factory=list)
    end_time: list[int | None] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    params: dict[str, list[str | None]] = field(default_factory=dict)
    tags: dict[str, list[str | None]] = field(default_factory=dict)
    token: str | None = None  # the next page, as in PagedList

    def __len__(self) -> int:
        return len(self.run_id)

    @classmethod
    def from_runs(cls, runs: Sequence[Run], token: str | None = None) -> RunTable:
        infos = [run.info for run in runs]
        datas = [run.data for run in runs]
        return cls(
            [i.run_id for i in infos],
            [i.experiment_id for i in infos],
            [i.status for i in infos],
            [i.artifact_uri for i in infos],
            [i.start_time for i in infos],
            [i.end_time for i in infos],
            _columns([d.metrics for d in datas], _NAN),
            _columns([d.params for d in datas], None),
            _columns([d.tags for d in datas], None),
            token,
        )

    def extend(self, other: RunTable) -> None:
        """Append ``other``'s rows (the next page); keys either side lacks are filled."""
        before, added = len(self), len(other)
        if before == 0 and not (self.metrics or self.params or self.tags):
            self.__dict__.update(other.__dict__)  # the first page: take its lists as they are
            return
        for name in INFO_COLUMNS:
            getattr(self, name).extend(getattr(other, name))
        _extend_columns(self.metrics, other.metrics, _NAN, before, added)
        _extend_columns(self.params, other.params, None, before, added)
        _extend_columns(self.tags, other.tags, None, before, added)
        self.token = other.token


def _columns(dicts: Sequence[Mapping[str, V]], missing: V) -> dict[str, list[V]]:
    keys: dict[str, None] = {}
    for values in dicts:
        keys.update(dict.fromkeys(values))
    return {key: [values.get(key, missing) for values in dicts] for key in keys}


def _extend_columns(
    mine: dict[str, list[V]], theirs: dict[str, list[V]], missing: V, before: int, added: int
) -> None:
    for key, column in mine.items():
        column.extend(theirs.get(key) or [missing] * added)
    for key, column in theirs.items():
        if key not in mine:
            mine[key] = [missing] * before + column


@runtime_checkable
class RunTableSource(Protocol):
    """A store that can answer a run search as a :class:`RunTable` directly."""

    def search_run_table(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> RunTable:
        """The same page, in the same order, as ``search_runs`` with these arguments."""
        ...
