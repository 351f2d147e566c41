"""Fluent functions MLflow users type beyond the run basics: the registry URI, parent
runs, experiment tags, registry searches and MLflow 3's logged and active models.

Each is a thin skin over the fluent client of :mod:`runlab.tracking.fluent`, with
MLflow's name and signature.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextvars import ContextVar
from types import TracebackType
from typing import Any, TypeVar

from runlab.entities import (
    Dataset,
    DatasetInput,
    InputTag,
    ModelVersion,
    PagedList,
    RegisteredModel,
    Run,
)
from runlab.entities_logged_models import LoggedModel, LoggedModelInput, LoggedModelOutput
from runlab.errors import InvalidInputError
from runlab.tracking import _registry_uri
from runlab.tracking import fluent as _fluent
from runlab.tracking.client import RunlabClient

__all__ = [
    "ActiveModel",
    "clear_active_model",
    "delete_experiment_tag",
    "delete_logged_model_tag",
    "finalize_logged_model",
    "flush_artifact_async_logging",
    "flush_async_logging",
    "get_active_model_id",
    "get_logged_model",
    "get_parent_run",
    "get_registry_uri",
    "initialize_logged_model",
    "is_tracking_uri_set",
    "last_logged_model",
    "log_inputs",
    "log_model_params",
    "log_outputs",
    "restore_experiment",
    "restore_run",
    "search_logged_models",
    "search_model_versions",
    "search_registered_models",
    "set_active_model",
    "set_experiment_tags",
    "set_logged_model_tags",
    "set_model_version_tag",
    "set_registry_uri",
]

T = TypeVar("T")

_active_model: ContextVar[str | None] = ContextVar("runlab_active_model", default=None)
_last_model_id: str | None = None


def _client() -> RunlabClient:
    return _fluent._client()


def _collect(
    fetch: Callable[[int, str | None], PagedList[T]], max_results: int | None, page_size: int
) -> list[T]:
    """Pages of ``fetch(want, token)`` until ``max_results`` items or the last page."""
    if max_results is not None and (not isinstance(max_results, int) or max_results < 0):
        raise InvalidInputError(f"max_results: must be a non-negative integer, got {max_results!r}")
    found: list[T] = []
    token: str | None = None
    while max_results is None or len(found) < max_results:
        want = page_size if max_results is None else min(page_size, max_results - len(found))
        page = fetch(want, token)
        found.extend(page)
        token = page.token
        if not token:
            break
    return found


# ==================================================================== configuration
def is_tracking_uri_set() -> bool:
    """True when a tracking URI was chosen (``set_tracking_uri`` or the environment)."""
    from runlab import environment_variables as env

    return bool(_fluent._state.tracking_uri or env.RUNLAB_TRACKING_URI.get())


def set_registry_uri(uri: str | os.PathLike[str] | None) -> None:
    """Where registered models live for every client made afterwards (None: the
    tracking URI's registry, the default)."""
    from runlab.store.uri import resolve

    _registry_uri.choose(resolve(os.fspath(uri)) if uri else None)
    client = _fluent._state.client
    if client is not None:
        client._registry = None  # the fluent client picks up the new registry


def get_registry_uri() -> str:
    return _registry_uri.chosen() or _fluent.get_tracking_uri()


def flush_async_logging() -> None:
    """Write every queued metric, param and tag now (runlab's batcher)."""
    _fluent.flush()


def flush_artifact_async_logging() -> None:
    """Wait for the images logged with ``synchronous=False`` (and queued run data)."""
    _fluent.flush()
    _fluent._flush_artifacts()


# ==================================================================== runs and experiments
def get_parent_run(run_id: str) -> Run | None:
    """The run's parent (``mlflow.parentRunId`` tag), or None for a top-level run."""
    return _client().get_parent_run(run_id)


def set_experiment_tags(tags: dict[str, Any]) -> None:
    """Set several tags on the current experiment."""
    if not isinstance(tags, dict):
        raise InvalidInputError(f"tags: expected a dict, got {type(tags).__name__}")
    experiment_id = _fluent._current_experiment_id()
    client = _client()
    for key, value in tags.items():
        client.set_experiment_tag(experiment_id, key, value)


def delete_experiment_tag(key: str) -> None:
    _client().delete_experiment_tag(_fluent._current_experiment_id(), key)


def restore_experiment(experiment_id: str) -> None:
    _client().restore_experiment(experiment_id)


def restore_run(run_id: str) -> None:
    _client().restore_run(run_id)


def log_inputs(
    datasets: list[Dataset | None] | None = None,
    contexts: list[str | None] | None = None,
    tags_list: list[dict[str, str] | None] | None = None,
    models: list[LoggedModelInput | None] | None = None,
) -> None:
    """Record several datasets and logged models used by the active run in one call;
    ``contexts`` and ``tags_list`` line up with ``datasets``."""
    used = [m for m in models or () if m is not None]
    items = list(datasets or [])
    for field, values in (("contexts", contexts), ("tags_list", tags_list)):
        if values is not None and len(values) != len(items):
            raise InvalidInputError(
                f"{field}: must have one entry per dataset ({len(items)}), got {len(values)}"
            )
    inputs: list[DatasetInput] = []
    for i, dataset in enumerate(items):
        if dataset is None:
            continue
        if not isinstance(dataset, Dataset):
            raise InvalidInputError(
                f"datasets[{i}]: expected a runlab Dataset, got {type(dataset).__name__}"
            )
        tags = [
            InputTag(k, str(v)) for k, v in ((tags_list or [None] * len(items))[i] or {}).items()
        ]
        context = (contexts or [None] * len(items))[i]
        if context is not None:
            tags.append(InputTag("mlflow.data.context", context))
        inputs.append(DatasetInput(dataset, tuple(tags)))
    if inputs or used:
        _client().log_inputs(_fluent._run_id(), inputs, models=used)


def log_outputs(models: list[LoggedModelOutput] | None = None) -> None:
    """Record that the active run produced ``models``."""
    if models:
        _client().log_outputs(_fluent._run_id(), list(models))


# ==================================================================== the registry
def search_registered_models(
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: list[str] | None = None,
) -> list[RegisteredModel]:
    """Every matching registered model (all pages unless ``max_results`` is set)."""
    client = _client()
    return _collect(
        lambda want, token: client.search_registered_models(filter_string, want, order_by, token),
        max_results,
        page_size=1000,
    )


def search_model_versions(
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: list[str] | None = None,
) -> list[ModelVersion]:
    """Every matching model version (all pages unless ``max_results`` is set)."""
    client = _client()
    return _collect(
        lambda want, token: client.search_model_versions(filter_string, want, order_by, token),
        max_results,
        page_size=1000,
    )


def set_model_version_tag(
    name: str, version: str | None = None, key: str | None = None, value: Any = None
) -> None:
    if key is None:
        raise InvalidInputError("key: a tag key is required")
    _client().set_model_version_tag(name, version, key, value)


# ==================================================================== logged models
def _remember(model: LoggedModel) -> LoggedModel:
    global _last_model_id
    _last_model_id = model.model_id
    return model


def initialize_logged_model(
    name: str | None = None,
    source_run_id: str | None = None,
    tags: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    model_type: str | None = None,
    experiment_id: str | None = None,
) -> LoggedModel:
    """A new PENDING logged model in the current experiment, from the active run
    unless ``source_run_id`` names another; finalize it when its files are uploaded."""
    if source_run_id is None:
        active = _fluent.active_run()
        source_run_id = active.info.run_id if active is not None else None
    if experiment_id is None:
        experiment_id = _fluent._current_experiment_id()
    model = _client().create_logged_model(
        experiment_id, name, source_run_id, tags, params, model_type
    )
    return _remember(model)


def get_logged_model(model_id: str) -> LoggedModel:
    return _client().get_logged_model(model_id)


def last_logged_model() -> LoggedModel | None:
    """The model this process initialized last, as it is stored now."""
    return get_logged_model(_last_model_id) if _last_model_id else None


def finalize_logged_model(model_id: str, status: str) -> LoggedModel:
    return _client().finalize_logged_model(model_id, status)


def set_logged_model_tags(model_id: str, tags: dict[str, Any]) -> None:
    _client().set_logged_model_tags(model_id, tags)


def delete_logged_model_tag(model_id: str, key: str) -> None:
    _client().delete_logged_model_tag(model_id, key)


def log_model_params(params: dict[str, str], model_id: str | None = None) -> None:
    """Params of ``model_id`` (default: the active model)."""
    target = model_id or get_active_model_id()
    if target is None:
        raise InvalidInputError("model_id: no model given and no active model is set")
    _client().log_model_params(target, params)


def search_logged_models(
    experiment_ids: list[str] | None = None,
    filter_string: str | None = None,
    datasets: list[dict[str, str]] | None = None,
    max_results: int | None = None,
    order_by: list[dict[str, Any]] | None = None,
    output_format: str = "pandas",
) -> Any:
    """Logged models in the experiments (default: the current one) as a pandas
    DataFrame, one row per model, or a list of LoggedModel (``output_format="list"``)."""
    if output_format not in ("pandas", "list"):
        raise InvalidInputError(f"output_format must be 'pandas' or 'list', got {output_format!r}")
    ids = [str(e) for e in experiment_ids] if experiment_ids else [_fluent._current_experiment_id()]
    client = _client()
    models = _collect(
        lambda want, token: client.search_logged_models(
            ids, filter_string, datasets, want, order_by, token
        ),
        max_results,
        page_size=100,
    )
    if output_format == "list":
        return models
    import dataclasses

    import pandas as pd

    columns = [f.name for f in dataclasses.fields(LoggedModel)]
    return pd.DataFrame([dataclasses.asdict(m) for m in models], columns=columns)


# ==================================================================== the active model
class ActiveModel:
    """The logged model ``set_active_model`` made current; a ``with`` block restores
    the model that was active before it. Attributes are the LoggedModel's."""

    def __init__(self, logged_model: LoggedModel, set_by_user: bool = True) -> None:
        self.logged_model = logged_model
        self.set_by_user = set_by_user
        self._previous = _active_model.get()
        _active_model.set(logged_model.model_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.logged_model, name)

    def __repr__(self) -> str:
        return (
            f"<ActiveModel: model_id={self.logged_model.model_id} name={self.logged_model.name!r}>"
        )

    def __enter__(self) -> ActiveModel:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _active_model.set(self._previous)


def set_active_model(*, name: str | None = None, model_id: str | None = None) -> ActiveModel:
    """Make a logged model current: the one ``model_id`` names, or the newest named
    ``name`` in the current experiment (created when there is none)."""
    if (name is None) == (model_id is None):
        raise InvalidInputError("set_active_model: pass exactly one of name or model_id")
    client = _client()
    if model_id is not None:
        return ActiveModel(client.get_logged_model(model_id))
    if not isinstance(name, str) or not name:
        raise InvalidInputError("name: must be a non-empty string")
    experiment_id = _fluent._current_experiment_id()
    quoted = name.replace("'", "\\'")
    found = client.search_logged_models(
        [experiment_id],
        filter_string=f"name = '{quoted}'",
        max_results=1,
        order_by=[{"field_name": "creation_timestamp", "ascending": False}],
    )
    if found:
        return ActiveModel(found[0])
    return ActiveModel(_remember(client.create_logged_model(experiment_id, name)))


def get_active_model_id() -> str | None:
    return _active_model.get()


def clear_active_model() -> None:
    _active_model.set(None)
