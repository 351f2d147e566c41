"""MLflow 3's external models: logged models whose files live outside runlab, such as
training checkpoints that stay where the trainer wrote them."""

from __future__ import annotations

import os
import tempfile
import warnings
from typing import Any

from runlab.entities_logged_models import LoggedModel, LoggedModelStatus
from runlab.errors import InvalidInputError, NotFoundError
from runlab.models.model import MLMODEL_FILE, Model

__all__ = ["IS_EXTERNAL_TAG", "create_external_model", "import_checkpoints"]

IS_EXTERNAL_TAG = "mlflow.model.isExternal"
ORIGINAL_PATH_TAG = "original_artifact_path"


def create_external_model(
    name: str | None = None,
    source_run_id: str | None = None,
    tags: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    model_type: str | None = None,
    experiment_id: str | None = None,
) -> LoggedModel:
    """A READY logged model tagged ``mlflow.model.isExternal=true``, whose only file is an
    ``MLmodel`` descriptor (so it can be registered): for tracking the params and metrics
    of a model kept elsewhere. The active run is its source unless ``source_run_id``
    names one; its experiment is that run's (or the current one)."""
    from runlab.tracking import fluent
    from runlab.tracking.fluent_models import _remember, initialize_logged_model

    client = fluent._client()
    active = fluent.active_run()
    if source_run_id is None and active is not None:
        source_run_id = active.info.run_id
    if experiment_id is None and source_run_id is not None:
        experiment_id = client.get_run(source_run_id).info.experiment_id
    external_tags = {**(tags or {}), IS_EXTERNAL_TAG: "true"}
    logged = initialize_logged_model(
        name, source_run_id, external_tags, params, model_type, experiment_id
    )
    meta = Model(
        artifact_path=logged.artifact_location,
        run_id=source_run_id,
        model_uuid=logged.model_id,
        model_id=logged.model_id,
        metadata={IS_EXTERNAL_TAG: True},
    )
    with tempfile.TemporaryDirectory(prefix="runlab-external-") as tmp:
        meta.save(os.path.join(tmp, MLMODEL_FILE))
        client.log_model_artifacts(logged.model_id, tmp)
    return _remember(client.finalize_logged_model(logged.model_id, LoggedModelStatus.READY))


def import_checkpoints(
    checkpoint_path: str,
    source_run_id: str | None = None,
    model_prefix: str | None = None,
    overwrite_checkpoints: bool = False,
) -> list[LoggedModel]:
    """An external model for each file and folder directly under ``checkpoint_path`` (a
    local folder or ``file://`` URI), named ``model_prefix`` + its name and tagged
    ``original_artifact_path``, from ``source_run_id`` (default: the active run).

    A checkpoint whose model of that name already exists for the run is returned as
    it is, or, with ``overwrite_checkpoints``, replaced by a new model."""
    from urllib.parse import unquote, urlsplit

    from runlab.store.sql.logged_models import _model_name
    from runlab.tracking import fluent
    from runlab.tracking.fluent_models import search_logged_models

    if not isinstance(checkpoint_path, str) or not checkpoint_path.strip():
        raise InvalidInputError("checkpoint_path: must be the path of a folder of checkpoints")
    folder = checkpoint_path.strip()
    if urlsplit(folder).scheme.lower() == "file":
        folder = unquote(urlsplit(folder).path)
    elif len(urlsplit(folder).scheme) > 1:
        raise InvalidInputError(
            f"checkpoint_path: {checkpoint_path!r} is not a local folder (runlab imports "
            "checkpoints from the local file system)"
        )
    if not os.path.isdir(folder):
        raise NotFoundError(f"checkpoint_path: {checkpoint_path!r} is not a folder")
    if source_run_id is None:
        active = fluent.active_run()
        if active is None:
            raise InvalidInputError(
                "source_run_id: no run given and no run is active; start a run or pass one"
            )
        source_run_id = active.info.run_id
    client = fluent._client()
    experiment_id = client.get_run(source_run_id).info.experiment_id
    entries = sorted(os.listdir(folder))
    runs_models: list[Any] = [
        m
        for m in search_logged_models(experiment_ids=[experiment_id], output_format="list")
        if m.source_run_id == source_run_id
    ]
    if not entries:
        warnings.warn(f"no checkpoints were found in {checkpoint_path!r}", stacklevel=2)
    imported: list[LoggedModel] = []
    for entry in entries:
        model_name = f"{model_prefix or ''}{entry}"
        try:
            _model_name(model_name)
        except InvalidInputError as exc:
            warnings.warn(f"checkpoint {entry!r} skipped: {exc.message}", stacklevel=2)
            continue
        existing = [m for m in runs_models if m.name == model_name]
        if existing and not overwrite_checkpoints:
            imported.extend(existing)
            continue
        imported.append(
            create_external_model(
                name=model_name,
                source_run_id=source_run_id,
                tags={ORIGINAL_PATH_TAG: os.path.join(os.path.abspath(folder), entry)},
                experiment_id=experiment_id,
            )
        )
        for old in existing:
            client.delete_logged_model(old.model_id)
    return imported
