"""``runlab sync``: send the journals that ended processes left behind to their servers.

A journal is sent only when its lock can be taken: its process has ended (however it
ended), and no other ``runlab sync`` is sending it. Writes go in the order they were made
and each is deleted once the server acknowledges it, so an interrupted sync resumes
where it stopped, and a write sent twice is stored once (see
:mod:`runlab.store.rest._sender`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from runlab.errors import RunlabError, StorageError

if TYPE_CHECKING:
    from rich.console import Console

    from runlab.store.rest.journal import Journal

__all__ = ["sync"]


@dataclass
class RunSummary:
    points: int = 0
    params: int = 0
    tags: int = 0
    inputs: int = 0
    artifacts: int = 0
    status: str = ""
    refused: int = 0


@dataclass
class JournalResult:
    path: Path
    tracking_uri: str
    sent: int
    left: int
    runs: dict[str, RunSummary]
    error: str | None = None


@click.command()
@click.argument("journal_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--from",
    "from_uri",
    metavar="PATH",
    help="A store logged offline (a folder or tracking URI) to upload whole, instead of journals.",
)
@click.option(
    "--to", "to", metavar="URI", help="Where --from uploads to [default: the current tracking URI]."
)
@click.option(
    "--experiments",
    "-e",
    "experiments",
    multiple=True,
    metavar="NAMES",
    help="With --from: experiment names, ids or globs.",
)
@click.option("--quiet", "-q", is_flag=True, help="With --from: no progress bars.")
def sync(
    journal_dir: Path | None,
    from_uri: str | None,
    to: str | None,
    experiments: tuple[str, ...],
    quiet: bool,
) -> None:
    """Send the journals of ended processes to their tracking servers, or (--from) upload
    runs logged offline.

    JOURNAL_DIR defaults to RUNLAB_JOURNAL_DIR, else runlab/journal in the user's cache
    folder. Journals of processes still running are left to them. Safe to run again, or
    in several shells at once.

    With --from, every run of the offline store goes to --to with its id, times, full
    metric history, artifacts and parent run; a second sync skips what is already there.
    """
    if from_uri is not None:
        if journal_dir is not None:
            raise click.UsageError("give either JOURNAL_DIR or --from, not both")
        _upload(from_uri, to, experiments, quiet)
        return
    if to is not None or experiments:
        raise click.UsageError("--to and --experiments go with --from")
    from rich.console import Console

    from runlab.store.rest.journal import SUFFIX, Journal
    from runlab.store.rest.journal import journal_dir as default_dir

    folder = journal_dir or default_dir()
    console = Console(stderr=True)
    paths = sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []
    results: list[JournalResult] = []
    busy = 0
    for path in paths:
        journal = Journal.claim(path)
        if journal is None:
            busy += 1
            continue
        try:
            results.append(_send(journal, console))
        finally:
            journal.close()
    _report(console, folder, results, busy)
    if any(r.left for r in results):
        raise SystemExit(1)


def _send(journal: Journal, console: Console) -> JournalResult:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from runlab.store.rest._sender import send_entry
    from runlab.store.rest._stash import Uploader
    from runlab.store.rest.store import RestStore

    count, _ = journal.waiting()
    result = JournalResult(journal.path, "", 0, count, defaultdict(RunSummary))
    if not count:
        return result
    try:
        result.tracking_uri = journal.tracking_uri
        store = RestStore(result.tracking_uri)
        uploader = Uploader(store, quiet=False)
    except RunlabError as exc:
        result.error = exc.message
        return result
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"{journal.path.name} → {result.tracking_uri}", total=count)
        while entries := journal.head(100):
            for entry in entries:
                summary = result.runs[entry.run_id]
                try:
                    send_entry(store, entry, journal, uploader)
                except StorageError as exc:  # unreachable past the retry budget: stop here
                    result.error = exc.message
                    result.left = journal.waiting()[0]
                    return result
                except RunlabError as exc:  # refused: sending it again cannot help
                    summary.refused += 1
                    console.print(f"[red]refused[/] a write to run {entry.run_id}: {exc}")
                else:
                    _count(summary, entry.kind, entry.body)
                journal.remove(entry)
                result.sent += 1
                progress.advance(task)
    result.left = 0
    return result


def _count(summary: RunSummary, kind: str, body: dict[str, object]) -> None:
    def size(field: str) -> int:
        items = body.get(field)
        return len(items) if isinstance(items, list) else 0

    if kind == "batch":
        summary.points += size("metrics")
        summary.params += size("params")
        summary.tags += size("tags")
    elif kind == "inputs":
        summary.inputs += size("datasets")
    elif kind == "artifacts":
        summary.artifacts += size("files")
    elif kind == "update":
        summary.status = str(body.get("status") or summary.status)


def _report(console: Console, folder: Path, results: list[JournalResult], busy: int) -> None:
    from rich.console import Console
    from rich.table import Table

    out = Console()
    rows = [(r, run, s) for r in results for run, s in r.runs.items()]
    if rows:
        table = Table(title="sent")
        columns = ("server", "run", "points", "params", "tags", "inputs", "artifacts")
        for name in (*columns, "ended", "refused"):
            if name == "run":
                table.add_column(name, no_wrap=True, min_width=32)  # ids are never cut
            else:
                table.add_column(name, justify="left" if name == "server" else "right")
        for r, run_id, s in rows:
            numbers = (s.points, s.params, s.tags, s.inputs, s.artifacts)
            table.add_row(
                r.tracking_uri, run_id, *map(str, numbers), s.status or "—", str(s.refused)
            )
        out.print(table)
    sent = sum(r.sent for r in results)
    out.print(f"{sent} writes sent from {len(results)} journals in {folder}")
    if busy:
        out.print(f"{busy} journals skipped: their process is running, or another sync has them")
    for r in results:
        if r.error:
            console.print(
                f"[red]{r.path.name}[/]: {r.left} writes left ({r.error}); run `runlab sync` "
                "again when the server answers"
            )


def _upload(from_uri: str, to: str | None, experiments: tuple[str, ...], quiet: bool) -> None:
    """``runlab copy --from … --to …`` with its defaults: the same import, ids kept."""
    from runlab.cli import _migrate
    from runlab.migrate import open_runlab_source

    options = {
        "to": to, "experiments": experiments, "since": None, "runs_only": False,
        "registry_only": False, "verify_only": False, "no_verify": False,
        "mapping": "runlab-id-map.json", "quiet": quiet,
    }  # fmt: skip
    _migrate.run(open_runlab_source(from_uri), options)
