"""Where imports read from: MLflow's file store, SQL database or server, a runlab
tracking URI, or a runlab archive. :func:`open_mlflow_source` and
:func:`open_runlab_source` pick the reader for a location."""

from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit

from runlab.errors import InvalidInputError
from runlab.migrate.sources.base import Source

__all__ = ["Source", "open_mlflow_source", "open_runlab_source"]

_SQL_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql", "mssql")


def open_mlflow_source(
    location: str,
    *,
    artifacts: str | None = None,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
) -> Source:
    """The MLflow store at ``location``: a folder (``mlruns``, or ``file:``), a database
    URL, or an ``http(s)://`` server. ``artifacts`` is the folder that
    ``mlflow-artifacts:`` URIs of a database point into."""
    scheme = urlsplit(location).scheme.lower()
    base = scheme.split("+", 1)[0]
    if base in ("http", "https"):
        from runlab.migrate.sources.mlflow_rest import mlflow_server_source

        return mlflow_server_source(
            location, token=token, username=username, password=password, check_credentials=True
        )
    if base in _SQL_SCHEMES:
        from runlab.migrate.sources.mlflow_sql import MlflowSqlSource

        return MlflowSqlSource(location, artifacts_root=artifacts)
    if base == "file" or len(base) <= 1:
        from runlab.migrate.sources.mlflow_files import MlflowFileSource

        path = unquote(urlsplit(location).path) if base == "file" else location
        if os.path.isfile(path):
            raise InvalidInputError(
                f"source {location!r} is a file; a SQLite database is given as sqlite:///{path}"
            )
        return MlflowFileSource(path)
    raise InvalidInputError(
        f"source {location!r}: scheme {scheme!r} is not one of an MLflow folder, "
        "sqlite:///, postgresql://, mysql:// or http(s)://"
    )


def open_runlab_source(uri: str | None) -> Source:
    """The runlab tracking URI ``uri`` (the current one if None) as a source."""
    from runlab.backend import Backend
    from runlab.migrate.sources.stores import StoreSource
    from runlab.store.uri import resolve

    resolved = resolve(uri)
    if urlsplit(resolved).scheme in ("http", "https"):
        from runlab.migrate.sources.mlflow_rest import mlflow_server_source

        server = mlflow_server_source(resolved)
        server.stage_history = True  # runlab's server records transitions
        server.description = resolved
        return server
    backend = Backend.open(resolved)
    return StoreSource(backend.tracking, resolved, backend.registry, backend.logged_models)
