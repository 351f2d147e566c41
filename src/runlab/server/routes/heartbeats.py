"""``POST /api/2.0/runlab/runs/heartbeat`` (also under ``/ajax-api``): the process of a run
is alive. Request ``{"run_id": ...}``, optionally ``"time_ms"``; without it the server's
own clock stamps the heartbeat, so a client whose clock is off cannot end its own run
early. Answer ``{}``. The server's sweep (:mod:`runlab.server._crash_sweep`) ends the
runs whose heartbeats stopped."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from runlab.server._deps import Store, require_run_id
from runlab.server._routing import JsonRoute
from runlab.server._wire import Int64, WireModel
from runlab.server.auth.rules import access, run

router = APIRouter(tags=["runs"], route_class=JsonRoute)


class Heartbeat(WireModel):
    run_id: str | None = None
    run_uuid: str | None = None
    time_ms: Int64 | None = None


@router.post("/runs/heartbeat")
@access("edit", run())
def heartbeat(body: Heartbeat, store: Store) -> dict[str, Any]:
    store.record_heartbeat(require_run_id(body.run_id, body.run_uuid), body.time_ms)
    return {}
