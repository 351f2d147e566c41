"""MLflow 3's logged model: a model saved from a run (or on its own) with its own id,
artifact location, tags and params, addressed as ``models:/m-<id>``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runlab.entities import Metric

__all__ = [
    "LoggedModel",
    "LoggedModelInput",
    "LoggedModelOutput",
    "LoggedModelParameter",
    "LoggedModelStatus",
    "LoggedModelTag",
    "RunOutputs",
]


class LoggedModelStatus:
    """A logged model is PENDING while its files upload, then READY (or FAILED)."""

    PENDING = "LOGGED_MODEL_PENDING"
    READY = "LOGGED_MODEL_READY"
    FAILED = "LOGGED_MODEL_UPLOAD_FAILED"
    ALL = (PENDING, READY, FAILED)
    # Short spellings accepted as input: the enum names without their prefix.
    _SHORT = {"PENDING": PENDING, "READY": READY, "FAILED": FAILED, "UPLOAD_FAILED": FAILED}

    @classmethod
    def parse(cls, value: str) -> str | None:
        """The canonical status for ``value`` (either spelling), or None if it is none."""
        upper = value.upper()
        if upper in cls.ALL:
            return upper
        return cls._SHORT.get(upper)


@dataclass(frozen=True, slots=True)
class LoggedModel:
    """One logged model. Timestamps are milliseconds since the epoch."""

    model_id: str
    experiment_id: str
    name: str
    artifact_location: str
    creation_timestamp: int
    last_updated_timestamp: int
    status: str = LoggedModelStatus.PENDING
    status_message: str | None = None
    model_type: str | None = None
    source_run_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    # every metric point logged with this model_id, each with its run and dataset
    metrics: list[Metric] = field(default_factory=list)

    @property
    def model_uri(self) -> str:
        return f"models:/{self.model_id}"


@dataclass(frozen=True, slots=True)
class LoggedModelOutput:
    """A model a run produced, at a training step (``MlflowClient.log_outputs``)."""

    model_id: str
    step: int = 0


@dataclass(frozen=True, slots=True)
class LoggedModelInput:
    """A model a run used as its input (``MlflowClient.log_inputs(models=...)``)."""

    model_id: str


@dataclass(frozen=True, slots=True)
class LoggedModelTag:
    """One tag of a logged model (``LoggedModel.tags`` holds them as a dict)."""

    key: str
    value: str


@dataclass(frozen=True, slots=True)
class LoggedModelParameter:
    """One param of a logged model (``LoggedModel.params`` holds them as a dict)."""

    key: str
    value: str


@dataclass(frozen=True, slots=True)
class RunOutputs:
    """What a run produced: the logged models of ``MlflowClient.log_outputs``."""

    model_outputs: tuple[LoggedModelOutput, ...] = ()
