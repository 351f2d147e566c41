"""`runlab db status|upgrade` and `runlab gc`."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from tests._cli import run_cli

import runlab
from runlab.cli.gc import parse_duration
from runlab.store import uri as store_uri
from runlab.store.artifacts.local import local_root
from runlab.store.sql import _migrate, schema
from runlab.store.sql.schema import SCHEMA_REVISION


# ---------------------------------------------------------------------------------- db
def test_status_of_a_fresh_store_shows_both_revisions(tracking: str) -> None:
    runlab.RunlabClient(tracking).create_experiment("x")  # creates the database
    result = run_cli(tracking, "db", "status")
    assert result.exit_code == 0, result.output
    assert f"current:  {SCHEMA_REVISION}" in result.stdout
    assert f"expected: {SCHEMA_REVISION}" in result.stdout
    assert str(Path(tracking) / "runlab.db") in result.stdout
    assert "Up to date" in result.stdout


def test_upgrade_of_a_current_database_says_already_at(tracking: str) -> None:
    runlab.RunlabClient(tracking).create_experiment("x")
    store_uri.close_all()
    result = run_cli(tracking, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert f"already at revision {SCHEMA_REVISION}" in result.stdout


def test_upgrade_of_an_empty_sqlite_file_creates_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    uri = f"sqlite:///{path}"
    result = run_cli(str(tmp_path / "unused"), "db", "upgrade", uri)
    assert result.exit_code == 0, result.output
    assert f"Created the schema at revision {SCHEMA_REVISION}" in result.stdout
    with sqlite3.connect(path) as conn:
        (revision,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    assert revision == SCHEMA_REVISION
    # The database is ready to use, Default experiment included.
    client = runlab.RunlabClient(uri)
    assert client.get_experiment("0").name == "Default"
    assert client.create_run("0").info.status == "RUNNING"


def test_status_of_a_missing_database(tmp_path: Path) -> None:
    folder = tmp_path / "nothing-here"
    result = run_cli(str(folder), "db", "status")
    assert result.exit_code == 0, result.output
    assert "current:  none" in result.stdout
    assert f"expected: {SCHEMA_REVISION}" in result.stdout
    assert not folder.exists()  # status does not create anything


def test_outdated_database_is_reported_and_upgrade_does_not_need_the_store(
    tracking: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    runlab.RunlabClient(tracking).create_experiment("x")
    store_uri.close_all()
    # Pretend this runlab expects a newer revision than the database has.
    monkeypatch.setattr(_migrate, "SCHEMA_REVISION", "0002_next")
    monkeypatch.setattr(schema, "SCHEMA_REVISION", "0002_next")

    refused = run_cli(tracking, "runs", "list")
    assert refused.exit_code == 1
    assert "Traceback" not in refused.output
    assert "runlab db upgrade" in refused.stderr

    status = run_cli(tracking, "db", "status")
    assert status.exit_code == 0, status.output
    assert f"current:  {SCHEMA_REVISION}" in status.stdout
    assert "expected: 0002_next" in status.stdout
    assert "Outdated" in status.stdout


def test_database_of_a_newer_runlab_is_refused(tracking: str) -> None:
    runlab.RunlabClient(tracking).create_experiment("x")
    store_uri.close_all()
    with sqlite3.connect(Path(tracking) / "runlab.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    result = run_cli(tracking, "db", "upgrade")
    assert result.exit_code == 1
    assert "newer version" in result.stderr
    status = run_cli(tracking, "db", "status")
    assert "newer runlab" in status.stdout


def test_db_needs_a_database_uri(tmp_path: Path) -> None:
    result = run_cli(str(tmp_path), "db", "status", "http://localhost:5000")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert "Traceback" not in result.output


# ---------------------------------------------------------------------------------- gc
def _run_with_artifact(client: runlab.RunlabClient, name: str) -> tuple[str, Path]:
    run_id = client.create_run("0", run_name=name).info.run_id
    client.log_metric(run_id, "m", 1.0)
    client.log_text(run_id, "hello", "notes/hello.txt")
    client.set_terminated(run_id)
    folder = Path(local_root(client.get_run(run_id).info.artifact_uri))
    assert (folder / "notes" / "hello.txt").exists()
    return run_id, folder


def test_gc_removes_deleted_runs_and_their_artifacts(tracking: str) -> None:
    client = runlab.RunlabClient(tracking)
    gone, gone_dir = _run_with_artifact(client, "gone")
    kept, kept_dir = _run_with_artifact(client, "kept")
    client.delete_run(gone)

    result = run_cli(tracking, "gc")
    assert result.exit_code == 0, result.output
    assert gone in result.stdout
    assert "1 deleted run removed" in result.stdout

    assert not gone_dir.exists()
    assert not gone_dir.parent.exists()  # the run's own folder goes too
    assert kept_dir.exists()
    with pytest.raises(runlab.errors.NotFoundError):
        client.get_run(gone)
    assert client.get_run(kept).data.metrics == {"m": 1.0}
    assert client.store.deleted_run_ids() == []

    again = run_cli(tracking, "gc")
    assert again.exit_code == 0
    assert "No deleted runs" in again.stdout


def test_gc_dry_run_removes_nothing(tracking: str) -> None:
    client = runlab.RunlabClient(tracking)
    gone, gone_dir = _run_with_artifact(client, "gone")
    client.delete_run(gone)
    result = run_cli(tracking, "gc", "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"Would remove run {gone}" in result.stdout
    assert gone_dir.exists()
    assert client.get_run(gone).info.lifecycle_stage == "deleted"


def test_gc_older_than(tracking: str) -> None:
    client = runlab.RunlabClient(tracking)
    gone, gone_dir = _run_with_artifact(client, "gone")
    client.delete_run(gone)

    result = run_cli(tracking, "gc", "--older-than", "30d")
    assert result.exit_code == 0, result.output
    assert "No deleted runs" in result.stdout
    assert gone_dir.exists()

    result = run_cli(tracking, "gc", "--older-than", "0s")
    assert result.exit_code == 0, result.output
    assert gone in result.stdout
    assert not gone_dir.exists()


def test_gc_given_run_ids(tracking: str) -> None:
    client = runlab.RunlabClient(tracking)
    first, first_dir = _run_with_artifact(client, "first")
    second, second_dir = _run_with_artifact(client, "second")
    client.delete_run(first)
    client.delete_run(second)
    result = run_cli(tracking, "gc", "--run-ids", first[:8])
    assert result.exit_code == 0, result.output
    assert not first_dir.exists()
    assert second_dir.exists()
    assert client.store.deleted_run_ids() == [second]


def test_gc_refuses_active_runs(tracking: str) -> None:
    client = runlab.RunlabClient(tracking)
    gone, _ = _run_with_artifact(client, "gone")
    active, active_dir = _run_with_artifact(client, "active")
    client.delete_run(gone)
    result = run_cli(tracking, "gc", "--run-ids", f"{gone},{active}")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: run {active} is not deleted: delete it first with "
        f"`runlab runs delete {active}`, then run gc again"
    ]
    # Nothing was removed: the ids are checked before anything is deleted.
    assert client.get_run(gone).info.lifecycle_stage == "deleted"
    assert active_dir.exists()


def test_gc_unknown_run(tracking: str) -> None:
    result = run_cli(tracking, "gc", "--run-ids", "f" * 32)
    assert result.exit_code == 1
    assert "not found" in result.stderr


def test_gc_bad_duration_is_usage_error(tracking: str) -> None:
    result = run_cli(tracking, "gc", "--older-than", "3 fortnights")
    assert result.exit_code == 2
    assert "30d" in result.stderr
    assert "Traceback" not in result.output


def test_gc_needs_a_sql_store(tracking: str, monkeypatch: pytest.MonkeyPatch) -> None:
    class NotSql:
        def close(self) -> None:
            pass

    monkeypatch.setitem(store_uri._factories, "fakestore", lambda uri, root: NotSql())
    result = run_cli("fakestore://somewhere", "gc")
    assert result.exit_code == 1
    assert "SQL stores" in result.stderr


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("0s", 0), ("90m", 5400), ("12h", 43200), ("30d", 2592000), ("1w", 604800), ("1d12h", 129600)],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "30", "d", "3x", "1d-2h", "-1d"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        parse_duration(text)
