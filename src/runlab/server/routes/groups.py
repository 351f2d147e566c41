"""``POST /ajax-api/2.0/runlab/runs/groups`` (also under ``/api``): the runs a search
would return, grouped by a param, tag or attribute, for the runs table's group view.

Request: ``experiment_ids``, ``filter``, ``run_view_type`` as in ``runs/search``, plus
``group_by`` (``params.lr``, ``tags.team``, ``attributes.status``), ``metric_keys`` to
summarise and ``max_groups``. Answer::

    {"groups": [{"value": "0.01", "count": 12,
                 "metrics": {"val_loss": {"min": 0.1, "max": 0.4, "mean": 0.2, "count": 12}}},
                {"value": null, "count": 3, "metrics": {...}}],
     "truncated": false}
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from runlab.entities import MetricSummary, ViewType
from runlab.server._deps import Store
from runlab.server._routing import GuardedRoute
from runlab.server._wire import Id, WireModel
from runlab.server.auth.rules import access
from runlab.wire import double

router = APIRouter(tags=["web UI"], route_class=GuardedRoute)


class GroupRuns(WireModel):
    experiment_ids: list[Id] = []
    filter: str | None = None
    run_view_type: str | int | None = None
    group_by: str = ""
    metric_keys: list[str] = []
    max_groups: int = 1000


@router.post("/runs/groups")
@access("read", narrow="experiment_ids")
def group_runs(body: GroupRuns, store: Store) -> dict[str, Any]:
    """Groups in value order (text order), runs without the key last."""
    groups = store.group_runs(
        body.experiment_ids,
        body.group_by,
        body.filter or None,
        ViewType.parse(body.run_view_type),
        body.metric_keys,
        body.max_groups,
    )
    return {
        "groups": [
            {
                "value": g.value,
                "count": g.count,
                "metrics": {k: _summary_json(s) for k, s in g.metrics.items()},
            }
            for g in groups
        ],
        "truncated": groups.truncated,
    }


def _summary_json(s: MetricSummary) -> dict[str, Any]:
    def num(v: float | None) -> float | str | None:
        return None if v is None else double(v)

    return {"min": num(s.min), "max": num(s.max), "mean": num(s.mean), "count": s.count}
