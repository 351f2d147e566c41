"""The logged-model half of :class:`~runlab.tracking.client.RunlabClient`.

MLflow 3's logged models (``models:/m-<id>``) have their own id, artifact location,
tags and params. MlflowClient keeps their methods on the client class; so does
runlab, through this mixin, with MlflowClient's names and signatures. The store is the
tracking database's own (SQL URIs) or the server's logged-model API (``http(s)://``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from runlab.entities import PagedList
from runlab.entities_logged_models import LoggedModel, LoggedModelOutput, LoggedModelStatus
from runlab.errors import InvalidInputError, NotSupportedError

if TYPE_CHECKING:
    from runlab.entities import Run
    from runlab.store.artifacts.base import ArtifactRepository, FileInfo
    from runlab.store.base import TrackingStore
    from runlab.store.logged_models_base import LoggedModelStore, OrderBy

__all__ = ["LoggedModelClientMixin", "order_by_pairs"]


def _str_map(field: str, values: Mapping[str, Any] | None) -> dict[str, str]:
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise InvalidInputError(f"{field}: expected a dict, got {type(values).__name__}")
    return {str(k): "" if v is None else str(v) for k, v in values.items()}


def order_by_pairs(order_by: Sequence[Mapping[str, Any]] | None) -> list[OrderBy]:
    """MLflow's ``[{"field_name": ..., "ascending": ...}]`` as ``(field, ascending)``."""
    out: list[OrderBy] = []
    for item in order_by or ():
        if not isinstance(item, Mapping) or not isinstance(item.get("field_name"), str):
            raise InvalidInputError(
                'order_by: each entry must be a dict with a "field_name" string '
                f'and an optional "ascending" bool, got {item!r}'
            )
        out.append((item["field_name"], bool(item.get("ascending", True))))
    return out


class LoggedModelClientMixin:
    """Create, read, tag and search logged models; upload their files."""

    tracking_uri: str
    _logged_models: LoggedModelStore | None = None

    @property
    def store(self) -> TrackingStore:
        raise NotImplementedError  # provided by the tracking half of the client

    def get_run(self, run_id: str) -> Run:
        raise NotImplementedError  # provided by the tracking half of the client

    @property
    def logged_model_store(self) -> LoggedModelStore:
        if self._logged_models is None:
            self._logged_models = self._open_logged_model_store()
        return self._logged_models

    def _open_logged_model_store(self) -> LoggedModelStore:
        if self.tracking_uri.startswith(("http://", "https://")):
            from runlab.store.rest.logged_models import RestLoggedModelStore

            return RestLoggedModelStore(self.tracking_uri)
        store = self.store
        from runlab.store.sql.store import SqlStore

        if not isinstance(store, SqlStore):
            raise NotSupportedError(f"{type(store).__name__} keeps no logged models")
        from runlab.store.sql.logged_models import SqlLoggedModelStore

        return SqlLoggedModelStore(store.db)

    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        model_type: str | None = None,
    ) -> LoggedModel:
        """A new PENDING model in the experiment (a random name when none is given)."""
        return self.logged_model_store.create_logged_model(
            str(experiment_id),
            name=name,
            source_run_id=source_run_id,
            tags=_str_map("tags", tags),
            params=_str_map("params", params),
            model_type=model_type,
        )

    def get_logged_model(self, model_id: str) -> LoggedModel:
        return self.logged_model_store.get_logged_model(model_id)

    def finalize_logged_model(self, model_id: str, status: str) -> LoggedModel:
        """Mark the model READY or FAILED (either spelling of MLflow's status)."""
        canonical = LoggedModelStatus.parse(str(getattr(status, "name", status)))
        if canonical is None:
            raise InvalidInputError(f"status: must be READY or FAILED, got {status!r}")
        return self.logged_model_store.finalize_logged_model(model_id, canonical)

    def delete_logged_model(self, model_id: str) -> None:
        self.logged_model_store.delete_logged_model(model_id)

    def set_logged_model_tags(self, model_id: str, tags: dict[str, Any]) -> None:
        self.logged_model_store.set_logged_model_tags(model_id, _str_map("tags", tags))

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        self.logged_model_store.delete_logged_model_tag(model_id, key)

    def log_model_params(self, model_id: str, params: dict[str, str]) -> None:
        self.logged_model_store.log_logged_model_params(model_id, _str_map("params", params))

    def search_logged_models(
        self,
        experiment_ids: list[str],
        filter_string: str | None = None,
        datasets: list[dict[str, Any]] | None = None,
        max_results: int | None = None,
        order_by: list[dict[str, Any]] | None = None,
        page_token: str | None = None,
    ) -> PagedList[LoggedModel]:
        """One page of models in the experiments; ``order_by`` entries are MLflow's
        ``{"field_name": ..., "ascending": ...}`` dicts."""
        if datasets:
            raise NotSupportedError(
                "datasets: filtering logged models by the datasets their metrics were "
                "computed on is not supported; filter on tags, params or attributes"
            )
        if isinstance(experiment_ids, str):
            experiment_ids = [experiment_ids]
        return self.logged_model_store.search_logged_models(
            [str(e) for e in experiment_ids],
            filter_string=filter_string,
            max_results=max_results,
            order_by=order_by_pairs(order_by),
            page_token=page_token,
        )

    def log_outputs(self, run_id: str, models: list[LoggedModelOutput]) -> None:
        """Record that ``run_id`` produced ``models`` (each must exist)."""
        outputs: list[tuple[str, int]] = []
        for item in models:
            if not isinstance(item, LoggedModelOutput):
                raise InvalidInputError(
                    f"models: expected LoggedModelOutput entries, got {type(item).__name__}"
                )
            outputs.append((item.model_id, int(item.step)))
        if outputs:
            self.logged_model_store.link_run_models(run_id, outputs=outputs)

    # ---------------------------------------------------------------- files
    def _model_repo(self, model_id: str) -> ArtifactRepository:
        from runlab.store.artifacts import get_artifact_repository

        location = self.get_logged_model(model_id).artifact_location
        return get_artifact_repository(location, tracking_uri=self.tracking_uri)

    def log_model_artifact(
        self, model_id: str, local_path: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        self._model_repo(model_id).log_artifact(local_path, artifact_path)

    def log_model_artifacts(
        self, model_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        self._model_repo(model_id).log_artifacts(local_dir, artifact_path)

    def list_logged_model_artifacts(self, model_id: str, path: str | None = None) -> list[FileInfo]:
        return self._model_repo(model_id).list_artifacts(path)
