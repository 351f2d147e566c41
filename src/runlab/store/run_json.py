"""Stores that can answer a run search as MLflow's JSON directly, with no ``Run`` objects.

The tracking server's ``runs/search`` uses :meth:`RunJsonSource.search_runs_json` when its
store has it (the SQL store) and falls back to ``search_runs`` and ``runlab.wire`` when it
does not; both give the same answer. :class:`HistoryJsonSource` does the same for
``metrics/get-history``, whose pages of 25,000 points are read back to back for long
histories.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from runlab.entities import ViewType


@runtime_checkable
class RunJsonSource(Protocol):
    def search_runs_json(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> bytes:
        """The answer of ``runs/search`` (UTF-8 JSON): the page ``search_runs`` returns,
        each run as ``runlab.wire.run_json`` writes it, and ``next_page_token`` when more
        follow."""
        ...


@runtime_checkable
class HistoryJsonSource(Protocol):
    def get_metric_history_json(
        self,
        run_id: str,
        key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> bytes:
        """The answer of ``metrics/get-history`` (UTF-8 JSON): the page
        ``get_metric_history`` returns, each point as ``runlab.wire.metric_json`` writes
        it, and ``next_page_token`` when more follow."""
        ...
