"""``runlab export``, ``runlab import`` and ``runlab copy``: moving runlab data between
tracking URIs, directly or through a portable archive."""

from __future__ import annotations

from typing import Any

import click

from runlab.cli import _migrate
from runlab.cli import _output as out


@click.command("export")
@click.option(
    "--experiment",
    "-e",
    "experiments",
    multiple=True,
    metavar="NAME",
    help="Experiment names, ids or globs (repeat, or comma-separate) [default: all]",
)
@click.option(
    "--run", "run_ids", multiple=True, metavar="RUN_ID", help="Only these runs (repeat for more)."
)
@click.option(
    "--output",
    "-o",
    required=True,
    metavar="PATH",
    help="X.runlab.tar.zst, X.tar.gz, or a new folder.",
)
@click.option("--runs-only", is_flag=True, help="Leave the model registry out.")
@out.tracking_uri_option
def export(experiments: tuple[str, ...], run_ids: tuple[str, ...], output: str,
           runs_only: bool) -> None:  # fmt: skip
    """Write experiments, runs, models and artifacts to a portable archive."""
    from runlab.migrate import Options, open_runlab_source
    from runlab.migrate.archive import write_archive
    from runlab.migrate.settings import MigrateSettings

    names = tuple(p.strip() for item in experiments for p in item.split(",") if p.strip())
    source = open_runlab_source(out.state().tracking_uri)
    try:
        counts = write_archive(
            source, output, Options(names, runs_only=runs_only), set(run_ids) or None,
            MigrateSettings.from_env().workers,
        )  # fmt: skip
    finally:
        source.close()
    click.echo(
        f"Wrote {output}: {counts['experiments']} experiments, {counts['runs']} runs, "
        f"{counts['metric_points']:,} metric points, {counts['artifact_files']} artifact files "
        f"({counts['artifact_bytes']:,} bytes), {counts['logged_models']} logged models, "
        f"{counts['registered_models']} registered models."
    )


@click.command("import")
@click.argument("archive", metavar="ARCHIVE")
@_migrate.choice_options
def import_archive(archive: str, **kwargs: Any) -> None:
    """Import a runlab archive (made by runlab export) into the tracking URI."""
    from runlab.migrate.sources.archive import ArchiveSource

    _migrate.run(ArchiveSource(archive), kwargs)


@click.command("copy")
@click.option("--from", "from_uri", required=True, metavar="URI", help="Tracking URI to copy from.")
@click.option(
    "--experiment", "copy_experiments", multiple=True, metavar="NAME", help="Same as --experiments."
)
@_migrate.choice_options
def copy(from_uri: str, copy_experiments: tuple[str, ...], **kwargs: Any) -> None:
    """Copy experiments, runs, models and artifacts between runlab tracking URIs, keeping
    ids (a server numbers experiments itself; the mapping file lists them)."""
    from runlab.migrate import open_runlab_source

    kwargs["experiments"] = tuple(kwargs["experiments"]) + copy_experiments
    _migrate.run(open_runlab_source(from_uri), kwargs)
