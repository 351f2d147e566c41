"""The one interface every place we import from implements: :class:`Source`.

A source lists its experiments, the runs of each (cheap infos first, so that runs
already imported are skipped before anything heavy is read), loads chosen runs whole
(params, tags, every metric point, inputs), and lists its registered models and MLflow 3
logged models. Its artifacts are read through runlab's artifact repositories
(:meth:`Source.artifacts`), whatever the storage: a folder, S3 or a server's proxy.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import TYPE_CHECKING

from runlab.entities import Experiment, RunInfo
from runlab.entities_logged_models import LoggedModel
from runlab.store.imports import ModelRecord, RunRecord

if TYPE_CHECKING:
    from runlab.store.artifacts.base import ArtifactRepository

__all__ = ["Source"]


class Source(abc.ABC):
    """Experiments, runs, models and artifacts kept somewhere else."""

    #: Shown in progress and reports: what this source reads, without credentials.
    description: str = ""

    @abc.abstractmethod
    def experiments(self) -> list[Experiment]:
        """Every experiment, deleted ones too."""

    @abc.abstractmethod
    def run_infos(self, experiment_id: str) -> list[RunInfo]:
        """The infos of every run of one experiment, deleted ones too."""

    @abc.abstractmethod
    def load_runs(self, experiment_id: str, infos: Sequence[RunInfo]) -> list[RunRecord]:
        """The runs of ``infos`` whole: params, tags, every metric point, inputs."""

    @abc.abstractmethod
    def registered_models(self) -> list[ModelRecord]:
        """Every registered model with its versions (run ids as the source has them)."""

    @abc.abstractmethod
    def logged_models(self, experiment_id: str) -> list[LoggedModel]:
        """The MLflow 3 logged models of one experiment (empty where there are none)."""

    @abc.abstractmethod
    def artifacts(self, artifact_uri: str) -> ArtifactRepository | None:
        """A repository to read the files below ``artifact_uri`` (a run's or a logged
        model's location as the source records it); None when they cannot be reached
        from here (the reason goes to :attr:`warnings`)."""

    def close(self) -> None:  # noqa: B027 (most sources hold nothing to release)
        """Release connections."""

    @property
    def warnings(self) -> list[str]:
        """What could not be carried over, for the report."""
        return self._warnings

    _warnings: list[str]

    def __init__(self) -> None:
        self._warnings = []

    def warn(self, message: str) -> None:
        if message not in self._warnings:
            self._warnings.append(message)
