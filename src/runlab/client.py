"""``runlab.client.MlflowClient``, as ``mlflow.client.MlflowClient``: runlab's client."""

from __future__ import annotations

from runlab.tracking.client import RunlabClient

__all__ = ["MlflowClient"]

MlflowClient = RunlabClient
