"""Tracking: the client, the fluent API and ``mlflow.tracking``'s names.

``runlab.tracking.MlflowClient`` is :class:`RunlabClient`, so code written as
``mlflow.tracking.MlflowClient()`` runs unchanged with ``import runlab as mlflow``.
"""

from __future__ import annotations

from runlab.tracking.client import RunlabClient
from runlab.tracking.fluent import get_tracking_uri, set_tracking_uri
from runlab.tracking.fluent_models import get_registry_uri, is_tracking_uri_set, set_registry_uri

MlflowClient = RunlabClient

__all__ = [
    "MlflowClient",
    "RunlabClient",
    "get_registry_uri",
    "get_tracking_uri",
    "is_tracking_uri_set",
    "set_registry_uri",
    "set_tracking_uri",
]
