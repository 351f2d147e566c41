"""The ``runlab`` command line.

=====================  ==============================================================
command                does
=====================  ==============================================================
``experiments ...``    list, create, rename, delete and restore experiments
``runs ...``           list, show, diff, delete and restore runs
``models ...``         list, show, register, promote, alias and delete registered models;
                       ``models serve`` serves a saved model over HTTP
``gc``                 permanently remove deleted runs and their artifacts
``db ...``             show and upgrade the database schema revision
``demo``               fill the tracking URI with a small demo experiment
``run``                run a project (a folder or a git repository; MLflow's MLproject)
``server``             run the tracking server (MLflow-compatible REST API)
``ui``                 run the server on the local store and print its URL
``import-mlflow``      import everything an MLflow store holds (folder, database, server)
``export``             write experiments, runs, models and artifacts to a runlab archive
``import``             import a runlab archive
``copy``               copy experiments between two runlab tracking URIs, keeping ids
``sync``               send the journals of ended processes to their tracking servers
=====================  ==============================================================

Every command works on the tracking URI given by ``--tracking-uri`` (or
``RUNLAB_TRACKING_URI``, or ``./runlab``). A runlab error ends the command with one
``Error: ...`` line on stderr and exit code 1; a usage error exits with 2.
"""

from __future__ import annotations

from typing import Any

import click

from runlab import environment_variables as env
from runlab._version import __version__
from runlab.cli import (
    db,
    demo,
    experiments,
    gc,
    import_mlflow,
    model_serve,
    models,
    run,
    runs,
    server,
    sync,
    transfer,
    users,
)
from runlab.cli._output import CliState
from runlab.errors import RunlabError

__all__ = ["cli", "main"]


class RunlabGroup(click.Group):
    """A group that turns any RunlabError raised below it into a one-line click error."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RunlabError as exc:
            raise click.ClickException(exc.message) from None


@click.group(
    cls=RunlabGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(
    __version__, "--version", "-V", prog_name="runlab", message="%(prog)s %(version)s"
)
@click.option(
    "--tracking-uri",
    envvar=env.RUNLAB_TRACKING_URI.name,
    show_envvar=True,
    metavar="URI",
    help="Store to work on: a folder, sqlite:///file.db or postgresql://… [default: ./runlab]",
)
@click.pass_context
def cli(ctx: click.Context, tracking_uri: str | None) -> None:
    """runlab: track machine learning experiments.

    \b
    Quick start:
      runlab demo
      runlab runs list --experiment demo-wine-quality
    """
    source = ctx.get_parameter_source("tracking_uri")
    ctx.obj = CliState(
        tracking_uri=tracking_uri or None,
        from_command_line=source is click.core.ParameterSource.COMMANDLINE,
    )


cli.add_command(experiments.experiments)
cli.add_command(runs.runs)
cli.add_command(models.models)
models.models.add_command(model_serve.serve)
cli.add_command(gc.gc)
cli.add_command(db.db)
cli.add_command(demo.demo)
cli.add_command(run.run)
cli.add_command(server.server)
cli.add_command(server.ui)
cli.add_command(users.users)
cli.add_command(import_mlflow.import_mlflow)
cli.add_command(transfer.export)
cli.add_command(transfer.import_archive)
cli.add_command(transfer.copy)
cli.add_command(sync.sync)


def main() -> None:
    """Entry point of the ``runlab`` console script."""
    cli(prog_name="runlab")
