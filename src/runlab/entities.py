"""Plain data objects, shaped like MLflow's so code written for MLflow reads the same.

They hold data and nothing else: no store access, no validation (that happens
at the boundary, in :mod:`runlab._validation`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from runlab.entities_logged_models import (
    LoggedModel,
    LoggedModelInput,
    LoggedModelOutput,
    LoggedModelParameter,
    LoggedModelStatus,
    LoggedModelTag,
    RunOutputs,
)

__all__ = [
    "Dataset",
    "DatasetInput",
    "Experiment",
    "ExperimentTag",
    "FileInfo",
    "InputTag",
    "LifecycleStage",
    "LoggedModel",
    "LoggedModelInput",
    "LoggedModelOutput",
    "LoggedModelParameter",
    "LoggedModelStatus",
    "LoggedModelTag",
    "Metric",
    "MetricSummary",
    "ModelVersion",
    "ModelVersionStage",
    "ModelVersionStatus",
    "ModelVersionStageTransition",
    "PagedList",
    "Param",
    "RegisteredModel",
    "Run",
    "RunData",
    "RunGroup",
    "RunGroups",
    "RunInfo",
    "RunInputs",
    "RunOutputs",
    "RunStatus",
    "RunTag",
    "SourceType",
    "ViewType",
]

T = TypeVar("T")


class LifecycleStage:
    ACTIVE = "active"
    DELETED = "deleted"


class RunStatus:
    """Run statuses as strings (MLflow's names)."""

    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"

    ALL = (RUNNING, SCHEDULED, FINISHED, FAILED, KILLED)
    TERMINATED = (FINISHED, FAILED, KILLED)

    @classmethod
    def is_terminated(cls, status: str) -> bool:
        return status in cls.TERMINATED


class ViewType(enum.IntEnum):
    """Which lifecycle stages a search returns (values match MLflow's)."""

    ACTIVE_ONLY = 1
    DELETED_ONLY = 2
    ALL = 3

    @classmethod
    def parse(cls, value: ViewType | int | str | None) -> ViewType:
        from runlab.errors import InvalidInputError

        if value is None:
            return cls.ACTIVE_ONLY
        if isinstance(value, str):
            name = value.strip().upper()
            aliases = {"ACTIVE": "ACTIVE_ONLY", "DELETED": "DELETED_ONLY"}
            name = aliases.get(name, name)
            if name in cls.__members__:
                return cls[name]
            raise InvalidInputError(
                f"view_type: {value!r} is not one of ACTIVE_ONLY, DELETED_ONLY, ALL"
            )
        try:
            return cls(int(value))
        except ValueError:
            raise InvalidInputError(
                f"view_type: {value!r} is not one of 1 (ACTIVE_ONLY), 2 (DELETED_ONLY), 3 (ALL)"
            ) from None

    def stages(self) -> tuple[str, ...]:
        if self is ViewType.ACTIVE_ONLY:
            return (LifecycleStage.ACTIVE,)
        if self is ViewType.DELETED_ONLY:
            return (LifecycleStage.DELETED,)
        return (LifecycleStage.ACTIVE, LifecycleStage.DELETED)


class SourceType:
    """Where a run came from, as MLflow numbers it (the ``mlflow.source.type`` tag holds
    the name)."""

    NOTEBOOK, JOB, PROJECT, LOCAL, UNKNOWN = range(1, 6)
    _NAMES = {
        NOTEBOOK: "NOTEBOOK",
        JOB: "JOB",
        PROJECT: "PROJECT",
        LOCAL: "LOCAL",
        UNKNOWN: "UNKNOWN",
    }

    @staticmethod
    def from_string(name: str) -> int:
        for number, known in SourceType._NAMES.items():
            if known == name:
                return number
        from runlab.errors import InvalidInputError

        raise InvalidInputError(
            f"source type {name!r} is not one of {', '.join(SourceType._NAMES.values())}"
        )

    @staticmethod
    def to_string(number: int) -> str:
        if number in SourceType._NAMES:
            return SourceType._NAMES[number]
        from runlab.errors import InvalidInputError

        raise InvalidInputError(
            f"source type {number!r} is not one of {', '.join(map(str, SourceType._NAMES))}"
        )


@dataclass(frozen=True)
class FileInfo:
    """One entry of an artifact listing (MLflow's shape).

    ``path`` is relative to the repository root with ``/`` separators; ``file_size``
    is in bytes, and None for directories or when the size cannot be known.
    """

    path: str
    is_dir: bool
    file_size: int | None


@dataclass(slots=True)
class Metric:  # not frozen: built once per logged point, and frozen init costs 3x
    key: str
    value: float
    timestamp: int
    step: int = 0
    run_id: str | None = None
    # MLflow 3: the logged model the value describes, and the dataset it was computed on
    model_id: str | None = None
    dataset_name: str | None = None
    dataset_digest: str | None = None


@dataclass(frozen=True, slots=True)
class Param:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class RunTag:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class ExperimentTag:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class InputTag:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class Experiment:
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str = LifecycleStage.ACTIVE
    tags: dict[str, str] = field(default_factory=dict)
    creation_time: int | None = None
    last_update_time: int | None = None


@dataclass(frozen=True, slots=True)
class RunInfo:
    run_id: str
    experiment_id: str
    run_name: str
    user_id: str
    status: str
    start_time: int | None
    end_time: int | None
    artifact_uri: str
    lifecycle_stage: str = LifecycleStage.ACTIVE

    @property
    def run_uuid(self) -> str:
        return self.run_id


@dataclass(frozen=True, slots=True)
class RunData:
    """Params, tags and the latest value of each metric, as dicts (MLflow's shape)."""

    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metric_objs: tuple[Metric, ...] = ()

    @property
    def _metric_objs(self) -> list[Metric]:  # MLflow code reaches for this name
        return list(self.metric_objs)


@dataclass(frozen=True, slots=True)
class Dataset:
    """A record of the data a run used: what it is called, where it came from, its digest."""

    name: str
    digest: str
    source_type: str = "local"
    source: str = ""
    schema: str | None = None
    profile: str | None = None


@dataclass(frozen=True, slots=True)
class DatasetInput:
    dataset: Dataset
    tags: tuple[InputTag, ...] = ()

    @property
    def context(self) -> str | None:
        for tag in self.tags:
            if tag.key == "mlflow.data.context":
                return tag.value
        return None


@dataclass(frozen=True, slots=True)
class RunInputs:
    dataset_inputs: tuple[DatasetInput, ...] = ()
    # logged models the run used (MLflow 3's ``log_input(model=...)``)
    model_inputs: tuple[LoggedModelInput, ...] = ()


@dataclass(frozen=True, slots=True)
class Run:
    info: RunInfo
    data: RunData = field(default_factory=RunData)
    inputs: RunInputs = field(default_factory=RunInputs)
    outputs: RunOutputs = field(default_factory=RunOutputs)

    def to_dictionary(self) -> dict[str, Any]:
        from dataclasses import asdict

        return {
            "info": asdict(self.info),
            "data": {
                "metrics": dict(self.data.metrics),
                "params": dict(self.data.params),
                "tags": dict(self.data.tags),
            },
            "inputs": [
                {"dataset": asdict(d.dataset), "tags": {t.key: t.value for t in d.tags}}
                for d in self.inputs.dataset_inputs
            ],
        }


# ------------------------------------------------------------------ model registry


class ModelVersionStage:
    """The four stages of a model version (MLflow's names); input is case-insensitive."""

    NONE = "None"
    STAGING = "Staging"
    PRODUCTION = "Production"
    ARCHIVED = "Archived"

    ALL = (NONE, STAGING, PRODUCTION, ARCHIVED)
    ACTIVE = (STAGING, PRODUCTION)  # the stages archive_existing_versions applies to

    @classmethod
    def parse(cls, value: object) -> str:
        """The canonical spelling of ``value``; InvalidInputError for anything else."""
        from runlab.errors import InvalidInputError

        if isinstance(value, str):
            for stage in cls.ALL:
                if stage.lower() == value.strip().lower():
                    return stage
        raise InvalidInputError(
            f"stage {value!r} is not a model version stage; use one of {', '.join(cls.ALL)} "
            "(any case)"
        )


class ModelVersionStatus:
    READY = "READY"
    PENDING_REGISTRATION = "PENDING_REGISTRATION"
    FAILED_REGISTRATION = "FAILED_REGISTRATION"

    ALL = (READY, PENDING_REGISTRATION, FAILED_REGISTRATION)


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """One registered version of a model. ``version`` is an int, as MlflowClient gives
    it with a database store (the JSON wire carries it as a string)."""

    name: str
    version: int
    creation_timestamp: int
    last_updated_timestamp: int | None = None
    description: str | None = None
    user_id: str | None = None
    current_stage: str = ModelVersionStage.NONE
    source: str | None = None
    run_id: str | None = None
    run_link: str | None = None
    status: str = ModelVersionStatus.READY
    status_message: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    model_id: str | None = None  # the MLflow 3 logged model it was registered from


@dataclass(frozen=True, slots=True)
class RegisteredModel:
    """A named model. ``latest_versions`` holds the newest version in each stage and
    ``aliases`` maps each alias to its version number."""

    name: str
    creation_timestamp: int
    last_updated_timestamp: int | None = None
    description: str | None = None
    latest_versions: list[ModelVersion] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ModelVersionStageTransition:
    """One recorded stage change of a model version: who moved it, when, from and to."""

    name: str
    version: int
    from_stage: str
    to_stage: str
    user_id: str | None
    timestamp: int


@dataclass(frozen=True, slots=True)
class MetricSummary:
    """The latest values of one metric over a group of runs (NaN values left out)."""

    min: float | None
    max: float | None
    mean: float | None
    count: int


@dataclass(frozen=True, slots=True)
class RunGroup:
    """Runs sharing one value of a param, tag or attribute (``None``: runs without it)."""

    value: str | None
    count: int
    metrics: dict[str, MetricSummary] = field(default_factory=dict)


class RunGroups(list[RunGroup]):
    """Groups in value order; ``truncated`` when more groups exist than were asked for."""

    def __init__(self, items: Iterable[RunGroup], truncated: bool) -> None:
        super().__init__(items)
        self.truncated = truncated


class PagedList(list[T], Generic[T]):
    """A page of results plus the opaque token for the next page (None when done)."""

    def __init__(self, items: Iterable[T], token: str | None) -> None:
        super().__init__(items)
        self.token = token


def all_pages(fetch: Callable[[str | None], PagedList[T]], token: str | None = None) -> list[T]:
    """Every item of a paged search: ``fetch(page_token)`` is called, starting from
    ``token``, until a page comes back without a next token."""
    found: list[T] = []
    while True:
        page = fetch(token)
        found.extend(page)
        token = page.token
        if not token:
            return found


def tags_dict(tags: Mapping[str, Any] | Iterable[Any] | None) -> dict[str, str]:
    """Accept tags as a mapping or as RunTag/ExperimentTag objects."""
    if tags is None:
        return {}
    if isinstance(tags, Mapping):
        return {str(k): v for k, v in tags.items()}
    items: Iterable[Any] = tags  # RunTag or ExperimentTag objects
    return {t.key: t.value for t in items}
