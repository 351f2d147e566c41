"""``runlab import-mlflow`` from data the real mlflow 3.17.2 made: its file store, its
SQLite, PostgreSQL and MariaDB stores and a live ``mlflow server``; compared field by
field with what MlflowClient reads back from the source. Imported twice, and interrupted
and resumed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests._cli import assert_one_line_error, run_cli
from tests.migrate._helpers import assert_same
from tests.migrate._mlflow_data import runlab_dump
from tests.migrate.conftest import MlflowSource

from runlab.store.sql.store import SqlStore


@pytest.mark.parametrize(
    "kind",
    [
        "files",
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("mysql", marks=pytest.mark.mysql),
    ],
)
def test_import_keeps_everything_and_twice_adds_nothing(
    tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    source: MlflowSource = request.getfixturevalue(f"mlflow_{kind}")
    uri = source.uri
    target = f"sqlite:///{tmp_path / 'runlab.db'}"
    result = run_cli(target, "import-mlflow", uri, "-q")
    assert result.exit_code == 0, result.output
    assert "5 runs (0 already there)" in result.output
    lines = result.output.splitlines()
    report = [line for line in lines if line.startswith("wine ")]
    assert report
    assert report[0].rstrip().endswith("ok")
    # The columns line up: each count ends under its header, the result starts under its.
    (header,) = [line for line in lines if line.startswith("experiment ")]
    assert report[0].index(" ok") + 1 == header.index("result")
    assert report[0].index("4/4") + len("4/4") == header.index("runs") + len("runs")
    imported = runlab_dump(target)
    assert_same(source.data, imported)

    again = run_cli(target, "import-mlflow", uri, "-q")
    assert again.exit_code == 0, again.output
    assert "0 runs (5 already there), 0 metric points, 0 artifact files" in again.output
    assert "(0 new versions)" in again.output
    assert runlab_dump(target) == imported
    assert not (tmp_path / "runlab-id-map.json").exists()  # every id was kept


class Interrupted(Exception):
    pass


def test_interrupted_import_continues_where_it_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mlflow_sqlite: MlflowSource
) -> None:
    uri, source = mlflow_sqlite.uri, mlflow_sqlite.data
    target = f"sqlite:///{tmp_path / 'runlab.db'}"
    monkeypatch.setenv("RUNLAB_IMPORT_BATCH_POINTS", "1")  # a transaction per run
    real = SqlStore.import_runs
    calls = {"n": 0}

    def dies_on_the_third_batch(self: SqlStore, experiment_id: str, runs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise Interrupted  # as the machine going down mid-import
        return real(self, experiment_id, runs)

    monkeypatch.setattr(SqlStore, "import_runs", dies_on_the_third_batch)
    with pytest.raises(Interrupted):
        run_cli(target, "import-mlflow", uri, "-q")
    monkeypatch.setattr(SqlStore, "import_runs", real)
    partial = runlab_dump(target)
    assert 0 < len(partial["runs"]) < len(source["runs"])

    resumed = run_cli(target, "import-mlflow", uri, "-q")
    assert resumed.exit_code == 0, resumed.output
    assert f"({len(partial['runs'])} already there)" in resumed.output
    assert_same(source, runlab_dump(target))


def test_import_from_a_live_mlflow_server(tmp_path: Path, mlflow_live_server: MlflowSource) -> None:
    url = mlflow_live_server.uri
    target = f"sqlite:///{tmp_path / 'runlab.db'}"
    result = run_cli(target, "import-mlflow", url, "-q")
    assert result.exit_code == 0, result.output
    assert "5 runs (0 already there)" in result.output
    assert_same(mlflow_live_server.data, runlab_dump(target))
    again = run_cli(target, "import-mlflow", url, "-q", "--experiments", "wine,fraud-*")
    assert again.exit_code == 0, again.output
    assert "0 runs (5 already there)" in again.output


def test_filters_and_verify_only(tmp_path: Path, mlflow_sqlite: MlflowSource) -> None:
    uri, source = mlflow_sqlite.uri, mlflow_sqlite.data
    target = f"sqlite:///{tmp_path / 'runlab.db'}"
    only = run_cli(target, "import-mlflow", uri, "-q", "--experiments", "fraud-*", "--runs-only")
    assert only.exit_code == 0, only.output
    imported = runlab_dump(target)
    assert {r["experiment"] for r in imported["runs"].values()} == {"fraud-2024"}
    assert imported["models"] == {}
    check = run_cli(target, "import-mlflow", uri, "--verify-only", "--experiments", "wine")
    assert check.exit_code == 1
    assert "run " in check.output
    assert "not in runlab" in check.output
    registry = run_cli(target, "import-mlflow", uri, "-q", "--registry-only")
    assert registry.exit_code == 0, registry.output
    assert runlab_dump(target)["models"] == source["models"]
    since = run_cli(target, "import-mlflow", uri, "-q", "--since", "2999-01-01", "-e", "wine")
    assert "0 runs (0 already there)" in since.output


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["sqlite:///nowhere.db"], ["no database file"]),
        (["--experiments", "nope"], ["--experiments", "'nope'", "matches no experiment"]),
        (["--since", "yesterday-ish"], ["--since", "neither a date"]),
        (["--runs-only", "--registry-only"], ["exclude each other"]),
    ],
)
def test_bad_input_is_one_clear_line(tmp_path: Path, args: list[str], fragments: list[str]) -> None:
    (tmp_path / "mlruns").mkdir()
    full = args if args[0].startswith("sqlite") else [str(tmp_path / "mlruns"), *args]
    result = run_cli(str(tmp_path / "store"), "import-mlflow", *full)
    assert_one_line_error(result, *fragments)
