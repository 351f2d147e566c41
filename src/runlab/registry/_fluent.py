"""``runlab.register_model``: one call from a logged model to a registered version."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runlab.entities import ModelVersion
from runlab.errors import AlreadyExistsError, NotFoundError

if TYPE_CHECKING:
    from runlab.tracking.client import RunlabClient

__all__ = ["register_model", "register_model_with"]


def register_model(
    model_uri: str,
    name: str,
    await_registration_for: int = 300,
    *,
    tags: dict[str, Any] | None = None,
) -> ModelVersion:
    """Register the model at ``model_uri`` as the next version of ``name``.

    The registered model is created when it does not exist yet. ``model_uri`` is a
    ``runs:/<run_id>/<path>`` URI, a ``models:/`` URI (``models:/m-<id>`` for an MLflow 3
    logged model) or any artifact URI. A ``runs:/`` URI is stored as the artifact URI it
    points at, and its run id is recorded, so the run's registered versions can be found
    later (``RunlabClient.get_run_model_versions``). A version made from a logged model
    carries its ``model_id`` and, as its ``run_id``, the model's source run. A version a
    server registers in the background is waited for up to ``await_registration_for``
    seconds (0: returned while still pending).
    """
    from runlab.tracking.client import RunlabClient

    return register_model_with(RunlabClient(), model_uri, name, tags, await_registration_for)


def register_model_with(
    client: RunlabClient,
    model_uri: str,
    name: str,
    tags: dict[str, Any] | None = None,
    await_registration_for: int | None = 0,
) -> ModelVersion:
    """:func:`register_model` through ``client``."""
    from runlab.registry import uris
    from runlab.store.registry_base import logged_model_of_source
    from runlab.tracking._registry_client import _wait_seconds

    _wait_seconds("await_registration_for", await_registration_for)  # before any write

    run_id: str | None = None
    model_id: str | None = None
    source = model_uri
    in_run_files = True
    if uris.is_runs_uri(model_uri):
        ref = uris.parse_runs_uri(model_uri)
        run_id = ref.run_id
        source = uris.resolve_model_uri(model_uri, client)  # NotFoundError for a missing run
        if not _has_artifact(client, ref.run_id, ref.path):
            # MLflow 3's log_model(name=...) keeps the files with a logged model, not in
            # the run: the store turns the runs:/ URI into that model's models:/m-<id>.
            in_run_files, source = False, model_uri
    elif logged_model_of_source(model_uri) is not None:
        model_id = logged_model_of_source(model_uri)  # the store fills the run
    elif uris.is_model_uri(model_uri):
        src = uris.get_model_version_for_uri(model_uri, client)
        run_id, model_id = src.run_id, src.model_id
        source = uris.resolve_model_uri(model_uri, client)
    created = True
    try:
        client.create_registered_model(name)
    except AlreadyExistsError:
        created = False  # registering a new version of an existing model
    version = client.create_model_version(
        name,
        source,
        run_id=run_id,
        tags=tags,
        model_id=model_id,
        await_creation_for=await_registration_for,
    )
    if not in_run_files and version.model_id is None:
        # Neither files nor a logged model: undo, leaving the registry as it was (but
        # for a used version number: numbers are never reused).
        if created:
            client.delete_registered_model(name)
        else:
            client.delete_model_version(name, version.version)
        raise NotFoundError(
            f"{model_uri!r}: run {run_id!r} has no artifacts at {ref.path!r} and logged no "
            "model by that name; log the model there first"
        )
    return version


def _has_artifact(client: RunlabClient, run_id: str, path: str) -> bool:
    """Whether ``path`` is a file or a non-empty folder among the run's artifacts."""
    import posixpath

    if not path or client.list_artifacts(run_id, path):
        return True
    parent = posixpath.dirname(path)
    return any(entry.path == path for entry in client.list_artifacts(run_id, parent or None))
