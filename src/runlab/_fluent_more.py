"""MLflow's top-level ``mlflow.run``, ``create_external_model`` and
``import_checkpoints``: thin skins that load ``runlab.projects`` and ``runlab.models``
only when called, so ``import runlab`` stays light."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from runlab.errors import NotSupportedError

if TYPE_CHECKING:
    from runlab.entities_logged_models import LoggedModel
    from runlab.projects.submitted import SubmittedRun

__all__ = ["create_external_model", "import_checkpoints", "run"]


def run(
    uri: str,
    entry_point: str = "main",
    version: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    docker_args: Mapping[str, Any] | None = None,
    experiment_name: str | None = None,
    experiment_id: str | None = None,
    backend: str = "local",
    backend_config: Mapping[str, Any] | str | None = None,
    storage_dir: str | None = None,
    synchronous: bool = True,
    run_id: str | None = None,
    run_name: str | None = None,
    env_manager: str | None = None,
    build_image: bool = False,
    docker_auth: Mapping[str, Any] | None = None,
) -> SubmittedRun:
    """Run ``entry_point`` of the MLflow project at ``uri`` (a folder or a git URI) as one
    tracked run, as ``runlab run`` does (see :func:`runlab.projects.run`).

    Projects run on this machine (``backend="local"``); the Docker keywords of MLflow's
    remote backends (``docker_args``, ``build_image``, ``docker_auth``) and
    ``backend_config`` / ``storage_dir`` are refused rather than ignored.
    """
    from runlab.projects import run as run_project

    if backend != "local":
        raise NotSupportedError(
            f"backend={backend!r}: runlab runs projects on this machine only (backend='local')"
        )
    for name, value in (
        ("docker_args", docker_args),
        ("backend_config", backend_config),
        ("storage_dir", storage_dir),
        ("docker_auth", docker_auth),
        ("build_image", build_image or None),
    ):
        if value:
            raise NotSupportedError(
                f"{name}: not supported; a project's docker_env in its MLproject says how its "
                "container runs (docs/projects.md)"
            )
    return run_project(
        uri,
        entry_point=entry_point,
        parameters=parameters,
        experiment_name=experiment_name,
        experiment_id=experiment_id,
        run_name=run_name,
        run_id=run_id,
        version=version,
        env_manager=env_manager,
        synchronous=synchronous,
    )


def create_external_model(
    name: str | None = None,
    source_run_id: str | None = None,
    tags: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    model_type: str | None = None,
    experiment_id: str | None = None,
) -> LoggedModel:
    """A logged model whose files live outside runlab (see
    :func:`runlab.models._external.create_external_model`)."""
    from runlab.models import _external

    return _external.create_external_model(
        name, source_run_id, tags, params, model_type, experiment_id
    )


def import_checkpoints(
    checkpoint_path: str,
    source_run_id: str | None = None,
    model_prefix: str | None = None,
    overwrite_checkpoints: bool = False,
) -> list[LoggedModel]:
    """An external model for each checkpoint under ``checkpoint_path`` (see
    :func:`runlab.models._external.import_checkpoints`)."""
    from runlab.models import _external

    return _external.import_checkpoints(
        checkpoint_path, source_run_id, model_prefix, overwrite_checkpoints
    )
