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


def assert_one_line_error(result: Result, *fragments: str, exit_code: int = 1) -> None:
    """The command failed with ``exit_code`` and one ``Error: ...`` line naming each of
    ``fragments``, not a traceback."""
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("Error: ")
    for fragment in fragments:
        assert fragment in result.stderr
