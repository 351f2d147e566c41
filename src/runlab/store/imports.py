"""What a store is given to take in data made elsewhere (another store, MLflow, an
archive) as it was: ids, times, statuses and every metric point kept.

The import methods of the store contracts (:meth:`TrackingStore.import_runs`,
:meth:`RegistryStore.import_registered_model`, :meth:`LoggedModelStore.import_logged_model`)
take these records. They are plain data; the importer in :mod:`runlab.migrate` builds
them from its sources.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from runlab.entities import (
    DatasetInput,
    Metric,
    ModelVersion,
    ModelVersionStageTransition,
    RegisteredModel,
    RunInfo,
)

__all__ = ["ModelRecord", "RunRecord"]


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run as its source holds it. ``info.experiment_id`` and ``info.artifact_uri``
    are the source's (the target store places the run); everything else is kept."""

    info: RunInfo
    params: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    metrics: Sequence[Metric] = ()  # the full history, every point
    inputs: Sequence[DatasetInput] = ()
    deleted_time: int | None = None

    @property
    def run_id(self) -> str:
        return self.info.run_id


@dataclass(frozen=True, slots=True)
class ModelRecord:
    """A registered model with all of its versions (their ``run_id`` already naming runs
    of the target store) and their recorded stage transitions, oldest first."""

    model: RegisteredModel  # name, times, description, tags and aliases
    versions: Sequence[ModelVersion] = ()
    transitions: Sequence[ModelVersionStageTransition] = ()
