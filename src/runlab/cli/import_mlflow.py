"""``runlab import-mlflow``: everything an MLflow store holds, into runlab."""

from __future__ import annotations

from typing import Any

import click

from runlab.cli import _migrate


@click.command("import-mlflow")
@click.argument("source", metavar="SOURCE")
@click.option(
    "--artifacts",
    metavar="DIR",
    help="Folder that mlflow-artifacts:/ URIs point into (the MLflow server's "
    "--artifacts-destination, ./mlartifacts by default there).",
)
# Without these options the server's credentials come from RUNLAB_TRACKING_* or
# MLFLOW_TRACKING_*, as for any tracking URI.
@click.option("--token", help="Bearer token for an MLflow server.")
@click.option("--username", help="HTTP Basic user.")
@click.option("--password", help="HTTP Basic password.")
@_migrate.choice_options
def import_mlflow(
    source: str, artifacts: str | None, token: str | None, username: str | None,
    password: str | None, **kwargs: Any,
) -> None:  # fmt: skip
    """Import experiments, runs, artifacts and models from MLflow.

    \b
    SOURCE is one of
      ./mlruns                        MLflow's file store
      sqlite:///mlflow.db             an MLflow database (also postgresql://, mysql://)
      http://mlflow-host:5000         a running MLflow server, over its REST API

    Importing again adds only what is new; an interrupted import continues where it
    stopped. A verification report closes the import.
    """
    from runlab.migrate import open_mlflow_source

    found = open_mlflow_source(
        source, artifacts=artifacts, token=token, username=username, password=password
    )
    _migrate.run(found, kwargs)
