"""The contract for stores that keep MLflow 3 logged models (see
:mod:`runlab.entities_logged_models`). The SQL store implements it over the tracking
database; other stores need not."""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence

from runlab.entities import Metric, PagedList
from runlab.entities_logged_models import LoggedModel

__all__ = ["LoggedModelStore", "OrderBy"]

# (field name, ascending): what MLflow's SearchLoggedModels ``order_by`` carries.
OrderBy = tuple[str, bool]


class LoggedModelStore(abc.ABC):
    """Logged models, their tags and params."""

    @abc.abstractmethod
    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        model_type: str | None = None,
    ) -> LoggedModel:
        """A new PENDING model under the experiment; a random name when none is given."""

    @abc.abstractmethod
    def get_logged_model(self, model_id: str) -> LoggedModel:
        """The model; NotFoundError when there is none (or it was deleted)."""

    @abc.abstractmethod
    def finalize_logged_model(self, model_id: str, status: str) -> LoggedModel:
        """Set the model's status (READY or FAILED) and return it."""

    @abc.abstractmethod
    def delete_logged_model(self, model_id: str) -> None:
        """Remove the model; its files are left to artifact garbage collection."""

    @abc.abstractmethod
    def set_logged_model_tags(self, model_id: str, tags: Mapping[str, str]) -> None:
        """Set (overwrite) tags."""

    @abc.abstractmethod
    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        """Remove a tag; NotFoundError when the model has no such tag."""

    @abc.abstractmethod
    def log_logged_model_params(self, model_id: str, params: Mapping[str, str]) -> None:
        """Add params; re-logging a param with the same value is fine, another value is a
        ConflictError (params never change, as a run's)."""

    @abc.abstractmethod
    def log_logged_model_metrics(self, run_id: str, metrics: Sequence[Metric]) -> None:
        """Record points logged by ``run_id`` with a ``model_id`` (each point names its
        model, and may name a dataset) so they come back on the model's ``metrics``; the
        run's own history is written by the tracking store. NotFoundError for a missing
        model or run. A point at the same model, key, time, step and run replaces the
        one there."""

    @abc.abstractmethod
    def link_run_models(
        self,
        run_id: str,
        inputs: Sequence[str] = (),
        outputs: Sequence[tuple[str, int]] = (),
    ) -> None:
        """Record the models ``run_id`` used (``inputs``: model ids) and produced
        (``outputs``: model id and step), so they come back on the run's
        ``inputs.model_inputs`` and ``outputs.model_outputs``. Linking a model twice keeps
        one link. NotFoundError for a missing run or model, ConflictError for a deleted
        run."""

    @abc.abstractmethod
    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: Sequence[OrderBy] | None = None,
        page_token: str | None = None,
    ) -> PagedList[LoggedModel]:
        """Models in the experiments matching the filter, newest first unless ordered."""

    @abc.abstractmethod
    def import_logged_model(self, model: LoggedModel) -> LoggedModel:
        """Take in a logged model made elsewhere, keeping its id, times, status, tags and
        params, into the experiment ``model.experiment_id`` of this store; a model whose
        id is stored already is left as it is. The answer is the model as stored here
        (its artifact location is this store's)."""
