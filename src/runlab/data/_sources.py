"""``runlab.data.get_source``: where a logged dataset's data came from, as an object.

A dataset record keeps its source as text: a URI or path as runlab writes it, or the
JSON object MLflow writes (``{"uri": "s3://..."}``). ``get_source`` reads either; a
source's ``uri`` downloads with ``runlab.artifacts.download_artifacts(artifact_uri=...)``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from runlab.entities import Dataset, DatasetInput
from runlab.errors import InvalidInputError

__all__ = ["DatasetSource", "get_source"]


@dataclass(frozen=True)
class DatasetSource:
    """A dataset's origin: its ``source_type`` and the details of the source text
    (``uri`` when it names a location)."""

    source_type: str
    details: dict[str, Any]

    @property
    def uri(self) -> str | None:
        value = self.details.get("uri")
        return value if isinstance(value, str) else None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.details)

    def to_json(self) -> str:
        return json.dumps(self.details)


def get_source(dataset: Dataset | DatasetInput | Any) -> DatasetSource:
    """The source of a dataset record, a run's dataset input, or any object with
    ``source`` and ``source_type`` attributes (MLflow's datasets)."""
    if isinstance(dataset, DatasetInput):
        dataset = dataset.dataset
    source: Any = getattr(dataset, "source", None)
    to_dict = getattr(source, "to_dict", None)
    if callable(to_dict):  # an MLflow dataset's source object
        kind = getattr(source, "_get_source_type", None)
        return DatasetSource(str(kind() if callable(kind) else "unknown"), dict(to_dict()))
    source_type = getattr(dataset, "source_type", None)
    if not isinstance(source_type, str):
        raise InvalidInputError(
            f"dataset: expected a runlab Dataset or DatasetInput, got {type(dataset).__name__}"
        )
    if not isinstance(source, str):
        raise InvalidInputError(f"dataset.source: expected text, got {type(source).__name__}")
    details: Any = None
    if source.lstrip().startswith("{"):
        try:
            details = json.loads(source)
        except ValueError:
            details = None
    if not isinstance(details, dict):
        details = {"uri": source} if source else {}
    return DatasetSource(source_type, details)
