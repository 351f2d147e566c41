"""``runlab experiments``: list, create, rename, delete and restore experiments.

Commands that take an experiment accept its id or its name.
"""

from __future__ import annotations

import click

from runlab.cli import _output as out
from runlab.entities import Experiment, LifecycleStage, ViewType, all_pages

VIEW_CHOICE = click.Choice(["active", "deleted", "all"], case_sensitive=False)


def view_type(name: str) -> ViewType:
    return ViewType.parse(name)


@click.group()
def experiments() -> None:
    """List and manage experiments."""


@experiments.command("list")
@click.option("--view", default="active", show_default=True, type=VIEW_CHOICE)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@out.tracking_uri_option
def list_experiments(view: str, as_json: bool) -> None:
    """List experiments."""
    found = all_experiments(view_type(view))
    if as_json:
        out.echo_json([out.experiment_to_json(e) for e in found])
        return
    from rich.table import Table

    table = Table(header_style="bold", title_justify="left")
    table.add_column("id", justify="right", no_wrap=True, style="cyan")
    table.add_column("name", overflow="fold")
    table.add_column("lifecycle", no_wrap=True)
    table.add_column("artifact location", overflow="fold")
    table.add_column("created", no_wrap=True)
    for exp in found:
        stage = exp.lifecycle_stage
        table.add_row(
            exp.experiment_id,
            out.escape(exp.name),
            f"[red]{stage}[/]" if stage == LifecycleStage.DELETED else stage,
            out.escape(exp.artifact_location),
            out.format_time(exp.creation_time),
        )
    con = out.console()
    if not found:
        con.print(f"No {view} experiments.")
        return
    con.print(table)


def all_experiments(view: ViewType) -> list[Experiment]:
    client = out.client()
    return all_pages(
        lambda token: client.search_experiments(
            view, max_results=1000, order_by=["experiment_id ASC"], page_token=token
        )
    )


def _parse_tags(values: tuple[str, ...]) -> dict[str, str]:
    tags = {}
    for item in values:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise click.BadParameter(f"{item!r}: write tags as KEY=VALUE", param_hint="'--tag'")
        tags[key.strip()] = value
    return tags


@experiments.command("create")
@click.argument("name")
@click.option("--artifact-location", metavar="URI", help="Where the runs' artifacts go.")
@click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE", help="Repeatable.")
@out.tracking_uri_option
def create_experiment(name: str, artifact_location: str | None, tags: tuple[str, ...]) -> None:
    """Create experiment NAME and print its id."""
    tag_map = _parse_tags(tags)
    experiment_id = out.client().create_experiment(name, artifact_location, tag_map)
    click.echo(experiment_id)


@experiments.command("rename")
@click.argument("experiment")
@click.argument("new_name")
@out.tracking_uri_option
def rename_experiment(experiment: str, new_name: str) -> None:
    """Rename EXPERIMENT (an id or a name) to NEW_NAME."""
    client = out.client()
    exp = out.find_experiment(client, experiment)
    client.rename_experiment(exp.experiment_id, new_name)
    click.echo(f"Renamed experiment {exp.experiment_id} from {exp.name!r} to {new_name!r}.")


@experiments.command("delete")
@click.argument("experiment")
@out.tracking_uri_option
def delete_experiment(experiment: str) -> None:
    """Move EXPERIMENT (an id or a name) and its runs to the deleted stage.

    `runlab experiments restore` brings them back; `runlab gc` removes the runs for good.
    """
    client = out.client()
    exp = out.find_experiment(client, experiment)
    client.delete_experiment(exp.experiment_id)
    click.echo(f"Deleted experiment {exp.experiment_id} ({exp.name!r}) and its runs.")


@experiments.command("restore")
@click.argument("experiment")
@out.tracking_uri_option
def restore_experiment(experiment: str) -> None:
    """Bring back deleted EXPERIMENT (an id or a name) with the runs deleted with it."""
    client = out.client()
    exp = out.find_experiment(client, experiment)
    client.restore_experiment(exp.experiment_id)
    click.echo(f"Restored experiment {exp.experiment_id} ({exp.name!r}).")
