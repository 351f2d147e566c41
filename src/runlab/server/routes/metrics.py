"""``/metrics/*``: one metric's history (paged), and sampled histories of many runs for charts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from runlab import _validation as check
from runlab import wire
from runlab.errors import InvalidInputError
from runlab.server import _schemas
from runlab.server._deps import Store, require_run_id
from runlab.server._routing import JsonRoute
from runlab.server._wire import Int64
from runlab.server.auth.rules import access, run, runs
from runlab.store.run_json import HistoryJsonSource
from runlab.wire import metric_json

router = APIRouter(tags=["metrics"], route_class=JsonRoute)

MAX_HISTORY_PAGE = 25_000
MAX_BULK_RUNS = 100
MAX_BULK_POINTS = 2_500
DEFAULT_BULK_POINTS = 320


@router.get("/metrics/get-history", response_model=_schemas.MetricHistoryOut)
@access("read", run())
def get_metric_history(
    store: Store,
    metric_key: str,
    run_id: str | None = None,
    run_uuid: str | None = None,
    max_results: Int64 | None = None,
    page_token: str | None = None,
) -> dict[str, Any] | Response:
    limit = None if max_results is None else check.max_results(max_results, MAX_HISTORY_PAGE)
    query = (require_run_id(run_id, run_uuid), metric_key, limit, page_token or None)
    if isinstance(store, HistoryJsonSource):  # the JSON text straight from the rows
        return Response(store.get_metric_history_json(*query), media_type="application/json")
    page = store.get_metric_history(*query)
    return wire.page("metrics", [metric_json(m) for m in page], page.token)


def _run_ids(run_ids: list[str]) -> list[str]:
    if not run_ids:
        raise InvalidInputError("run_ids: missing; give at least one run id")
    if len(run_ids) > MAX_BULK_RUNS:
        raise InvalidInputError(f"run_ids: {len(run_ids)} given; the limit is {MAX_BULK_RUNS}")
    return list(dict.fromkeys(run_ids))


@router.get("/metrics/get-history-bulk", response_model=_schemas.BulkMetricsOut)
@access("read", runs("run_id"))
def get_metric_history_bulk(
    store: Store,
    metric_key: str,
    run_id: Annotated[list[str] | None, Query()] = None,
    max_results: Int64 = MAX_HISTORY_PAGE,
) -> dict[str, Any]:
    limit = check.max_results(max_results, MAX_HISTORY_PAGE)
    out: list[dict[str, Any]] = []
    for rid in _run_ids(run_id or []):
        remaining = limit - len(out)
        if remaining <= 0:
            break
        points = store.get_metric_history(rid, metric_key, remaining)
        out.extend(metric_json(m, rid) for m in points)
    return {"metrics": out}


@router.get("/metrics/get-history-bulk-interval", response_model=_schemas.BulkMetricsOut)
@access("read", runs("run_ids"))
def get_metric_history_bulk_interval(
    store: Store,
    metric_key: str,
    run_ids: Annotated[list[str] | None, Query()] = None,
    start_step: Int64 | None = None,
    end_step: Int64 | None = None,
    max_results: Int64 = DEFAULT_BULK_POINTS,
) -> dict[str, Any]:
    ids = _run_ids(run_ids or [])
    limit = check.max_results(max_results, MAX_BULK_POINTS)
    if start_step is not None and end_step is not None and start_step > end_step:
        raise InvalidInputError(
            f"start_step ({start_step}) must not be greater than end_step ({end_step})"
        )
    histories = store.get_metric_history_interval(ids, metric_key, limit, start_step, end_step)
    return {"metrics": [metric_json(m, rid) for rid in ids for m in histories.get(rid, [])]}
