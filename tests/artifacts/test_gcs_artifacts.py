"""Cloud Storage artifacts against a real emulator over HTTP (gcp-storage-emulator).

The shared contract lives in test_artifact_contract.py; these tests cover what is
particular to Cloud Storage: URI forms, objects under the prefix, chunked uploads and
ranged downloads (seen in the emulator's request log), hostile object names, errors,
settings, and runs logging through a tracking server and directly.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests._gcs import GCSEmulator, all_objects

import runlab
from runlab.errors import ConfigurationError, InvalidInputError, NotFoundError, StorageError
from runlab.store.artifacts import FileInfo, get_artifact_repository
from runlab.store.artifacts.gcs import GCSArtifactRepository, GCSSettings, parse_gcs_uri

PREFIX = "team/exp-1/run-a/artifacts"
KB = 1024


@pytest.fixture
def repo(gcs_bucket: str) -> GCSArtifactRepository:
    repository = get_artifact_repository(f"gs://{gcs_bucket}/{PREFIX}")
    assert isinstance(repository, GCSArtifactRepository)
    return repository


# ------------------------------------------------------------------------------ URIs


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("gs://bucket", ("bucket", "")),
        ("gs://bucket/", ("bucket", "")),
        ("gs://my-bucket/a/b/c", ("my-bucket", "a/b/c")),
        ("gs://my_bucket.example.com/a//b/./c/", ("my_bucket.example.com", "a/b/c")),
        ("GS://bucket/x", ("bucket", "x")),
    ],
)
def test_parse_gcs_uri(uri: str, expected: tuple[str, str]) -> None:
    assert parse_gcs_uri(uri) == expected


@pytest.mark.parametrize(
    ("uri", "match"),
    [
        ("gs:///path", "names no bucket"),
        ("gs://bucket/a?x=1", "take no query or fragment"),
        ("gs://bucket/a#frag", "take no query or fragment"),
        ("gs://bucket/../x", "not a clean path: .*'..' is not allowed"),
        ("gs://Bucket/x", "'Bucket' is not a valid bucket name"),
        ("gs://ab/x", "'ab' is not a valid bucket name"),
        ("gs://-bucket/x", "'-bucket' is not a valid bucket name"),
        ("s3://bucket/x", "is not a gs:// URI"),
    ],
)
def test_bad_gcs_uris(uri: str, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        parse_gcs_uri(uri)


def test_objects_stay_under_the_prefix(
    repo: GCSArtifactRepository, gcs_admin: Any, gcs_bucket: str, source: Path
) -> None:
    repo.log_artifacts(source, "in")
    repo.write_bytes("w.txt", b"w")
    assert sorted(all_objects(gcs_admin, gcs_bucket)) == [
        f"{PREFIX}/in/sub/deeper/leaf.bin",
        f"{PREFIX}/in/sub/mid.txt",
        f"{PREFIX}/in/top.txt",
        f"{PREFIX}/w.txt",
    ]
    repo.delete_artifacts("in")
    assert sorted(all_objects(gcs_admin, gcs_bucket)) == [f"{PREFIX}/w.txt"]


def test_a_bucket_root(gcs_bucket: str, gcs_admin: Any) -> None:
    repo = get_artifact_repository(f"gs://{gcs_bucket}")
    repo.write_bytes("a/b.txt", b"b")
    assert all_objects(gcs_admin, gcs_bucket) == {"a/b.txt": b"b"}
    assert repo.list_artifacts() == [FileInfo("a", True, None)]
    repo.delete_artifacts()
    assert all_objects(gcs_admin, gcs_bucket) == {}


def test_folder_placeholders_are_directories(
    repo: GCSArtifactRepository, gcs_admin: Any, gcs_bucket: str, tmp_path: Path
) -> None:
    # The console's "create folder" leaves a zero-byte object whose name ends in "/".
    bucket = gcs_admin.bucket(gcs_bucket)
    bucket.blob(f"{PREFIX}/empty/").upload_from_string(b"")
    bucket.blob(f"{PREFIX}/full/f.txt").upload_from_string(b"f")
    assert repo.list_artifacts() == [FileInfo("empty", True, None), FileInfo("full", True, None)]
    assert repo.list_artifacts("empty") == []
    local = Path(repo.download_artifacts("", str(tmp_path / "dst")))
    assert (local / "empty").is_dir()
    assert (local / "full" / "f.txt").read_bytes() == b"f"
    with pytest.raises(InvalidInputError, match="'full' is a directory"):
        repo.open_artifact("full")


# ------------------------------------------------------------------- big transfers


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNLAB_GCS_UPLOAD_CHUNK_SIZE", "256KB")
    monkeypatch.setenv("RUNLAB_GCS_DOWNLOAD_CHUNK_SIZE", "256KB")


def _resumable_chunks(lines: list[str]) -> int:
    return sum(
        1 for line in lines if line.startswith('"PUT /upload/') and "uploadType=resumable" in line
    )


def _ranged_reads(lines: list[str]) -> int:
    return sum(1 for line in lines if line.startswith('"GET /download/') and '" 206' in line)


def test_big_files_go_in_chunks_both_ways(
    small_chunks: None,
    gcs_bucket: str,
    gcs_emulator: GCSEmulator,
    gcs_admin: Any,
    tmp_path: Path,
) -> None:
    repo = get_artifact_repository(f"gs://{gcs_bucket}/{PREFIX}")
    big = os.urandom(1000 * KB + 3)  # four chunks of 256 KB
    (tmp_path / "model.bin").write_bytes(big)
    (tmp_path / "small.txt").write_bytes(b"small")

    mark = gcs_emulator.log_size()
    repo.log_artifact(tmp_path / "model.bin", "m")
    repo.log_artifact(tmp_path / "small.txt", "m")
    sent = gcs_emulator.requests_since(mark)
    assert _resumable_chunks(sent) == 4  # the small file went in one plain request
    assert sum("uploadType=multipart" in line for line in sent) == 1
    assert gcs_admin.bucket(gcs_bucket).blob(f"{PREFIX}/m/model.bin").download_as_bytes() == big

    mark = gcs_emulator.log_size()
    local = Path(repo.download_artifacts("m", str(tmp_path / "dst")))
    assert _ranged_reads(gcs_emulator.requests_since(mark)) >= 4
    assert (local / "model.bin").read_bytes() == big
    assert (local / "small.txt").read_bytes() == b"small"
    assert sorted(os.listdir(local)) == ["model.bin", "small.txt"]  # no partial file left


class _ForwardOnly(io.RawIOBase):
    """A stream that cannot seek or tell, like a request body read from the network."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        chunk = self._data.read(min(len(target), 10_000))  # short reads, as sockets give
        target[: len(chunk)] = chunk
        return len(chunk)


