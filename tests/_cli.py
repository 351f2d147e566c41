"""Running the ``runlab`` command in-process, as the CLI tests do."""

from __future__ import annotations

from click.testing import CliRunner, Result

from runlab.cli import cli


def run_cli(
    tracking: str,
    *args: str,
    env: dict[str, str] | None = None,
    columns: int = 200,
    input: str | None = None,
) -> Result:
    """``runlab --tracking-uri TRACKING ARGS...`` in a terminal ``columns`` wide; an
    exception the command does not handle propagates to the test."""
    runner = CliRunner(env={"COLUMNS": str(columns), **(env or {})})
    return runner.invoke(
        cli, ["--tracking-uri", tracking, *args], input=input, catch_exceptions=False
    )
