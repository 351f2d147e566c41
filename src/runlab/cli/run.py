"""``runlab run URI``: run a project (a folder or a git repository) as one tracked run."""

from __future__ import annotations

import sys

import click

from runlab.cli import _output as out


@click.command("run")
@click.argument("uri")
@click.option(
    "-e",
    "--entry-point",
    default="main",
    show_default=True,
    metavar="NAME",
    help="Entry point of the MLproject, or a .py / .sh file of the project.",
)
@click.option(
    "-P",
    "--param-list",
    "param_list",
    multiple=True,
    metavar="KEY=VALUE",
    help="A parameter of the entry point (repeat the option for each).",
)
@click.option(
    "--experiment-name",
    metavar="NAME",
    envvar="RUNLAB_EXPERIMENT_NAME",
    help="Experiment to run in, created when it does not exist.",
)
@click.option(
    "--experiment-id",
    metavar="ID",
    envvar="RUNLAB_EXPERIMENT_ID",
    help="Experiment to run in, by id.",
)
@click.option("--run-name", metavar="NAME", help="Name of the new run.")
@click.option("--run-id", metavar="ID", help="Run in this existing run instead of a new one.")
@click.option("--version", metavar="REV", help="Git commit, branch or tag to run (git URIs only).")
@click.option(
    "--env-manager",
    type=click.Choice(["local", "virtualenv", "uv", "conda"]),
    help="Environment to run in [default: uv when installed, else virtualenv; "
    "conda for a conda_env when conda is on PATH]",
)
@click.option(
    "--build-only",
    is_flag=True,
    help="Build (or find) the environment and stop; no run is created.",
)
@out.tracking_uri_option
def run(
    uri: str,
    entry_point: str,
    param_list: tuple[str, ...],
    experiment_name: str | None,
    experiment_id: str | None,
    run_name: str | None,
    run_id: str | None,
    version: str | None,
    env_manager: str | None,
    build_only: bool,
) -> None:  # fmt: skip
    """Run ENTRY_POINT of the project at URI in its environment, as one tracked run.

    URI is a folder or a git URL (https://, ssh://, file://), with #subdirectory for a
    project inside the repository. MLflow's MLproject files are read unchanged.

    \b
    Examples:
      runlab run . -e train -P alpha=0.3 -P epochs=5 --experiment-name wine
      runlab run https://example.org/team/wine.git#training --version v1.2
    """
    from runlab.projects import params, runner

    state = out.state()
    if experiment_name and experiment_id:  # a variable gives way to an option
        ctx = click.get_current_context()
        from_env = click.core.ParameterSource.ENVIRONMENT
        if ctx.get_parameter_source("experiment_name") is from_env:
            experiment_name = None
        elif ctx.get_parameter_source("experiment_id") is from_env:
            experiment_id = None
    try:
        submitted = runner.run(
            uri,
            entry_point=entry_point,
            parameters=params.parse_param_list(param_list),
            experiment_name=experiment_name or None,
            experiment_id=experiment_id or None,
            run_name=run_name,
            run_id=run_id,
            version=version,
            env_manager=env_manager,
            build_only=build_only,
            tracking_uri=state.client().tracking_uri,
            output=sys.stderr,
        )
    except KeyboardInterrupt:
        click.echo("runlab: interrupted; the run ended KILLED", err=True)
        raise click.exceptions.Exit(130) from None
    env = submitted.environment
    if submitted.run_id is None:
        where = f" at {env.prefix}" if env is not None and env.prefix else ""
        click.echo(f"environment ready{where}")
    else:
        click.echo(f"run {submitted.run_id} {submitted.get_status()}")