def test_write_stream_sends_a_forward_only_stream_in_chunks(
    small_chunks: None, gcs_bucket: str, gcs_emulator: GCSEmulator, gcs_admin: Any
) -> None:
    repo = get_artifact_repository(f"gs://{gcs_bucket}/{PREFIX}")
    data = os.urandom(600 * KB)
    mark = gcs_emulator.log_size()
    repo.write_stream("streamed.bin", _ForwardOnly(data))  # type: ignore[arg-type]
    assert _resumable_chunks(gcs_emulator.requests_since(mark)) == 3
    blob = gcs_admin.bucket(gcs_bucket).blob(f"{PREFIX}/streamed.bin")
    assert blob.download_as_bytes() == data
    repo.write_stream("empty.bin", _ForwardOnly(b""))  # type: ignore[arg-type]
    with repo.open_artifact("empty.bin") as stream:
        assert stream.read() == b""


def test_open_artifact_reads_in_ranges(
    small_chunks: None, gcs_bucket: str, gcs_emulator: GCSEmulator
) -> None:
    repo = get_artifact_repository(f"gs://{gcs_bucket}/{PREFIX}")
    data = os.urandom(700 * KB)
    repo.write_bytes("f.bin", data)
    mark = gcs_emulator.log_size()
    with repo.open_artifact("f.bin") as stream:
        assert stream.read(10) == data[:10]
        assert _ranged_reads(gcs_emulator.requests_since(mark)) == 1  # not the whole file
        assert stream.read() == data[10:]


