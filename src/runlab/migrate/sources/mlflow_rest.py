"""A running MLflow tracking server, over its REST API (runlab's REST store speaks it).

Credentials: ``token`` (sent as a Bearer token) or ``username`` and ``password``
(HTTP Basic); without them the ``RUNLAB_TRACKING_*`` / ``MLFLOW_TRACKING_*`` variables
apply, as for any tracking URI. Artifacts come through the server's artifact proxy
(``mlflow-artifacts:`` URIs) with the same credentials, or from S3 or a folder when the
runs record those.
"""

from __future__ import annotations

import base64
import dataclasses
from typing import TYPE_CHECKING, Any

from runlab.entities_logged_models import LoggedModel
from runlab.migrate.sources import _mlflow
from runlab.migrate.sources.stores import StoreSource

if TYPE_CHECKING:
    from runlab.store.artifacts.base import ArtifactRepository
    from runlab.store.rest._http import HttpSession

__all__ = ["mlflow_server_source"]


def auth_header(
    token: str | None = None, username: str | None = None, password: str | None = None
) -> str | None:
    if token:
        return f"Bearer {token}"
    if username or password:
        pair = f"{username or ''}:{password or ''}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")
    return None


def _with_auth(session: HttpSession, header: str | None) -> None:
    if header is not None:
        session.settings = dataclasses.replace(session.settings, auth_header=header)


def _check_credentials(session: HttpSession, url: str) -> None:
    """One cheap call first, so that refused credentials are named before any work."""
    from runlab.errors import AuthenticationError

    try:
        session.call(
            "POST", "/api/2.0/mlflow/experiments/search", body={"max_results": 1}, repeatable=True
        )
    except AuthenticationError:
        problem = (
            "refused the credentials given"
            if session.settings.auth_header
            else "asks for credentials and none were given"
        )
        raise AuthenticationError(
            f"the server at {url} {problem} (HTTP 401): pass --username and --password, "
            "or --token, or set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD "
            "(or MLFLOW_TRACKING_TOKEN; RUNLAB_TRACKING_* work too)"
        ) from None


def mlflow_server_source(
    url: str,
    *,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    check_credentials: bool = False,
) -> StoreSource:
    """``check_credentials``: make one call first, and name refused credentials with the
    options and variables of ``runlab import-mlflow``."""
    from runlab.store.rest.registry import RestRegistryStore
    from runlab.store.rest.store import RestStore

    header = auth_header(token, username, password)
    tracking = RestStore(url)
    registry = RestRegistryStore(url)
    _with_auth(tracking.http, header)
    _with_auth(registry.http, header)
    if check_credentials:
        _check_credentials(tracking.http, url)

    def logged_models(experiment_id: str) -> list[LoggedModel]:
        found: list[LoggedModel] = []
        token_: str | None = None
        while True:
            body: dict[str, Any] = {"experiment_ids": [experiment_id], "max_results": 100}
            if token_:
                body["page_token"] = token_
            answer = tracking.http.call(
                "POST", "/api/2.0/mlflow/logged-models/search", body=body, repeatable=True
            )
            found += [_logged_model(m, experiment_id) for m in answer.get("models") or ()]
            token_ = answer.get("next_page_token") or None
            if not token_:
                return found

    def repository(artifact_uri: str) -> ArtifactRepository:
        from runlab.artifacts import get_artifact_repository
        from runlab.store.artifacts.http import HttpArtifactRepository

        repo = get_artifact_repository(artifact_uri, url)
        if isinstance(repo, HttpArtifactRepository):
            _with_auth(repo.http, header)
        return repo

    source = StoreSource(
        tracking,
        url,
        registry,
        logged_models,
        stage_history=False,  # MLflow keeps a version's current stage only
        repository=repository,
    )
    source.description = f"MLflow server {url}"
    return source


def _logged_model(data: dict[str, Any], experiment_id: str) -> LoggedModel:
    info = data.get("info") or {}
    params = (data.get("data") or {}).get("params") or ()
    return LoggedModel(
        model_id=str(info["model_id"]),
        experiment_id=experiment_id,
        name=str(info.get("name") or ""),
        artifact_location=str(info.get("artifact_uri") or ""),
        creation_timestamp=int(info.get("creation_timestamp_ms") or 0),
        last_updated_timestamp=int(info.get("last_updated_timestamp_ms") or 0),
        status=_mlflow.logged_model_status(info.get("status") or "READY"),
        status_message=info.get("status_message") or None,
        model_type=info.get("model_type") or None,
        source_run_id=info.get("source_run_id") or None,
        tags={t["key"]: t.get("value", "") for t in info.get("tags") or ()},
        params={p["key"]: p.get("value", "") for p in params},
    )
