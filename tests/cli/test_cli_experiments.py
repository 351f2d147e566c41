"""`runlab experiments ...`, the root group's options, and the shape of errors."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from tests._cli import assert_one_line_error, run_cli

import runlab
from runlab.cli import cli


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"runlab {runlab.__version__}"


def test_help_lists_the_commands() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("experiments", "runs", "gc", "db", "demo", "--tracking-uri"):
        assert command in result.stdout


def test_create_prints_the_id_and_list_shows_it(tracking: str) -> None:
    result = run_cli(tracking, "experiments", "create", "wine", "--tag", "team=ml")
    assert result.exit_code == 0, result.output
    new_id = result.stdout.strip()
    assert new_id.isdigit()
    exp = runlab.RunlabClient(tracking).get_experiment(new_id)
    assert (exp.name, exp.tags) == ("wine", {"team": "ml"})

    listed = run_cli(tracking, "experiments", "list")
    assert listed.exit_code == 0
    assert "wine" in listed.stdout
    assert "Default" in listed.stdout
    assert "active" in listed.stdout


def test_create_with_artifact_location(tracking: str, tmp_path: Path) -> None:
    location = (tmp_path / "elsewhere").as_uri()
    result = run_cli(tracking, "experiments", "create", "x", "--artifact-location", location)
    assert result.exit_code == 0
    exp = runlab.RunlabClient(tracking).get_experiment_by_name("x")
    assert exp is not None
    assert exp.artifact_location == location


def test_list_json(tracking: str) -> None:
    runlab.RunlabClient(tracking).create_experiment("a", tags={"k": "v"})
    result = run_cli(tracking, "experiments", "list", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    by_name = {e["name"]: e for e in data}
    assert set(by_name) == {"Default", "a"}
    assert by_name["a"]["tags"] == {"k": "v"}
    assert by_name["a"]["lifecycle_stage"] == "active"


def test_rename_delete_restore_by_name_and_id(tracking: str) -> None:
    client = runlab.RunlabClient(tracking)
    exp_id = client.create_experiment("old-name")

    result = run_cli(tracking, "experiments", "rename", "old-name", "new-name")
    assert result.exit_code == 0, result.output
    assert client.get_experiment(exp_id).name == "new-name"

    result = run_cli(tracking, "experiments", "delete", "new-name")
    assert result.exit_code == 0, result.output
    assert client.get_experiment(exp_id).lifecycle_stage == "deleted"

    active = json.loads(run_cli(tracking, "experiments", "list", "--json").stdout)
    assert "new-name" not in {e["name"] for e in active}
    deleted = run_cli(tracking, "experiments", "list", "--view", "deleted")
    assert "new-name" in deleted.stdout
    assert "Default" not in deleted.stdout

    result = run_cli(tracking, "experiments", "restore", exp_id)
    assert result.exit_code == 0, result.output
    assert client.get_experiment(exp_id).lifecycle_stage == "active"


def test_all_digit_name_is_found_when_no_such_id(tracking: str) -> None:
    client = runlab.RunlabClient(tracking)
    exp_id = client.create_experiment("2024")
    assert exp_id != "2024"
    result = run_cli(tracking, "experiments", "delete", "2024")
    assert result.exit_code == 0, result.output
    assert client.get_experiment(exp_id).lifecycle_stage == "deleted"


def test_duplicate_name_is_one_line_error(tracking: str) -> None:
    runlab.RunlabClient(tracking).create_experiment("dup")
    result = run_cli(tracking, "experiments", "create", "dup")
    assert_one_line_error(result, "already exists")
    assert len(result.stderr.strip().splitlines()) == 1


def test_unknown_experiment_is_one_line_error(tracking: str) -> None:
    result = run_cli(tracking, "experiments", "delete", "nope")
    assert_one_line_error(result, "'nope' not found")
    result = run_cli(tracking, "experiments", "restore", "12345")
    assert_one_line_error(result, "12345")


def test_bad_tag_is_a_usage_error(tracking: str) -> None:
    result = run_cli(tracking, "experiments", "create", "x", "--tag", "novalue")
    assert_one_line_error(result, "KEY=VALUE", exit_code=2)


def test_tracking_uri_from_environment_and_after_the_command(tmp_path: Path) -> None:
    env_store = str(tmp_path / "from-env")
    runner = CliRunner(env={"RUNLAB_TRACKING_URI": env_store, "COLUMNS": "200"})
    result = runner.invoke(cli, ["experiments", "create", "via-env"])
    assert result.exit_code == 0, result.output
    assert runlab.RunlabClient(env_store).get_experiment_by_name("via-env") is not None

    other = str(tmp_path / "other")
    result = runner.invoke(cli, ["experiments", "create", "via-option", "--tracking-uri", other])
    assert result.exit_code == 0, result.output
    assert runlab.RunlabClient(other).get_experiment_by_name("via-option") is not None
    assert runlab.RunlabClient(env_store).get_experiment_by_name("via-option") is None


def test_default_tracking_uri_is_runlab_folder_in_cwd(tmp_path: Path) -> None:
    # The test suite's conftest changes into tmp_path.
    result = CliRunner().invoke(cli, ["experiments", "create", "here"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "runlab" / "runlab.db").exists()
