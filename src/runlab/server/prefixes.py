"""The URL prefixes the server's routes live under, for the app and its auth layer."""

from __future__ import annotations

__all__ = ["API_PREFIXES", "PROXY_PREFIXES", "RUNLAB_PREFIXES", "TRACKING_PREFIXES"]

# Every /api/2.0/... path is also served under /ajax-api/2.0/... (the MLflow UI calls it).
TRACKING_PREFIXES = ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow")
PROXY_PREFIXES = ("/api/2.0/mlflow-artifacts", "/ajax-api/2.0/mlflow-artifacts")
RUNLAB_PREFIXES = ("/api/2.0/runlab", "/ajax-api/2.0/runlab")
API_PREFIXES = ("/api/", "/ajax-api/")  # an unknown path here is a JSON 404, not the UI's
