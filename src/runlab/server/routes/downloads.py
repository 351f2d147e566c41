"""``/get-artifact``: one file of a run, streamed; MLflow's web UI reads files this way
(mounted at the root, not under ``/api``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from runlab.errors import InvalidInputError
from runlab.server._artifact_access import FILE_RESPONSE, repository_for, stream_file
from runlab.server._deps import Artifacts, Locations, Store, require_run_id
from runlab.server._routing import JsonRoute
from runlab.server.auth.rules import access, run
from runlab.store.artifacts import _paths

router = APIRouter(tags=["artifacts"], route_class=JsonRoute)


@router.get(
    "/get-artifact",
    response_class=StreamingResponse,
    responses=FILE_RESPONSE,
    operation_id="get_run_artifact",
)
@access("read", run())
def get_artifact(
    store: Store,
    destination: Artifacts,
    locations: Locations,
    path: str,
    run_id: str | None = None,
    run_uuid: str | None = None,
) -> StreamingResponse:
    info = store.get_run(require_run_id(run_id, run_uuid)).info
    relative = _paths.normalize(path)
    if not relative:
        raise InvalidInputError("path: names the artifact root, not a file")
    repo, prefix = repository_for(info.artifact_uri, destination, locations)
    return stream_file(repo, _paths.join(prefix, relative))
