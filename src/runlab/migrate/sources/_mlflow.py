"""What MLflow's stores share: how they number statuses, where their artifacts are, and
what they keep of a model version's stages."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from runlab.entities import ModelVersion, ModelVersionStage, ModelVersionStageTransition
from runlab.entities_logged_models import LoggedModelStatus

if TYPE_CHECKING:
    from runlab.migrate.sources.base import Source
    from runlab.store.artifacts.base import ArtifactRepository

__all__ = [
    "RUN_STATUS",
    "local_artifact_path",
    "local_or_remote",
    "logged_model_status",
    "stage_history",
]

# MLflow's RunStatus and LoggedModelStatus enums, as its file store writes them.
RUN_STATUS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
_LOGGED_MODEL_STATUS = {
    1: LoggedModelStatus.PENDING,
    2: LoggedModelStatus.READY,
    3: LoggedModelStatus.FAILED,
}
PARENT_RUN_TAG = "mlflow.parentRunId"


def run_status(value: object) -> str:
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return RUN_STATUS.get(int(value), "FINISHED")
    return str(value or "FINISHED").upper()


def logged_model_status(value: object) -> str:
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return _LOGGED_MODEL_STATUS.get(int(value), LoggedModelStatus.READY)
    return LoggedModelStatus.parse(str(value)) or LoggedModelStatus.READY


def stage_history(versions: Sequence[ModelVersion]) -> list[ModelVersionStageTransition]:
    """MLflow keeps only a version's current stage, not how it got there: a version
    outside ``None`` is recorded as one move into its stage, at its last update."""
    return [
        ModelVersionStageTransition(
            mv.name,
            mv.version,
            ModelVersionStage.NONE,
            mv.current_stage,
            mv.user_id,
            mv.last_updated_timestamp or mv.creation_timestamp,
        )
        for mv in versions
        if mv.current_stage and mv.current_stage != ModelVersionStage.NONE
    ]


def local_artifact_path(uri: str, artifacts_root: str | None, base: str) -> str | None:
    """A local path for an artifact URI of an MLflow store, or None when it is not local.

    ``mlflow-artifacts:/x`` is relative to the server's artifact destination
    (``artifacts_root``); relative paths are relative to ``base`` (where the server ran).
    """
    parts = urlsplit(uri)
    if parts.scheme == "mlflow-artifacts":
        if artifacts_root is None:
            return None
        return os.path.join(artifacts_root, unquote(parts.path).lstrip("/"))
    if parts.scheme == "file":
        return unquote(parts.path)
    if len(parts.scheme) <= 1:  # a plain path (or a Windows drive letter)
        return uri if os.path.isabs(uri) else os.path.join(base, uri)
    return None


def local_or_remote(
    source: Source, uri: str, artifacts_root: str | None, base: str
) -> ArtifactRepository | None:
    """The repository for an artifact URI recorded by an MLflow store read from disk."""
    from runlab.artifacts import get_artifact_repository

    path = local_artifact_path(uri, artifacts_root, base)
    if path is not None:
        return get_artifact_repository(path)
    if urlsplit(uri).scheme == "mlflow-artifacts":
        source.warn(
            f"artifacts at {uri.split('/')[0]}/… are kept by the MLflow server's artifact "
            "proxy: pass --artifacts DIR (its --artifacts-destination folder), or import "
            "from the server's URL"
        )
        return None
    return get_artifact_repository(uri)  # s3://, http(s)://…
