"""``runlab gc``: permanently remove runs in the deleted stage, with their artifacts, and
the partial files interrupted uploads left in a local artifacts destination."""

from __future__ import annotations

import os
import re
import time
from typing import TYPE_CHECKING

import click

from runlab.cli import _output as out
from runlab.entities import LifecycleStage, Run
from runlab.errors import ConflictError, InvalidInputError

if TYPE_CHECKING:
    from runlab.store.sql.store import SqlStore

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PART_RE = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")


def parse_duration(text: str) -> float:
    """``30d``, ``12h``, ``90m``, ``0s`` or a combination such as ``1d12h`` → seconds."""
    compact = text.strip().lower().replace(" ", "")
    parts = _PART_RE.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise ValueError(text)
    return sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)


def _older_than(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a duration: use a number and a unit (s, m, h, d, w), "
            "such as 30d, 12h or 0s",
            ctx,
            param,
        ) from None


def _sql_store() -> SqlStore:
    from runlab.store.sql.store import SqlStore

    client = out.client()
    store = client.store
    if not isinstance(store, SqlStore):
        raise InvalidInputError(
            f"runlab gc works on SQL stores (a folder, sqlite:// or postgresql://), not on "
            f"{client.tracking_uri!r}"
        )
    return store


def _runs_to_remove(
    store: SqlStore, run_ids: tuple[str, ...], older_than: float | None
) -> list[Run]:
    cutoff = None if older_than is None else int((time.time() - older_than) * 1000)
    if not run_ids:
        return [store.get_run(run_id) for run_id in store.deleted_run_ids(cutoff)]
    client = out.client()
    chosen = [out.find_run(client, run_id) for run_id in run_ids]
    for run in chosen:
        if run.info.lifecycle_stage != LifecycleStage.DELETED:
            raise ConflictError(
                f"run {run.info.run_id} is not deleted: delete it first with "
                f"`runlab runs delete {run.info.run_id}`, then run gc again"
            )
    if cutoff is not None:
        old_enough = set(store.deleted_run_ids(cutoff))
        chosen = [run for run in chosen if run.info.run_id in old_enough]
    return list({run.info.run_id: run for run in chosen}.values())


def _delete_artifacts(run: Run) -> None:
    from runlab.store.artifacts import LocalArtifactRepository, get_artifact_repository

    repo = get_artifact_repository(run.info.artifact_uri)
    repo.delete_artifacts()
    if isinstance(repo, LocalArtifactRepository):
        # The store lays artifacts out as <experiment>/<run id>/artifacts: drop the
        # run's folder too when nothing else is in it.
        from runlab.store.artifacts.local import local_root

        run_dir = os.path.dirname(local_root(run.info.artifact_uri))
        if os.path.basename(run_dir) == run.info.run_id:
            try:
                os.rmdir(run_dir)
            except OSError:
                pass


def _sweep_partials(destination: str, older_than: float, dry_run: bool) -> None:
    from runlab.store.artifacts._partials import remove_stale_partials
    from runlab.store.artifacts.local import local_root

    root = local_root(destination)  # a local folder or file: URI; others are refused
    if not os.path.isdir(root):
        raise InvalidInputError(f"--artifacts-destination {destination!r} is not a folder")
    swept = remove_stale_partials(root, older_than, dry_run=dry_run)
    verb = "Would remove" if dry_run else "Removed"
    for path in swept.removed:
        click.echo(f"{verb} partial file {path}")
    noun = "file" if len(swept.removed) == 1 else "files"
    recent = f"; kept {swept.recent} written to recently" if swept.recent else ""
    click.echo(
        f"{verb} {len(swept.removed)} partial {noun} of interrupted uploads "
        f"({swept.bytes} bytes){recent}."
    )


@click.command()
@click.option(
    "--older-than",
    callback=_older_than,
    metavar="DURATION",
    help="Only runs deleted at least this long ago, e.g. 30d, 12h, 0s.",
)
@click.option(
    "--run-ids",
    metavar="ID,...",
    help="Only these runs (comma-separated; each must be deleted already).",
)
@click.option(
    "--artifacts-destination",
    metavar="DIR",
    help="Also remove partial files of interrupted uploads from this local folder "
    "(a server's --artifacts-destination).",
)
@click.option(
    "--partial-older-than",
    callback=_older_than,
    default="1h",
    show_default=True,
    metavar="DURATION",
    help="Only partial files not written to for this long: a recent one may be an "
    "upload in progress on another server.",
)
@click.option("--dry-run", is_flag=True, help="Print what would be removed; remove nothing.")
@out.tracking_uri_option
def gc(
    older_than: float | None,
    run_ids: str | None,
    artifacts_destination: str | None,
    partial_older_than: float,
    dry_run: bool,
) -> None:
    """Permanently remove deleted runs: their metadata and their artifacts.

    Without options every run in the deleted stage is removed. This cannot be undone.
    """
    if artifacts_destination is not None:
        _sweep_partials(artifacts_destination, partial_older_than, dry_run)
    store = _sql_store()
    ids = tuple(r.strip() for r in (run_ids or "").split(",") if r.strip())
    if run_ids is not None and not ids:
        raise click.BadParameter("give at least one run id", param_hint="'--run-ids'")
    chosen = _runs_to_remove(store, ids, older_than)
    if not chosen:
        click.echo("No deleted runs to remove.")
        return
    verb = "Would remove" if dry_run else "Removed"
    for run in chosen:
        if not dry_run:
            # Artifacts first: if that fails, the metadata remains and gc can try again.
            _delete_artifacts(run)
            store.purge_run(run.info.run_id)
        click.echo(f"{verb} run {run.info.run_id} ({run.info.run_name}): {run.info.artifact_uri}")
    noun = "run" if len(chosen) == 1 else "runs"
    summary = f"{len(chosen)} deleted {noun}"
    click.echo(f"{summary} would be removed (dry run)." if dry_run else f"{summary} removed.")
