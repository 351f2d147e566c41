"""``/artifacts/list``: the files of a run, wherever its artifact URI points."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from runlab.server import _schemas
from runlab.server._artifact_access import list_json
from runlab.server._deps import Artifacts, Locations, Store, require_run_id
from runlab.server._routing import JsonRoute
from runlab.server.auth.rules import access, run

router = APIRouter(tags=["artifacts"], route_class=JsonRoute)


@router.get("/artifacts/list", response_model=_schemas.ListArtifactsOut)
@access("read", run())
def list_artifacts(
    store: Store,
    destination: Artifacts,
    locations: Locations,
    run_id: str | None = None,
    run_uuid: str | None = None,
    path: str | None = None,
    page_token: str | None = None,
) -> dict[str, Any]:
    info = store.get_run(require_run_id(run_id, run_uuid)).info
    return list_json(info.artifact_uri, destination, path, locations)
