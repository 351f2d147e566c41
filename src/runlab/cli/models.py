"""``runlab models``: the model registry from the command line.

Every command is a subcommand of the :data:`models` group; other modules add theirs
with ``models.add_command(...)`` (or ``@models.command()``) without touching this one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import click

from runlab.cli import _output as out
from runlab.entities import ModelVersion, ModelVersionStage, RegisteredModel, all_pages
from runlab.errors import InvalidInputError

if TYPE_CHECKING:
    from runlab.tracking.client import RunlabClient

PAGE_SIZE = 1000
STAGE_STYLES = {
    ModelVersionStage.PRODUCTION: "green",
    ModelVersionStage.STAGING: "yellow",
    ModelVersionStage.ARCHIVED: "dim",
}
LIST_STAGES = (ModelVersionStage.PRODUCTION, ModelVersionStage.STAGING)  # `models list` shows
STAGE_CHOICE = click.Choice(list(ModelVersionStage.ALL), case_sensitive=False)


@click.group()
def models() -> None:
    """Register, promote and alias model versions."""


# ------------------------------------------------------------------ reading helpers
def all_models(client: RunlabClient, filter_string: str | None) -> list[RegisteredModel]:
    return all_pages(
        lambda token: client.search_registered_models(
            filter_string, max_results=PAGE_SIZE, order_by=["name ASC"], page_token=token
        )
    )


def all_versions(client: RunlabClient, name: str) -> list[ModelVersion]:
    """Every version of model ``name``, newest first (NotFoundError for an unknown model)."""
    from runlab.store.filter import Comparison, render

    client.get_registered_model(name)
    text = render(Comparison("attribute", "name", "=", name))
    return all_pages(
        lambda token: client.search_model_versions(
            text, max_results=PAGE_SIZE, order_by=["version_number DESC"], page_token=token
        )
    )


def stage_text(stage: str) -> str:
    style = STAGE_STYLES.get(stage)
    return f"[{style}]{stage}[/]" if style else stage


def _aliases_text(aliases: dict[str, int]) -> str:
    return ", ".join(f"@{a} → v{v}" for a, v in sorted(aliases.items())) or out.MISSING


def _tags_text(tags: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(tags.items())) or out.MISSING


def version_to_json(mv: ModelVersion) -> dict[str, Any]:
    return asdict(mv)


def model_to_json(model: RegisteredModel) -> dict[str, Any]:
    return asdict(model)


# ------------------------------------------------------------------ list
@models.command("list")
@click.option("--filter", "filter_string", metavar="FILTER", help="e.g. \"name LIKE 'fraud%'\"")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@out.tracking_uri_option
def list_models(filter_string: str | None, as_json: bool) -> None:
    """List registered models: newest version, newest Production and Staging versions,
    aliases."""
    found = all_models(out.client(), filter_string)
    if as_json:
        out.echo_json([model_to_json(m) for m in found])
        return
    con = out.console()
    if not found:
        con.print("No registered models.")
        return
    from rich.table import Table

    table = Table(header_style="bold", title_justify="left")
    table.add_column("name", overflow="fold", style="cyan")
    table.add_column("latest", justify="right", no_wrap=True)
    table.add_column("stages", overflow="fold")
    table.add_column("aliases", overflow="fold")
    table.add_column("updated", no_wrap=True)
    table.add_column("description", overflow="fold")
    for model in found:
        latest = max((v.version for v in model.latest_versions), default=None)
        by_stage = {v.current_stage: v for v in model.latest_versions}
        staged = [by_stage[s] for s in LIST_STAGES if s in by_stage]
        table.add_row(
            out.escape(model.name),
            f"v{latest}" if latest is not None else out.MISSING,
            ", ".join(f"{stage_text(v.current_stage)} v{v.version}" for v in staged) or out.MISSING,
            out.escape(_aliases_text(model.aliases)),
            out.format_time(model.last_updated_timestamp),
            out.escape(model.description or ""),
        )
    con.print(table)


# ------------------------------------------------------------------ show / versions
def versions_table(found: Sequence[ModelVersion], title: str | None = None) -> Any:
    from rich.table import Table

    table = Table(header_style="bold", title=title, title_justify="left")
    table.add_column("version", justify="right", no_wrap=True, style="cyan")
    table.add_column("stage", no_wrap=True)
    table.add_column("aliases", overflow="fold")
    table.add_column("run", no_wrap=True)
    table.add_column("source", overflow="fold")
    table.add_column("created", no_wrap=True)
    table.add_column("tags", overflow="fold")
    table.add_column("description", overflow="fold")
    for mv in found:
        table.add_row(
            f"v{mv.version}",
            stage_text(mv.current_stage),
            out.escape(", ".join(f"@{a}" for a in mv.aliases) or out.MISSING),
            (mv.run_id or out.MISSING)[:8],
            out.escape(mv.source or ""),
            out.format_time(mv.creation_timestamp),
            out.escape(_tags_text(mv.tags)),
            out.escape(mv.description or ""),
        )
    return table


@models.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@out.tracking_uri_option
def show_model(name: str, as_json: bool) -> None:
    """Show model NAME: description, tags, aliases and every version."""
    client = out.client()
    model = client.get_registered_model(name)
    found = all_versions(client, name)
    if as_json:
        data = model_to_json(model)
        data["versions"] = [version_to_json(v) for v in found]
        out.echo_json(data)
        return
    from rich.table import Table

    con = out.console()
    overview = Table.grid(padding=(0, 2))
    overview.add_column(style="bold", no_wrap=True)
    overview.add_column(overflow="fold")
    for label, value in (
        ("name", out.escape(model.name)),
        ("description", out.escape(model.description or out.MISSING)),
        ("created", out.format_time_full(model.creation_timestamp)),
        ("updated", out.format_time_full(model.last_updated_timestamp)),
        ("aliases", out.escape(_aliases_text(model.aliases))),
        ("tags", out.escape(_tags_text(model.tags))),
    ):
        overview.add_row(label, value)
    con.print(overview)
    con.print()
    if found:
        con.print(
            versions_table(found, title=f"{len(found)} version{'s' if len(found) != 1 else ''}")
        )
    else:
        con.print("No versions yet.")


@models.command("versions")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@out.tracking_uri_option
def list_versions(name: str, as_json: bool) -> None:
    """List the versions of model NAME, newest first."""
    found = all_versions(out.client(), name)
    if as_json:
        out.echo_json([version_to_json(v) for v in found])
        return
    con = out.console()
    if not found:
        con.print(f"Model {out.escape(name)!r} has no versions.")
        return
    con.print(versions_table(found))


# ------------------------------------------------------------------ changes
@models.command("transition")
@click.argument("name")
@click.argument("version")
@click.argument("stage", type=STAGE_CHOICE)
@click.option(
    "--archive-existing",
    is_flag=True,
    help="Archive the other versions in STAGE (Staging and Production only).",
)
@out.tracking_uri_option
def transition(name: str, version: str, stage: str, archive_existing: bool) -> None:
    """Move VERSION of model NAME to STAGE (None, Staging, Production or Archived)."""
    mv = out.client().transition_model_version_stage(
        name, version, stage, archive_existing_versions=archive_existing
    )
    click.echo(f"Model {name!r} v{mv.version} is now in {mv.current_stage}.")


@models.command("alias")
@click.argument("name")
@click.argument("alias")
@click.argument("version", required=False)
@click.option("--delete", "delete_alias", is_flag=True, help="Remove ALIAS instead of setting it.")
@out.tracking_uri_option
def alias(name: str, alias: str, version: str | None, delete_alias: bool) -> None:
    """Point ALIAS of model NAME at VERSION (moving it if it is in use), or --delete it."""
    client = out.client()
    if delete_alias:
        if version is not None:
            raise click.UsageError("--delete takes no VERSION")
        client.delete_registered_model_alias(name, alias)
        click.echo(f"Deleted alias @{alias} of model {name!r}.")
        return
    if version is None:
        raise click.UsageError("VERSION is required (or pass --delete)")
    client.set_registered_model_alias(name, alias, version)
    click.echo(f"Model {name!r} @{alias} → v{version}.")


@models.command("delete")
@click.argument("name")
@click.option("--version", "version", metavar="V", help="Delete only this version.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@out.tracking_uri_option
def delete(name: str, version: str | None, yes: bool) -> None:
    """Delete model NAME with all its versions, or only --version V. This cannot be undone;
    the model's files stay where they are."""
    client = out.client()
    if version is not None:
        mv = client.get_model_version(name, version)  # fail before asking
        what = f"version {mv.version} of model {name!r}"
    else:
        count = len(all_versions(client, name))
        what = f"model {name!r} and its {count} version{'s' if count != 1 else ''}"
    if not yes:
        click.confirm(f"Delete {what}?", abort=True, err=True)
    if version is not None:
        client.delete_model_version(name, version)
    else:
        client.delete_registered_model(name)
    click.echo(f"Deleted {what}.")


def parse_tags(values: Sequence[str]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for item in values:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise InvalidInputError(f"tag {item!r}: write tags as KEY=VALUE")
        tags[key.strip()] = value
    return tags


@models.command("register")
@click.argument("model_uri")
@click.argument("name")
@click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE", help="Repeatable.")
@out.tracking_uri_option
def register(model_uri: str, name: str, tags: tuple[str, ...]) -> None:
    """Register MODEL_URI (runs:/<run_id>/<path>, models:/… or an artifact URI) as the
    next version of model NAME, creating the model if needed."""
    client = out.client()
    from runlab.registry._fluent import register_model_with

    mv = register_model_with(client, model_uri, name, parse_tags(tags))
    click.echo(f"Registered model {name!r} v{mv.version} from {mv.source}.")