# -------------------------------------------------------------------------- hostile


# (The emulator cannot store names with ".." in them; real Cloud Storage can, and the
# same check refuses them: see the URI and path tests.)
@pytest.mark.parametrize("name", ["a//b.txt", "back\\slash.txt", "a/./b.txt"])
def test_objects_that_are_not_artifact_paths_are_refused(
    repo: GCSArtifactRepository, gcs_admin: Any, gcs_bucket: str, tmp_path: Path, name: str
) -> None:
    gcs_admin.bucket(gcs_bucket).blob(f"{PREFIX}/{name}").upload_from_string(b"x")
    with pytest.raises(StorageError, match="refusing to download it"):
        repo.download_artifacts("", str(tmp_path / "dst"))
    assert not any(p.is_file() for p in (tmp_path / "dst").rglob("*"))


# --------------------------------------------------------------------------- errors


def test_a_missing_bucket(gcs_bucket: str, tmp_path: Path) -> None:
    repo = get_artifact_repository(f"gs://{gcs_bucket}-gone/p")
    operations = [
        lambda: repo.write_bytes("a.txt", b"a"),
        lambda: repo.list_artifacts(),
        lambda: repo.open_artifact("a.txt"),
        lambda: repo.download_artifacts("", str(tmp_path / "dst")),
    ]
    for operation in operations:
        with pytest.raises(NotFoundError, match=rf"bucket '{gcs_bucket}-gone' does not exist"):
            operation()
    assert not (tmp_path / "dst").exists()


def test_a_missing_object_is_named(repo: GCSArtifactRepository, gcs_bucket: str) -> None:
    where = rf"gs://{gcs_bucket}/{PREFIX}/no/such.bin"
    with pytest.raises(NotFoundError, match=rf"artifact 'no/such.bin' does not exist .*{where}"):
        repo.open_artifact("no/such.bin")


def test_missing_credentials_say_where_to_get_them(
    gcs_bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runlab.store.artifacts.gcs import clear_client_cache

    monkeypatch.delenv("STORAGE_EMULATOR_HOST")
    monkeypatch.setenv("NO_GCE_CHECK", "true")  # no metadata server here: do not wait for one
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path))  # no gcloud login either
    clear_client_cache()
    with pytest.raises(
        StorageError, match="no Google Cloud credentials .*GOOGLE_APPLICATION_CREDENTIALS"
    ):
        get_artifact_repository(f"gs://{gcs_bucket}/p")


