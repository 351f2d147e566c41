"""A source read through runlab's store contracts: any runlab tracking URI (a folder,
SQLite, PostgreSQL, a server), and through the REST store, a running MLflow server.

Everything comes from the public methods (search experiments and runs in every
lifecycle stage, every page of each metric's history, the registry's searches), so
whatever store is behind the URI, the same code reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from runlab.entities import (
    Experiment,
    Metric,
    ModelVersion,
    ModelVersionStageTransition,
    Run,
    RunInfo,
    ViewType,
    all_pages,
)
from runlab.entities_logged_models import LoggedModel
from runlab.errors import RunlabError
from runlab.migrate.sources import _mlflow
from runlab.migrate.sources.base import Source
from runlab.store.imports import ModelRecord, RunRecord

if TYPE_CHECKING:
    from runlab.store.artifacts.base import ArtifactRepository
    from runlab.store.base import TrackingStore
    from runlab.store.logged_models_base import LoggedModelStore
    from runlab.store.registry_base import RegistryStore

__all__ = ["StoreSource"]

LoggedModelLister = Callable[[str], list[LoggedModel]]


class StoreSource(Source):
    """``tracking`` (with its registry and logged models, where it has them) as a source.

    ``tracking_uri`` resolves ``mlflow-artifacts:`` URIs; ``stage_history`` says
    whether the registry records stage transitions (runlab's does, MLflow's does not).
    """

    def __init__(
        self,
        tracking: TrackingStore,
        tracking_uri: str,
        registry: RegistryStore | None = None,
        logged_models: LoggedModelStore | LoggedModelLister | None = None,
        *,
        stage_history: bool = True,
        repository: Callable[[str], ArtifactRepository] | None = None,
    ) -> None:
        super().__init__()
        self.tracking = tracking
        self.tracking_uri = tracking_uri
        self.registry = registry
        self._logged_models = logged_models
        self.stage_history = stage_history
        self._repository = repository
        self.description = tracking_uri
        self._runs: dict[str, Run] = {}

    def experiments(self) -> list[Experiment]:
        return all_pages(
            lambda token: self.tracking.search_experiments(ViewType.ALL, 1000, page_token=token)
        )

    def run_infos(self, experiment_id: str) -> list[RunInfo]:
        found = all_pages(
            lambda token: self.tracking.search_runs(
                [experiment_id], None, ViewType.ALL, 1000, None, token
            )
        )
        for run in found:
            self._runs[run.info.run_id] = run
        return sorted((r.info for r in found), key=lambda i: (i.start_time or 0, i.run_id))

    def load_runs(self, experiment_id: str, infos: Sequence[RunInfo]) -> list[RunRecord]:
        records = []
        for info in infos:
            run = self._runs.pop(info.run_id, None) or self.tracking.get_run(info.run_id)
            points: list[Metric] = []
            for key in sorted(run.data.metrics):
                points += self.tracking.get_metric_history(info.run_id, key)
            records.append(
                RunRecord(run.info, run.data.params, run.data.tags, points,
                          run.inputs.dataset_inputs)
            )  # fmt: skip
        return records

    def registered_models(self) -> list[ModelRecord]:
        registry = self.registry
        if registry is None:
            return []
        records = []
        models = all_pages(lambda token: registry.search_registered_models(page_token=token))
        for listed in models:
            model = registry.get_registered_model(listed.name)
            quoted = model.name.replace("'", "\\'")
            versions = sorted(_versions(registry, quoted), key=lambda mv: mv.version)
            history: list[ModelVersionStageTransition] = []
            if self.stage_history:
                for mv in versions:
                    history += registry.get_model_version_stage_history(model.name, mv.version)
            else:
                history = _mlflow.stage_history(versions)
            records.append(ModelRecord(model, versions, history))
        return records

    def logged_models(self, experiment_id: str) -> list[LoggedModel]:
        found = self._logged_models
        if found is None:
            return []
        if callable(found):
            return found(experiment_id)
        store = found
        return all_pages(
            lambda token: store.search_logged_models([experiment_id], page_token=token)
        )

    def artifacts(self, artifact_uri: str) -> ArtifactRepository | None:
        if self._repository is not None:
            return self._repository(artifact_uri)
        from runlab.artifacts import get_artifact_repository

        try:
            return get_artifact_repository(artifact_uri, self.tracking_uri)
        except RunlabError as exc:
            self.warn(f"artifacts at {artifact_uri}: {exc.message}")
            return None

    def close(self) -> None:
        self.tracking.close()


def _versions(registry: RegistryStore, quoted_name: str) -> list[ModelVersion]:
    return all_pages(
        lambda token: registry.search_model_versions(f"name = '{quoted_name}'", page_token=token)
    )
