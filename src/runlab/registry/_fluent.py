"""``runlab.register_model``: one call from a logged model to a registered version."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runlab.entities import ModelVersion
from runlab.errors import AlreadyExistsError, NotFoundError

if TYPE_CHECKING:
    from runlab.tracking.client import RunlabClient

__all__ = ["register_model", "register_model_with"]


def register_model(model_uri: str, name: str, tags: dict[str, Any] | None = None) -> ModelVersion:
    """Register the model at ``model_uri`` as the next version of ``name``.

    The registered model is created when it does not exist yet. ``model_uri`` is a
    ``runs:/<run_id>/<path>`` URI, a ``models:/`` URI or any artifact URI. A ``runs:/``
    URI is stored as the artifact URI it points at, and its run id is recorded, so the
    run's registered versions can be found later (``RunlabClient.get_run_model_versions``).
    """
    from runlab.tracking.client import RunlabClient

    return register_model_with(RunlabClient(), model_uri, name, tags)


def register_model_with(
    client: RunlabClient, model_uri: str, name: str, tags: dict[str, Any] | None = None
) -> ModelVersion:
    """:func:`register_model` through ``client``."""
    from runlab.registry import uris

    run_id: str | None = None
    source = model_uri
    if uris.is_runs_uri(model_uri):
        ref = uris.parse_runs_uri(model_uri)
        run_id = ref.run_id
        source = uris.resolve_model_uri(model_uri, client)  # NotFoundError for a missing run
        if not _has_artifact(client, ref.run_id, ref.path):
            raise NotFoundError(
                f"{model_uri!r}: run {ref.run_id!r} has no artifacts at {ref.path!r}; "
                "log the model there first"
            )
    elif uris.is_model_uri(model_uri):
        run_id = uris.get_model_version_for_uri(model_uri, client).run_id
        source = uris.resolve_model_uri(model_uri, client)
    try:
        client.create_registered_model(name)
    except AlreadyExistsError:
        pass  # registering a new version of an existing model
    return client.create_model_version(name, source, run_id=run_id, tags=tags)


def _has_artifact(client: RunlabClient, run_id: str, path: str) -> bool:
    """Whether ``path`` is a file or a non-empty folder among the run's artifacts."""
    import posixpath

    if not path or client.list_artifacts(run_id, path):
        return True
    parent = posixpath.dirname(path)
    return any(entry.path == path for entry in client.list_artifacts(run_id, parent or None))
