"""`runlab models ...` against a real store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests._cli import assert_one_line_error, run_cli

import runlab
from runlab.cli import cli


@pytest.fixture
def tracking(tmp_path: Path) -> str:
    return str(tmp_path / "store")


@pytest.fixture
def filled(tracking: str) -> runlab.RunlabClient:
    client = runlab.RunlabClient(tracking)
    client.create_registered_model("fraud", tags={"team": "risk"}, description="catches fraud")
    for n in range(3):
        client.create_model_version("fraud", f"file:///m/fraud/{n + 1}", tags={"n": str(n + 1)})
    client.transition_model_version_stage("fraud", 2, "Production")
    client.set_registered_model_alias("fraud", "champion", 2)
    client.create_registered_model("churn")
    return client


def test_models_group_is_listed_in_help() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert "models" in result.stdout
    sub = CliRunner().invoke(cli, ["models", "--help"])
    for command in ("list", "show", "versions", "transition", "alias", "delete", "register"):
        assert command in sub.stdout


def test_list(tracking: str, filled: runlab.RunlabClient) -> None:
    result = run_cli(tracking, "models", "list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    fraud = next(line for line in lines if "fraud" in line)
    assert "v3" in fraud
    assert "Production v2" in fraud
    assert "@champion → v2" in fraud
    assert any("churn" in line for line in lines)

    as_json = json.loads(run_cli(tracking, "models", "list", "--json").stdout)
    assert [m["name"] for m in as_json] == ["churn", "fraud"]
    filtered = json.loads(
        run_cli(tracking, "models", "list", "--filter", "name = 'churn'", "--json").stdout
    )
    assert [m["name"] for m in filtered] == ["churn"]


def test_list_empty(tracking: str) -> None:
    assert "No registered models." in run_cli(tracking, "models", "list").stdout


def test_show_and_versions(tracking: str, filled: runlab.RunlabClient) -> None:
    shown = run_cli(tracking, "models", "show", "fraud")
    assert shown.exit_code == 0, shown.output
    for fragment in (
        "catches fraud",
        "team=risk",
        "@champion → v2",
        "3 versions",
        "Production",
        "file:///m/fraud/1",
        "n=3",
    ):
        assert fragment in shown.stdout, fragment

    data = json.loads(run_cli(tracking, "models", "show", "fraud", "--json").stdout)
    assert data["aliases"] == {"champion": 2}
    assert [v["version"] for v in data["versions"]] == [3, 2, 1]
    assert data["versions"][1]["current_stage"] == "Production"

    listed = json.loads(run_cli(tracking, "models", "versions", "fraud", "--json").stdout)
    assert [(v["version"], v["aliases"]) for v in listed] == [(3, []), (2, ["champion"]), (1, [])]
    assert "has no versions" in run_cli(tracking, "models", "versions", "churn").stdout


def test_transition(tracking: str, filled: runlab.RunlabClient) -> None:
    result = run_cli(
        tracking, "models", "transition", "fraud", "3", "production", "--archive-existing"
    )
    assert result.exit_code == 0, result.output
    assert "v3 is now in Production" in result.stdout
    assert filled.get_model_version("fraud", 2).current_stage == "Archived"
    bad = run_cli(tracking, "models", "transition", "fraud", "3", "prod")
    assert bad.exit_code == 2
    assert "'prod' is not one of" in bad.stderr


def test_alias_set_move_delete(tracking: str, filled: runlab.RunlabClient) -> None:
    assert run_cli(tracking, "models", "alias", "fraud", "champion", "3").exit_code == 0
    assert filled.get_model_version_by_alias("fraud", "champion").version == 3
    deleted = run_cli(tracking, "models", "alias", "--delete", "fraud", "champion")
    assert deleted.exit_code == 0, deleted.output
    assert filled.get_registered_model("fraud").aliases == {}
    assert_one_line_error(run_cli(tracking, "models", "alias", "fraud", "latest", "1"), "reserved")
    assert_one_line_error(
        run_cli(tracking, "models", "alias", "fraud", "x"), "VERSION is required", exit_code=2
    )


def test_delete_version_and_model(tracking: str, filled: runlab.RunlabClient) -> None:
    aborted = run_cli(tracking, "models", "delete", "fraud", "--version", "1", input="n\n")
    assert aborted.exit_code == 1
    assert filled.get_model_version("fraud", 1).version == 1

    done = run_cli(tracking, "models", "delete", "fraud", "--version", "1", input="y\n")
    assert done.exit_code == 0, done.output
    assert "Deleted version 1 of model 'fraud'" in done.stdout
    gone = run_cli(tracking, "models", "delete", "fraud", "--yes")
    assert "Deleted model 'fraud' and its 2 versions." in gone.stdout
    assert [m.name for m in filled.search_registered_models()] == ["churn"]


def test_register(tracking: str, filled: runlab.RunlabClient) -> None:
    result = run_cli(tracking, "models", "register", "s3://b/model", "new-model", "--tag", "k=v")
    assert result.exit_code == 0, result.output
    assert "Registered model 'new-model' v1 from s3://b/model." in result.stdout
    assert filled.get_model_version("new-model", 1).tags == {"k": "v"}


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("show", "ghost"), "registered model 'ghost' not found"),
        (("versions", "ghost"), "registered model 'ghost' not found"),
        (
            ("transition", "fraud", "9", "Staging"),
            "model version 9 of registered model 'fraud' not found",
        ),
        (("alias", "--delete", "fraud", "nobody"), "has no alias 'nobody'"),
        (("delete", "fraud", "--version", "x", "--yes"), "version 'x' is not a positive integer"),
    ],
)
def test_errors_are_one_line(
    tracking: str, filled: runlab.RunlabClient, args: tuple[str, ...], fragment: str
) -> None:
    assert_one_line_error(run_cli(tracking, "models", *args), fragment)


def test_bad_filter_is_an_error_with_a_pointer(tracking: str, filled: runlab.RunlabClient) -> None:
    result = run_cli(tracking, "models", "list", "--filter", "bad = 'x'")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.startswith("Error: unknown attribute 'bad'")
