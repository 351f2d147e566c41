"""The client side of a tracking server: ``http://`` and ``https://`` tracking URIs.

:class:`RestStore` implements the tracking store over MLflow's REST API, and
:class:`~runlab.store.artifacts.http.HttpArtifactRepository` reads and writes a run's
files through the server's artifact proxy (``mlflow-artifacts:`` URIs). Both share the
transport of :mod:`runlab.store.rest._http`: one connection pool per server, retries,
credentials and error mapping.
"""

from __future__ import annotations

from runlab.store.rest._http import (
    AuthenticationError,
    InvalidParameterValueError,
    PermissionDeniedError,
)
from runlab.store.rest.store import RestStore

__all__ = [
    "AuthenticationError",
    "InvalidParameterValueError",
    "PermissionDeniedError",
    "RestStore",
]
