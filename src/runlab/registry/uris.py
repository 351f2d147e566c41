"""``runs:/`` and ``models:/`` URIs (see :mod:`runlab.tracking.model_uris` for the forms),
resolved through the current client unless another is given."""

from __future__ import annotations

from runlab.entities import ModelVersion
from runlab.tracking import model_uris
from runlab.tracking.client import RunlabClient
from runlab.tracking.model_uris import (
    ModelLookup,
    ModelReference,
    RunReference,
    is_model_uri,
    is_runs_uri,
    parse_model_uri,
    parse_runs_uri,
)

__all__ = [
    "ModelLookup",
    "ModelReference",
    "RunReference",
    "get_model_version_for_uri",
    "is_model_uri",
    "is_runs_uri",
    "parse_model_uri",
    "parse_runs_uri",
    "resolve_model_uri",
]


def get_model_version_for_uri(uri: str, client: ModelLookup | None = None) -> ModelVersion:
    """The model version a ``models:/`` URI designates."""
    return model_uris.get_model_version_for_uri(uri, client or RunlabClient())


def resolve_model_uri(uri: str, client: ModelLookup | None = None) -> str:
    """The artifact URI behind a ``runs:/`` or ``models:/`` URI; any other comes back as is."""
    return model_uris.resolve_model_uri(uri, client or RunlabClient())
