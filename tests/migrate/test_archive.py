"""``runlab export`` / ``runlab import`` archives and ``runlab copy``: MLflow data imported
into SQLite, exported, imported into PostgreSQL, and compared with what MlflowClient
reads from the original."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

from tests._cli import assert_one_line_error, run_cli
from tests._servers import start_runlab_server
from tests.migrate._helpers import assert_same
from tests.migrate._mlflow_data import runlab_dump
from tests.migrate.conftest import MlflowSource

from runlab.migrate import Target


def _stage_history(uri: str) -> list[tuple[int, str, str, int]]:
    target = Target.open(uri)
    try:
        assert target.registry is not None
        return [
            (t.version, t.from_stage, t.to_stage, t.timestamp)
            for n in (1, 2, 3)
            for t in target.registry.get_model_version_stage_history("wine-model", n)
        ]
    finally:
        target.close()


def test_export_then_import_into_postgres_keeps_everything(
    tmp_path: Path, postgres_url: str, mlflow_sqlite: MlflowSource
) -> None:
    source = mlflow_sqlite.data
    laptop = f"sqlite:///{tmp_path / 'laptop.db'}"
    assert run_cli(laptop, "import-mlflow", mlflow_sqlite.uri, "-q").exit_code == 0
    archive = tmp_path / "all.runlab.tar.zst"
    done = run_cli(laptop, "export", "-o", str(archive))
    assert done.exit_code == 0, done.output
    assert "5 runs" in done.output
    with open(archive, "rb") as f:
        assert f.read(4) == b"\x28\xb5\x2f\xfd"  # a zstd frame

    loaded = run_cli(postgres_url, "import", str(archive), "-q")
    assert loaded.exit_code == 0, loaded.output
    assert "5 runs (0 already there)" in loaded.output
    assert_same(source, runlab_dump(postgres_url))
    assert _stage_history(postgres_url) == _stage_history(laptop)
    assert len(_stage_history(laptop)) == 3  # MLflow keeps current stages: one move each

    again = run_cli(postgres_url, "import", str(archive), "-q")
    assert "0 runs (5 already there), 0 metric points, 0 artifact files" in again.output


def test_archive_of_one_experiment_as_tar_gz_and_a_folder(
    tmp_path: Path, mlflow_sqlite: MlflowSource
) -> None:
    laptop = f"sqlite:///{tmp_path / 'laptop.db'}"
    assert run_cli(laptop, "import-mlflow", mlflow_sqlite.uri, "-q").exit_code == 0
    gz = tmp_path / "fraud.tar.gz"
    assert run_cli(laptop, "export", "-e", "fraud-*", "-o", str(gz)).exit_code == 0
    with tarfile.open(gz) as tar:
        names = set(tar.getnames())
    assert {"manifest.json", "runs.jsonl", "metrics.jsonl"} <= names
    folder = tmp_path / "folder-archive"
    assert run_cli(laptop, "export", "-e", "wine", "-o", str(folder)).exit_code == 0
    manifest = json.loads((folder / "manifest.json").read_text())
    assert (manifest["format"], manifest["version"]) == ("runlab-archive", 1)
    assert manifest["counts"]["runs"] == 4
    assert manifest["counts"]["registered_models"] == 1
    lines = (folder / "metrics.jsonl").read_text().splitlines()
    assert any('"NaN"' in line for line in lines)  # (MLflow's SQL store clamps infinities)

    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert run_cli(other, "import", str(gz), "-q").exit_code == 0
    assert run_cli(other, "import", str(folder), "-q").exit_code == 0
    assert runlab_dump(other)["runs"] == runlab_dump(laptop)["runs"]


def test_copy_between_tracking_uris_keeps_ids(
    tmp_path: Path, postgres_url: str, mlflow_sqlite: MlflowSource
) -> None:
    laptop = f"sqlite:///{tmp_path / 'laptop.db'}"
    assert run_cli(laptop, "import-mlflow", mlflow_sqlite.uri, "-q").exit_code == 0
    done = run_cli(laptop, "copy", "--from", laptop, "--to", postgres_url, "--experiment", "wine")
    assert done.exit_code == 0, done.output
    ours, theirs = runlab_dump(postgres_url), runlab_dump(laptop)
    wine = {k: v for k, v in theirs["runs"].items() if v["experiment"] == "wine"}
    assert ours["runs"] == wine
    assert ours["models"] == theirs["models"]


def test_a_newer_archive_version_is_refused_clearly(tmp_path: Path) -> None:
    folder = tmp_path / "future"
    folder.mkdir()
    (folder / "manifest.json").write_text('{"format": "runlab-archive", "version": 99}')
    result = run_cli(str(tmp_path / "store"), "import", str(folder))
    assert_one_line_error(result, "format version 99", "upgrade runlab")
    missing = run_cli(str(tmp_path / "store"), "import", str(tmp_path / "nothing.zip"))
    assert_one_line_error(missing, "neither a folder nor")


def test_copy_into_a_runlab_server_keeps_run_ids(
    tmp_path: Path, mlflow_sqlite: MlflowSource
) -> None:
    laptop = f"sqlite:///{tmp_path / 'laptop.db'}"
    assert run_cli(laptop, "import-mlflow", mlflow_sqlite.uri, "-q").exit_code == 0
    theirs = runlab_dump(laptop)
    with start_runlab_server(tmp_path) as (url, _process):
        done = run_cli(laptop, "copy", "--from", laptop, "--to", url, "-e", "wine")
        assert done.exit_code == 0, done.output
        mapping_file = tmp_path / "runlab-id-map.json"
        mapping = json.loads(mapping_file.read_text()) if mapping_file.exists() else {}
        ours = runlab_dump(url)
        again = run_cli(laptop, "copy", "--from", laptop, "--to", url, "-e", "wine", "-q")
        assert "0 runs (4 already there), 0 metric points, 0 artifact files" in again.output
    # Runs keep their ids, start and end times and every point; the server numbers the
    # experiment itself (the mapping file says so if it gave another number).
    assert not mapping.get("runs")
    wine = {k: v for k, v in theirs["runs"].items() if v["experiment"] == "wine"}
    assert {k: v for k, v in ours["runs"].items() if v["experiment"] == "wine"} == wine
    assert ours["experiments"]["wine"] == theirs["experiments"]["wine"]  # tags, stage, times
    versions = ours["models"]["wine-model"]["versions"]
    assert {n: v["stage"] for n, v in versions.items()} == {
        "1": "Archived", "2": "Production", "3": "Staging"
    }  # fmt: skip
    assert ours["models"]["wine-model"]["aliases"] == {"champion": 2}
