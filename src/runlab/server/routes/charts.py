"""runlab's own endpoints for the web UI (``/ajax-api/2.0/runlab/...``, also under ``/api``).

=======================================  ==================================================
endpoint                                 answer
=======================================  ==================================================
``GET metrics/downsampled``              one metric of one run thinned to about
                                         ``max_points`` points, extremes kept (as
                                         objects, or ``format=columns``: three arrays)
``POST metrics/downsampled/batch``       the same for many runs × keys in one request
                                         (``series``: one entry of three arrays per pair)
``POST metrics/updates``                 the points of each run × key logged after a given
                                         step, and the runs' statuses (live charts)
``POST runs/count``                      how many runs a search would return in all pages
``GET artifacts/get``                    one artifact file of a run, as a download
=======================================  ==================================================
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from runlab.entities import Metric, ViewType
from runlab.errors import InvalidInputError
from runlab.server._artifact_access import repository_for, stream_file
from runlab.server._deps import Artifacts, Locations, Store, require_run_id
from runlab.server._routing import JsonRoute
from runlab.server._wire import Id, Int64, WireModel
from runlab.server.auth.rules import access, run, runs
from runlab.store.artifacts import _paths
from runlab.wire import double, metric_json

router = APIRouter(tags=["web UI"], route_class=JsonRoute)

DEFAULT_MAX_POINTS = 2000
_SANDBOX = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox"}


@router.get("/metrics/downsampled")
@access("read", run())
def metric_downsampled(
    store: Store,
    metric_key: str,
    run_id: str | None = None,
    run_uuid: str | None = None,
    max_points: str = str(DEFAULT_MAX_POINTS),
    x_axis: str = "step",
    format: str = "objects",
) -> dict[str, Any]:
    """At most about ``max_points`` points (each x bucket keeps its first, last, lowest and
    highest point), ordered by ``x_axis`` (``step`` or ``timestamp``).

    ``format=objects`` (the default) answers ``{"metrics": [{key, value, timestamp, step}]}``;
    ``format=columns`` answers ``{"step": [...], "timestamp": [...], "value": [...]}``, the
    same points in a third of the bytes (non-finite values as "NaN", "Infinity",
    "-Infinity", as elsewhere)."""
    if format not in _FORMATS:
        raise InvalidInputError(f"format must be one of {', '.join(_FORMATS)}, got {format!r}")
    rid = require_run_id(run_id, run_uuid)
    points = store.get_metric_history_downsampled(rid, metric_key, max_points, x_axis)  # type: ignore[arg-type]
    if format == "columns":
        return {
            "step": [m.step for m in points],
            "timestamp": [m.timestamp for m in points],
            "value": [double(m.value) for m in points],
        }
    return {"metrics": [metric_json(m) for m in points]}


_FORMATS = ("objects", "columns")


class BatchSeries(WireModel):
    run_ids: list[str] = []
    metric_keys: list[str] = []
    max_points: int | str = DEFAULT_MAX_POINTS
    x_axis: str = "step"


@router.post("/metrics/downsampled/batch")
@access("read", runs("run_ids"))
def metrics_downsampled_batch(body: BatchSeries, store: Store) -> dict[str, Any]:
    """Each run's ``metrics/downsampled`` series of each key (``format=columns``), pairs
    without points left out: ``{"series": [{run_id, metric_key, step, timestamp, value}]}``."""
    found = store.get_metric_histories_downsampled(
        body.run_ids,
        body.metric_keys,
        body.max_points,  # type: ignore[arg-type]  # the store checks and converts it
        body.x_axis,
    )
    return {"series": _columns(found)}


class SeriesUpdates(WireModel):
    run_ids: list[str] = []
    metric_keys: list[str] = []
    after_step: dict[str, dict[str, Int64]] = {}
    max_points: int | str = DEFAULT_MAX_POINTS


@router.post("/metrics/updates")
@access("read", runs("run_ids"))
def metrics_updates(body: SeriesUpdates, store: Store) -> dict[str, Any]:
    """The points of each run and key after ``after_step[run_id][key]`` (all of them for a
    pair not named), at most ``max_points`` per pair, with each run's status and every
    metric key it has logged (keys that appeared since the chart opened):
    ``{"series": [...as in batch], "runs": [{run_id, status, metric_keys}]}``."""
    found = store.get_metric_updates(
        body.run_ids,
        body.metric_keys,
        body.after_step,
        body.max_points,  # type: ignore[arg-type]  # the store checks and converts it
    )
    statuses = [
        {"run_id": r, "status": s, "metric_keys": found.keys.get(r, [])}
        for r, s in found.statuses.items()
    ]
    return {"series": _columns(found.points), "runs": statuses}


def _columns(found: dict[str, dict[str, list[Metric]]]) -> list[dict[str, Any]]:
    return [
        {
            "run_id": run_id,
            "metric_key": key,
            "step": [m.step for m in points],
            "timestamp": [m.timestamp for m in points],
            "value": [double(m.value) for m in points],
        }
        for run_id, of_run in found.items()
        for key, points in of_run.items()
        if points
    ]


class CountRuns(WireModel):
    experiment_ids: list[Id] = []
    filter: str | None = None
    run_view_type: str | int | None = None


@router.post("/runs/count")
@access("read", narrow="experiment_ids")
def count_runs(body: CountRuns, store: Store) -> dict[str, Any]:
    """The number of runs ``runs/search`` would return with this filter, over all pages."""
    count = store.count_runs_matching(
        body.experiment_ids, body.filter or None, ViewType.parse(body.run_view_type)
    )
    return {"count": count}


@router.get("/artifacts/get", response_class=StreamingResponse)
@access("read", run())
def get_artifact(
    store: Store,
    destination: Artifacts,
    locations: Locations,
    path: str,
    run_id: str | None = None,
    run_uuid: str | None = None,
) -> StreamingResponse:
    """One file of a run's artifacts, wherever its artifact URI points."""
    info = store.get_run(require_run_id(run_id, run_uuid)).info
    relative = _paths.normalize(path)
    if not relative:
        raise InvalidInputError("path: names the artifact root, not a file")
    repo, prefix = repository_for(info.artifact_uri, destination, locations)
    # Inline (the web UI shows it), in a sandbox: an uploaded page runs no script here.
    target = _paths.join(prefix, relative)
    return stream_file(repo, target, disposition="inline", headers=_SANDBOX)