def test_without_the_library_the_error_says_what_to_install() -> None:
    code = (
        "import sys; sys.modules['google.cloud.storage'] = None\n"
        "from runlab.store.artifacts import get_artifact_repository\n"
        "from runlab.errors import StorageError\n"
        "try:\n"
        "    get_artifact_repository('gs://bucket/p')\n"
        "except StorageError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'runlab[gcs]'" in out.stdout
    assert "'gs://bucket/p'" in out.stdout


def test_importing_runlab_does_not_import_the_library() -> None:
    code = (
        "import json, sys, runlab, runlab.store.artifacts\n"
        "runlab.store.artifacts.get_artifact_repository('file:///tmp/x')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('google'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


# ------------------------------------------------------------------------- settings


def test_settings_from_the_environment() -> None:
    assert GCSSettings.from_env({}) == GCSSettings(8 * 1024 * KB, 8 * 1024 * KB, 8, 60.0)
    assert GCSSettings.from_env(
        {
            "MLFLOW_GCS_UPLOAD_CHUNK_SIZE": "524288",
            "RUNLAB_GCS_DOWNLOAD_CHUNK_SIZE": "1MB",
            "RUNLAB_GCS_MAX_CONCURRENCY": "3",
            "MLFLOW_GCS_DEFAULT_TIMEOUT": "5",
        }
    ) == GCSSettings(512 * KB, 1024 * KB, 3, 5.0)


@pytest.mark.parametrize(
    ("variable", "value", "match"),
    [
        ("RUNLAB_GCS_UPLOAD_CHUNK_SIZE", "300000", "is not a multiple of 256 KB"),
        ("RUNLAB_GCS_UPLOAD_CHUNK_SIZE", "1KB", "is not a size of at least 262144 bytes"),
        ("RUNLAB_GCS_DOWNLOAD_CHUNK_SIZE", "lots", "is not a size"),
        ("RUNLAB_GCS_MAX_CONCURRENCY", "0", "is not a whole number from 1 to 64"),
        ("RUNLAB_GCS_TIMEOUT", "-1", "is not a positive number of seconds"),
    ],
)
def test_bad_settings_name_the_variable(variable: str, value: str, match: str) -> None:
    with pytest.raises(ConfigurationError, match=rf"{variable}='{value}' {match}"):
        GCSSettings.from_env({variable: value})


# ------------------------------------------------------------------------ end to end


def test_a_run_logs_straight_to_a_gs_artifact_root(
    fresh_fluent_state: None, gcs_bucket: str, gcs_admin: Any, tmp_path: Path
) -> None:
    runlab.set_tracking_uri(f"sqlite:///{tmp_path / 'runs.db'}")
    experiment_id = runlab.create_experiment("gcs", artifact_location=f"gs://{gcs_bucket}/exp")
    (tmp_path / "report.txt").write_text("good")
    with runlab.start_run(experiment_id=experiment_id) as run:
        runlab.log_artifact(tmp_path / "report.txt")
        runlab.log_dict({"lr": 0.1}, "config/params.json")
        artifact_uri = runlab.get_artifact_uri()
    run_id = run.info.run_id
    assert artifact_uri == f"gs://{gcs_bucket}/exp/{run_id}/artifacts"
    assert sorted(all_objects(gcs_admin, gcs_bucket)) == [
        f"exp/{run_id}/artifacts/config/params.json",
        f"exp/{run_id}/artifacts/report.txt",
    ]
    local = Path(runlab.download_artifacts("", run_id=run_id, dst_path=str(tmp_path / "dst")))
    assert (local / "report.txt").read_text() == "good"
    assert json.loads((local / "config" / "params.json").read_text()) == {"lr": 0.1}


@pytest.mark.slow
def test_a_server_keeps_proxied_artifacts_in_gcs(
    fresh_fluent_state: None,
    small_chunks: None,
    gcs_bucket: str,
    gcs_admin: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``runlab server --artifacts-destination gs://…``: clients send files to the server,
    which keeps them in the bucket; the clients need no Cloud Storage access."""
    from tests._servers import start_runlab_server

    big = os.urandom(700 * KB)  # in chunks, from the server's upload proxy
    (tmp_path / "model.bin").write_bytes(big)
    (tmp_path / "notes.txt").write_text("hello")
    with start_runlab_server(
        tmp_path, *("--artifacts-destination", f"gs://{gcs_bucket}/proxied")
    ) as (base_url, _process):
        monkeypatch.delenv("STORAGE_EMULATOR_HOST")  # the client sees only the server
        runlab.set_tracking_uri(base_url)
        with runlab.start_run() as run:
            runlab.log_artifact(tmp_path / "model.bin", "model")
            runlab.log_artifact(tmp_path / "notes.txt")
        run_id = run.info.run_id
        assert run.info.artifact_uri.startswith("mlflow-artifacts:/")
        listed = {f.path: f.file_size for f in runlab.RunlabClient().list_artifacts(run_id)}
        assert listed == {"model": None, "notes.txt": 5}
        local = Path(runlab.download_artifacts("", run_id=run_id, dst_path=str(tmp_path / "dl")))
    assert (local / "model" / "model.bin").read_bytes() == big
    assert (local / "notes.txt").read_text() == "hello"
    stored = all_objects(gcs_admin, gcs_bucket)
    assert stored == {
        f"proxied/0/{run_id}/artifacts/model/model.bin": big,
        f"proxied/0/{run_id}/artifacts/notes.txt": b"hello",
    }
