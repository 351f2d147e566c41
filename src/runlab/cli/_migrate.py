"""What ``import-mlflow``, ``import`` and ``copy`` share: the options that choose what
to bring, running the import with progress bars, and the closing report."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from runlab.cli import _output as out

if TYPE_CHECKING:
    from runlab.migrate import Options, Source

F = TypeVar("F", bound=Callable[..., Any])


def choice_options(command: F) -> F:
    """--to, --experiments, --since, --runs-only, --registry-only, --verify-only, ..."""
    for option in reversed(
        [
            click.option("--to", "to", metavar="URI",
                         help="Tracking URI to import into [default: the current one]"),
            click.option("--experiments", "-e", "experiments", multiple=True, metavar="NAMES",
                         help="Experiment names, ids or globs (comma-separated or repeated)"),
            click.option("--since", metavar="WHEN",
                         help="Only runs started or ended since: 2024-01-31, or 7d, 12h"),
            click.option("--runs-only", is_flag=True, help="Leave the model registry out."),
            click.option("--registry-only", is_flag=True, help="Import registered models only."),
            click.option("--verify-only", is_flag=True,
                         help="Import nothing; compare the source with runlab."),
            click.option("--no-verify", is_flag=True, help="Skip the verification report."),
            click.option("--mapping", metavar="FILE", default="runlab-id-map.json",
                         show_default=True, help="Where ids that could not be kept are listed."),
            click.option("--quiet", "-q", is_flag=True, help="No progress bars."),
        ]
    ):  # fmt: skip
        command = option(command)
    return command


def options_from(kwargs: dict[str, Any]) -> Options:
    from runlab.migrate import Options, parse_since

    names = tuple(p.strip() for item in kwargs["experiments"] for p in item.split(",") if p.strip())
    since = parse_since(kwargs["since"]) if kwargs["since"] else None
    return Options(names, since, kwargs["runs_only"], kwargs["registry_only"])


def run(source: Source, kwargs: dict[str, Any]) -> None:
    """Import from ``source`` as the options say, print the report; exit 1 on differences."""
    from runlab.migrate import IdMap, Target, import_all
    from runlab.migrate.progress import BarProgress, Progress
    from runlab.migrate.verify import render, verify

    options = options_from(kwargs)
    target = Target.open(kwargs["to"] or out.state().tracking_uri)
    ids = IdMap.load(kwargs["mapping"])
    try:
        if not kwargs["verify_only"]:
            progress = Progress() if kwargs["quiet"] else BarProgress()
            with progress:
                report = import_all(source, target, options, ids=ids, progress=progress)
            click.echo(
                f"Imported from {source.description} into {target.uri}: "
                f"{report.experiments} experiments, {report.runs_imported} runs "
                f"({report.runs_skipped} already there), {report.metric_points:,} metric points, "
                f"{report.artifact_files} artifact files ({report.artifact_bytes:,} bytes), "
                f"{report.logged_models} logged models, {report.registered_models} registered "
                f"models ({report.model_versions} new versions)."
            )
            for warning in report.warnings:
                click.echo(f"warning: {warning}", err=True)
            if ids.changed():
                click.echo(f"Some ids could not be kept; {ids.path} says what became what.")
        if kwargs["no_verify"] or options.registry_only:
            return
        checks = verify(source, target.as_source(), options, ids)
        for line in render(checks):
            click.echo(line)
        if not all(c.ok for c in checks):
            raise click.ClickException("the source and runlab differ (listed above)")
    finally:
        source.close()
        target.close()
