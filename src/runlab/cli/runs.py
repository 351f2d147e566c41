"""``runlab runs``: list, show, diff, delete and restore runs.

Run ids may be shortened to any unambiguous prefix of at least 4 characters, such as
the 8 characters the tables show.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from runlab.cli import _output as out
from runlab.cli.experiments import VIEW_CHOICE, all_experiments, view_type
from runlab.entities import LifecycleStage, Run, ViewType
from runlab.errors import RunlabError

if TYPE_CHECKING:
    from rich.console import Console

    from runlab.tracking.client import RunlabClient

DEFAULT_MAX_RESULTS = 50
PAGE_SIZE = 1000
PARENT_TAG = "mlflow.parentRunId"
SOURCE_TAGS = {
    "mlflow.source.name": "source",
    "mlflow.source.type": "source type",
    "mlflow.source.git.commit": "git commit",
    "mlflow.source.git.branch": "git branch",
    "mlflow.source.git.repoURL": "git repo",
    "runlab.source.git.dirty": "git dirty",
}
# Tags shown as overview rows (or as the run's name) rather than in the tag lists.
OVERVIEW_TAGS = {"mlflow.runName", "mlflow.user", PARENT_TAG, "mlflow.note.content", *SOURCE_TAGS}


@click.group()
def runs() -> None:
    """List, inspect and compare runs."""


# ====================================================================== list
def search_runs(
    client: RunlabClient,
    experiment_ids: list[str],
    filter_string: str | None,
    view: ViewType,
    max_results: int,
    order_by: Sequence[str],
) -> tuple[list[Run], bool]:
    """Up to ``max_results`` runs, paging as needed; also whether more matched."""
    found: list[Run] = []
    token: str | None = None
    while len(found) < max_results:
        page = client.search_runs(
            experiment_ids,
            filter_string or "",
            view,
            min(PAGE_SIZE, max_results - len(found)),
            list(order_by) or None,
            token,
        )
        found.extend(page)
        token = page.token
        if not token:
            return found, False
    return found, token is not None


def _experiment_ids(client: RunlabClient, experiments: Sequence[str], view: ViewType) -> list[str]:
    if experiments:
        return [out.find_experiment(client, e).experiment_id for e in experiments]
    # Runs of deleted experiments are deleted too: show them when deleted runs are wanted.
    stages = ViewType.ACTIVE_ONLY if view is ViewType.ACTIVE_ONLY else ViewType.ALL
    return [e.experiment_id for e in all_experiments(stages)]


@runs.command("list")
@click.option(
    "--experiment",
    "-e",
    "experiments",
    multiple=True,
    metavar="NAME_OR_ID",
    help="Repeatable. [default: every active experiment]",
)
@click.option(
    "--filter",
    "-f",
    "filter_string",
    metavar="FILTER",
    help="""e.g. "metrics.val_loss < 0.5 AND params.model_type = 'gbm'".""",
)
@click.option(
    "--order-by",
    "-o",
    multiple=True,
    metavar="CLAUSE",
    help='Repeatable, e.g. "metrics.val_loss ASC". [default: newest first]',
)
@click.option(
    "--max-results",
    "-n",
    default=DEFAULT_MAX_RESULTS,
    show_default=True,
    type=click.IntRange(min=1),
)
@click.option("--view", default="active", show_default=True, type=VIEW_CHOICE)
@click.option(
    "--columns",
    "-c",
    multiple=True,
    metavar="COLS",
    help="Columns to show, e.g. params.lr,metrics.val_loss. [default: chosen from the runs]",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@out.tracking_uri_option
def list_runs(
    experiments: tuple[str, ...],
    filter_string: str | None,
    order_by: tuple[str, ...],
    max_results: int,
    view: str,
    columns: tuple[str, ...],
    as_json: bool,
) -> None:
    """List runs as a table (or as JSON)."""
    chosen = out.parse_columns(columns) if columns else None
    client = out.client()
    vt = view_type(view)
    ids = _experiment_ids(client, experiments, vt)
    found, more = search_runs(client, ids, filter_string, vt, max_results, order_by)
    if as_json:
        out.echo_json([out.run_to_json(r) for r in found])
        return
    show_runs_table(found, chosen, order_by, more=more, experiments=experiments)


def show_runs_table(
    found: Sequence[Run],
    columns: Sequence[out.Column] | None,
    order_by: Sequence[str],
    more: bool = False,
    experiments: Sequence[str] = (),
    con: Console | None = None,
) -> None:
    con = con or out.console()
    if not found:
        con.print("No runs found.")
        return
    where = f" in {', '.join(experiments)}" if experiments else ""
    title = f"{len(found)} run{'s' if len(found) != 1 else ''}{out.escape(where)}"
    con.print(out.runs_table(found, columns, order_by, title=title, width=con.width))
    if more:
        con.print(
            f"[dim]More runs match: showing the first {len(found)} "
            "(raise --max-results or narrow --filter).[/]"
        )


# ====================================================================== show
def _artifacts(client: RunlabClient, run_id: str) -> list[Any] | str:
    """Top-level artifact entries, or a note saying why they could not be listed."""
    try:
        return client.list_artifacts(run_id)
    # A missing optional backend (such as S3) or unreachable storage must not hide the
    # run's metadata.
    except (ImportError, OSError, RunlabError) as exc:
        return f"cannot list artifacts: {exc}"


def _format_size(size: int | None) -> str:
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return ""


def run_show_json(client: RunlabClient, run: Run) -> dict[str, Any]:
    data = out.run_to_json(run)
    data["inputs"] = run.to_dictionary()["inputs"]
    artifacts = _artifacts(client, run.info.run_id)
    data["artifacts"] = (
        [{"path": a.path, "is_dir": a.is_dir, "file_size": a.file_size} for a in artifacts]
        if isinstance(artifacts, list)
        else None
    )
    return data


@runs.command("show")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@out.tracking_uri_option
def show_run(run_id: str, as_json: bool) -> None:
    """Show everything about one run."""
    client = out.client()
    run = out.find_run(client, run_id)
    if as_json:
        out.echo_json(run_show_json(client, run))
        return
    from rich.table import Table

    con = out.console()
    info, tags = run.info, run.data.tags
    try:
        exp = client.get_experiment(info.experiment_id)
        exp_text = f"{out.escape(exp.name)} [dim](id {exp.experiment_id})[/]"
    except RunlabError:
        exp_text = info.experiment_id

    overview = Table.grid(padding=(0, 2))
    overview.add_column(style="bold", no_wrap=True)
    overview.add_column(overflow="fold")
    rows: list[tuple[str, str]] = [
        ("name", out.escape(info.run_name)),
        ("id", info.run_id),
        ("experiment", exp_text),
        ("status", out.status_text(info.status)),
        ("started", out.format_time_full(info.start_time)),
        ("ended", out.format_time_full(info.end_time)),
        ("duration", out.run_duration(run)),
        ("user", out.escape(info.user_id)),
    ]
    if info.lifecycle_stage != LifecycleStage.ACTIVE:
        rows.append(("lifecycle", f"[red]{info.lifecycle_stage}[/]"))
    for key, label in SOURCE_TAGS.items():
        if key in tags:
            rows.append((label, out.escape(tags[key])))
    if PARENT_TAG in tags:
        rows.append(("parent run", tags[PARENT_TAG]))
    if tags.get("mlflow.note.content"):
        rows.append(("description", out.escape(tags["mlflow.note.content"])))
    rows.append(("artifact uri", out.escape(info.artifact_uri)))
    for label, value in rows:
        overview.add_row(label, value)
    con.print(overview)

    def key_values(title: str, items: dict[str, str]) -> None:
        con.print()
        if not items:
            con.print(f"[bold]{title}[/] [dim]none[/]")
            return
        table = Table(title=title, title_justify="left", title_style="bold", show_header=False)
        table.add_column(style="cyan", overflow="fold")
        table.add_column(overflow="fold")
        for key in sorted(items):
            table.add_row(out.escape(key), out.escape(items[key]))
        con.print(table)

    key_values("Parameters", run.data.params)

    con.print()
    if run.data.metrics:
        metrics = Table(title="Metrics (latest)", title_justify="left", title_style="bold")
        metrics.add_column("key", style="cyan", overflow="fold")
        metrics.add_column("value", justify="right")
        metrics.add_column("step", justify="right")
        metrics.add_column("logged", no_wrap=True)
        objs = {m.key: m for m in run.data.metric_objs}
        for key in sorted(run.data.metrics):
            m = objs.get(key)
            metrics.add_row(
                out.escape(key),
                out.format_number(run.data.metrics[key]),
                str(m.step) if m else "",
                out.format_time_full(m.timestamp) if m else "",
            )
        con.print(metrics)
    else:
        con.print("[bold]Metrics[/] [dim]none[/]")

    shown = {k: v for k, v in tags.items() if k not in OVERVIEW_TAGS}
    key_values("Tags", {k: v for k, v in shown.items() if not out.is_system_tag(k)})
    key_values("System tags", {k: v for k, v in shown.items() if out.is_system_tag(k)})

    con.print()
    inputs = run.inputs.dataset_inputs
    if inputs:
        ds_table = Table(title="Datasets", title_justify="left", title_style="bold")
        for col in ("name", "digest", "context", "source type", "source"):
            ds_table.add_column(col, overflow="fold")
        for item in inputs:
            ds = item.dataset
            ds_table.add_row(
                out.escape(ds.name),
                ds.digest,
                out.escape(item.context or ""),
                out.escape(ds.source_type),
                out.escape(ds.source),
            )
        con.print(ds_table)
    else:
        con.print("[bold]Datasets[/] [dim]none[/]")

    con.print()
    artifacts = _artifacts(client, info.run_id)
    if isinstance(artifacts, str):
        con.print(f"[bold]Artifacts[/] [yellow]{out.escape(artifacts)}[/]")
    elif artifacts:
        art_table = Table(title="Artifacts", title_justify="left", title_style="bold")
        art_table.add_column("path", overflow="fold")
        art_table.add_column("size", justify="right", no_wrap=True)
        for entry in artifacts:
            path = entry.path + ("/" if entry.is_dir else "")
            art_table.add_row(out.escape(path), _format_size(entry.file_size))
        con.print(art_table)
    else:
        con.print("[bold]Artifacts[/] [dim]none[/]")


# ====================================================================== diff
def _delta(a: float | None, b: float | None) -> str:
    if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
        return ""
    diff = b - a
    if diff == 0:
        return "0"
    text = f"{diff:+.4g}"
    if a != 0:
        text += f" ({diff / abs(a):+.1%})"
    return text


DiffRow = tuple[str, str, str, str, "bool | None"]


def _diff_rows(a: Run, b: Run) -> list[DiffRow]:
    """(key, value in A, value in B, delta, differs), grouped by section; ``differs`` is
    None for rows that are context, not compared (start time and duration)."""
    rows: list[DiffRow] = []

    def shown(value: str | None) -> str:
        return value if value is not None else out.MISSING

    def add(key: str, va: str | None, vb: str | None) -> None:
        rows.append((key, shown(va), shown(vb), "", va != vb))

    rows.append(
        (
            "started",
            out.format_time(a.info.start_time),
            out.format_time(b.info.start_time),
            "",
            None,
        )
    )
    rows.append(("duration", out.run_duration(a), out.run_duration(b), "", None))
    add("status", a.info.status, b.info.status)
    add("experiment", a.info.experiment_id, b.info.experiment_id)
    add("user", a.info.user_id, b.info.user_id)
    for key, label in SOURCE_TAGS.items():
        va, vb = a.data.tags.get(key), b.data.tags.get(key)
        if va is not None or vb is not None:
            add(label, va, vb)
    add("parent run", a.data.tags.get(PARENT_TAG), b.data.tags.get(PARENT_TAG))
    for key in sorted(a.data.params.keys() | b.data.params.keys()):
        add(f"params.{key}", a.data.params.get(key), b.data.params.get(key))
    for key in sorted(a.data.metrics.keys() | b.data.metrics.keys()):
        ma, mb = a.data.metrics.get(key), b.data.metrics.get(key)
        same = ma == mb or (ma is not None and mb is not None and math.isnan(ma) and math.isnan(mb))
        rows.append(
            (
                f"metrics.{key}",
                out.format_number(ma),
                out.format_number(mb),
                _delta(ma, mb),
                not same,
            )
        )
    tag_keys = (a.data.tags.keys() | b.data.tags.keys()) - OVERVIEW_TAGS
    for key in sorted(tag_keys, key=lambda k: (out.is_system_tag(k), k)):
        add(f"tags.{key}", a.data.tags.get(key), b.data.tags.get(key))
    return rows


@runs.command("diff")
@click.argument("run_a")
@click.argument("run_b")
@click.option("--all", "show_all", is_flag=True, help="Show equal rows too.")
@out.tracking_uri_option
def diff_runs(run_a: str, run_b: str, show_all: bool) -> None:
    """Compare two runs: params, metrics (with the change from A to B), tags and source.

    Rows that differ are marked with ≠; equal rows are hidden unless --all is given.
    """
    from rich.table import Table

    client = out.client()
    a, b = out.find_run(client, run_a), out.find_run(client, run_b)
    rows = _diff_rows(a, b)
    differing = sum(1 for *_, differs in rows if differs)
    con = out.console()
    table = Table(header_style="bold", title_justify="left")
    table.add_column("", no_wrap=True, width=1)
    table.add_column("", overflow="fold", style="cyan")
    table.add_column(
        f"A: {out.escape(a.info.run_name)}\n[dim]{a.info.run_id[:8]}[/]", overflow="fold"
    )
    table.add_column(
        f"B: {out.escape(b.info.run_name)}\n[dim]{b.info.run_id[:8]}[/]", overflow="fold"
    )
    table.add_column("Δ (B − A)", justify="right", no_wrap=True)
    section = ""
    shown = 0
    for key, va, vb, delta, differs in rows:
        if differs is False and not show_all:
            continue
        this_section = key.split(".", 1)[0] if "." in key else "run"
        if section and this_section != section:
            table.add_section()
        section = this_section
        style = "yellow" if differs else None
        table.add_row(
            "[bold yellow]≠[/]" if differs else "",
            out.escape(key),
            out.escape(va),
            out.escape(vb),
            delta,
            style=style,
        )
        shown += differs is not None
    if shown:
        con.print(table)
    if differing:
        hidden = "" if show_all else " (equal rows hidden; --all shows them)"
        rows_differ = "1 row differs" if differing == 1 else f"{differing} rows differ"
        con.print(f"{rows_differ}{hidden}.")
    else:
        con.print("The runs have the same status, source, params, metrics and tags.")


# ====================================================================== delete / restore
@runs.command("delete")
@click.argument("run_ids", nargs=-1, required=True)
@out.tracking_uri_option
def delete_runs(run_ids: tuple[str, ...]) -> None:
    """Move runs to the deleted stage (`runlab gc` removes them for good)."""
    client = out.client()
    found = [out.find_run(client, r) for r in run_ids]
    for run in found:
        client.delete_run(run.info.run_id)
        click.echo(f"Deleted run {run.info.run_id} ({run.info.run_name}).")


@runs.command("restore")
@click.argument("run_ids", nargs=-1, required=True)
@out.tracking_uri_option
def restore_runs(run_ids: tuple[str, ...]) -> None:
    """Bring deleted runs back."""
    client = out.client()
    found = [out.find_run(client, r) for r in run_ids]
    for run in found:
        client.restore_run(run.info.run_id)
        click.echo(f"Restored run {run.info.run_id} ({run.info.run_name}).")
