"""S3 artifact storage against a real S3-compatible server over HTTP (moto's, in a subprocess).

The shared contract lives in test_artifact_contract.py; these tests cover what is
particular to S3: keys under the prefix, listing pages, batched deletes, multipart
transfers, endpoint settings, hostile keys and errors, and a run logging end to end.
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.artifacts._cases import mlflow_logs_through_proxy

import _s3
import runlab
from _s3 import all_objects
from runlab.errors import ConfigurationError, InvalidInputError, NotFoundError, StorageError
from runlab.store.artifacts import FileInfo, get_artifact_repository
from runlab.store.artifacts.s3 import MB, S3ArtifactRepository, S3Settings, parse_s3_uri

pytestmark = pytest.mark.s3

PREFIX = "team/exp-1/run-a/artifacts"


@pytest.fixture
def repo(s3_bucket: str) -> S3ArtifactRepository:
    repository = get_artifact_repository(f"s3://{s3_bucket}/{PREFIX}")
    assert isinstance(repository, S3ArtifactRepository)
    return repository


@pytest.fixture
def calls(repo: S3ArtifactRepository) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """The S3 operations ``repo``'s client sends, with their parameters, as they happen."""
    seen: list[tuple[str, dict[str, Any]]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        seen.append((model.name, params))

    events = repo.client.meta.events
    events.register("provide-client-params.s3", record)
    yield seen
    events.unregister("provide-client-params.s3", record)


def names(calls: list[tuple[str, dict[str, Any]]]) -> list[str]:
    return [name for name, _ in calls]


# ---------------------------------------------------------------------- URIs and keys


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("s3://bucket", ("bucket", "")),
        ("s3://bucket/", ("bucket", "")),
        ("s3://bucket/a/b", ("bucket", "a/b")),
        ("s3://bucket//a/./b/", ("bucket", "a/b")),
        ("S3://bucket/a", ("bucket", "a")),
    ],
)
def test_parse_s3_uri(uri: str, expected: tuple[str, str]) -> None:
    assert parse_s3_uri(uri) == expected


@pytest.mark.parametrize(
    ("uri", "match"),
    [
        ("s3:///prefix", "names no bucket"),
        ("s3://bucket/a?versionId=1", "no query or fragment"),
        ("s3://bucket/a#x", "no query or fragment"),
        ("s3://bucket/a/../other", "not a clean path.*'..' is not allowed"),
        ("gs://bucket/a", "is not an s3:// URI"),
    ],
)
def test_bad_s3_uris(uri: str, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        parse_s3_uri(uri)


def test_keys_stay_under_the_prefix(
    repo: S3ArtifactRepository, s3_admin: Any, s3_bucket: str, tmp_path: Path
) -> None:
    # Neighbours whose keys start with the same characters as the prefix.
    s3_admin.put_object(Bucket=s3_bucket, Key=f"{PREFIX}-other/x.txt", Body=b"other")
    s3_admin.put_object(Bucket=s3_bucket, Key=f"{PREFIX}2", Body=b"2")
    (tmp_path / "model.bin").write_bytes(b"weights")
    repo.log_artifact(tmp_path / "model.bin", "model")
    repo.write_bytes("notes/a.txt", b"a")
    assert all_objects(s3_admin, s3_bucket) == {
        f"{PREFIX}/model/model.bin": b"weights",
        f"{PREFIX}/notes/a.txt": b"a",
        f"{PREFIX}-other/x.txt": b"other",
        f"{PREFIX}2": b"2",
    }
    assert [info.path for info in repo.list_artifacts()] == ["model", "notes"]
    repo.delete_artifacts()
    assert all_objects(s3_admin, s3_bucket) == {
        f"{PREFIX}-other/x.txt": b"other",
        f"{PREFIX}2": b"2",
    }


def test_a_bucket_root(s3_bucket: str, s3_admin: Any) -> None:
    repo = get_artifact_repository(f"s3://{s3_bucket}")
    repo.write_bytes("a/b.txt", b"b")
    assert all_objects(s3_admin, s3_bucket) == {"a/b.txt": b"b"}
    assert repo.list_artifacts() == [FileInfo("a", is_dir=True, file_size=None)]


def test_directory_markers_are_directories_not_files(
    repo: S3ArtifactRepository, s3_admin: Any, s3_bucket: str, tmp_path: Path
) -> None:
    # Consoles and some tools create zero-byte keys ending in "/" for empty folders.
    s3_admin.put_object(Bucket=s3_bucket, Key=f"{PREFIX}/plots/", Body=b"")
    s3_admin.put_object(Bucket=s3_bucket, Key=f"{PREFIX}/plots/empty/", Body=b"")
    repo.write_bytes("plots/loss.png", b"png")
    assert repo.list_artifacts() == [FileInfo("plots", is_dir=True, file_size=None)]
    assert repo.list_artifacts("plots") == [
        FileInfo("plots/empty", is_dir=True, file_size=None),
        FileInfo("plots/loss.png", is_dir=False, file_size=3),
    ]
    local = Path(repo.download_artifacts("plots", str(tmp_path / "dst")))
    assert (local / "loss.png").read_bytes() == b"png"
    assert (local / "empty").is_dir()


# ----------------------------------------------------------------- paging, batching


def test_listing_pages_and_batched_deletes(
    s3_bucket: str, s3_admin: Any, tmp_path: Path, calls: list[tuple[str, dict[str, Any]]]
) -> None:
    count = 1003
    source = tmp_path / "many"
    (source / "dir").mkdir(parents=True)
    for i in range(count):
        (source / "dir" / f"f{i:05d}.txt").write_text(str(i))
    (source / "top.txt").write_text("top")
    repo = S3ArtifactRepository(f"s3://{s3_bucket}/{PREFIX}")
    paged = S3ArtifactRepository(f"s3://{s3_bucket}/{PREFIX}", list_page_size=100)
    assert repo.client is paged.client  # one shared client per configuration

    repo.log_artifacts(source)
    assert names(calls).count("PutObject") == count + 1

    calls.clear()
    listed = paged.list_artifacts("dir")
    assert listed == [
        FileInfo(f"dir/f{i:05d}.txt", is_dir=False, file_size=len(str(i))) for i in range(count)
    ]
    pages = [params for name, params in calls if name == "ListObjectsV2"]
    assert len(pages) == 11
    assert all(params["MaxKeys"] == 100 for params in pages)

    calls.clear()
    local = Path(repo.download_artifacts("", str(tmp_path / "dst")))
    assert len(list((local / "dir").iterdir())) == count
    assert (local / "dir" / "f01002.txt").read_text() == "1002"
    # Sizes come from the listing: no HeadObject per file.
    assert "HeadObject" not in names(calls)

    calls.clear()
    repo.delete_artifacts("dir")
    batches = [params for name, params in calls if name == "DeleteObjects"]
    assert [len(params["Delete"]["Objects"]) for params in batches] == [1, 1000, 3]
    assert all_objects(s3_admin, s3_bucket) == {f"{PREFIX}/top.txt": b"top"}


# ------------------------------------------------------------------------ multipart


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNLAB_S3_MULTIPART_THRESHOLD", "5MB")
    monkeypatch.setenv("RUNLAB_S3_MULTIPART_CHUNKSIZE", "5MB")


def etag(s3_admin: Any, bucket: str, key: str) -> str:
    return str(s3_admin.head_object(Bucket=bucket, Key=key)["ETag"]).strip('"')


def test_proxy_multipart_parts_of_5mb_go_into_s3s_own_upload(
    repo: S3ArtifactRepository, s3_bucket: str, s3_admin: Any
) -> None:
    parts = [os.urandom(5 * MB), os.urandom(5 * MB), b"tail"]
    upload_id = repo.begin_multipart("big.bin", 3)
    for number in (2, 3, 1):
        repo.put_part(upload_id, number, io.BytesIO(parts[number - 1]))
    # The large parts are already in S3; only the small last one is staged.
    staged = [k for k in all_objects(s3_admin, s3_bucket) if "runlab-partial" in k]
    assert sorted(k.rsplit("/", 1)[-1] for k in staged) == ["part-00003", "upload.json"]
    repo.complete_multipart(upload_id, "big.bin")
    assert etag(s3_admin, s3_bucket, f"{PREFIX}/big.bin").endswith("-3")  # joined by S3
    with repo.open_artifact("big.bin") as stream:
        assert stream.read() == b"".join(parts)
    assert list(all_objects(s3_admin, s3_bucket)) == [f"{PREFIX}/big.bin"]
    assert s3_admin.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []


def test_proxy_multipart_small_parts_between_large_ones_are_refused(
    repo: S3ArtifactRepository, s3_bucket: str, s3_admin: Any
) -> None:
    upload_id = repo.begin_multipart("mixed.bin", 3)
    repo.put_part(upload_id, 1, io.BytesIO(b"small"))
    repo.put_part(upload_id, 2, io.BytesIO(os.urandom(5 * MB)))
    repo.put_part(upload_id, 3, io.BytesIO(b"tail"))
    with pytest.raises(InvalidInputError, match="part 1 has 5 bytes, but S3 needs at least 5 MB"):
        repo.complete_multipart(upload_id, "mixed.bin")
    repo.abort_multipart(upload_id, "mixed.bin")
    assert all_objects(s3_admin, s3_bucket) == {}
    assert s3_admin.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []


def test_staged_uploads_are_not_listed_or_downloaded(
    repo: S3ArtifactRepository, s3_bucket: str, s3_admin: Any, tmp_path: Path
) -> None:
    repo.write_bytes("a/f.txt", b"f")
    upload_id = repo.begin_multipart("a/big.bin", 2)
    repo.put_part(upload_id, 1, io.BytesIO(b"1"))
    assert repo.list_artifacts() == [FileInfo("a", True, None)]
    local = repo.download_artifacts("", str(tmp_path / "dst"))
    assert sorted(str(p.relative_to(local)) for p in Path(local).rglob("*")) == ["a", "a/f.txt"]
    repo.delete_artifacts()  # the root: uploads in progress go with it
    assert all_objects(s3_admin, s3_bucket) == {}
    assert s3_admin.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []


def test_large_files_go_multipart(
    small_parts: None, s3_bucket: str, s3_admin: Any, tmp_path: Path
) -> None:
    repo = get_artifact_repository(f"s3://{s3_bucket}/{PREFIX}")
    big = os.urandom(6 * MB)
    (tmp_path / "big.bin").write_bytes(big)
    (tmp_path / "small.bin").write_bytes(big[: 4 * MB])
    repo.log_artifact(tmp_path / "big.bin")
    repo.log_artifact(tmp_path / "small.bin")
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "big.bin").write_bytes(big)
    repo.log_artifacts(tmp_path / "tree", "tree")
    repo.write_stream("streamed.bin", io.BytesIO(big))

    # A multipart object's ETag is "<hash>-<number of parts>".
    for name in ("big.bin", "tree/big.bin", "streamed.bin"):
        assert etag(s3_admin, s3_bucket, f"{PREFIX}/{name}").endswith("-2"), name
    assert "-" not in etag(s3_admin, s3_bucket, f"{PREFIX}/small.bin")

    local = repo.download_artifacts("", str(tmp_path / "dst"))  # ranged parallel GETs
    for name in ("big.bin", "tree/big.bin", "streamed.bin"):
        assert (Path(local) / name).read_bytes() == big
    assert Path(repo.download_artifacts("big.bin")).read_bytes() == big


def test_write_stream_reads_on_the_calling_thread_only(
    small_parts: None, repo: S3ArtifactRepository, s3_admin: Any, s3_bucket: str
) -> None:
    class Chunks(io.RawIOBase):
        """A non-seekable stream that, like a request body bridged from an event loop,
        can only be read on the thread that owns it."""

        def __init__(self, data: bytes) -> None:
            self.data = io.BytesIO(data)
            self.owner = threading.get_ident()

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            if threading.get_ident() != self.owner:
                raise RuntimeError("read from another thread")
            chunk = self.data.read(min(len(buffer), 64 * 1024))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    data = os.urandom(11 * MB)
    repo.write_stream("upload.bin", io.BufferedReader(Chunks(data)))  # type: ignore[arg-type]
    assert etag(s3_admin, s3_bucket, f"{PREFIX}/upload.bin").endswith("-3")
    with repo.open_artifact("upload.bin") as stream:
        assert stream.read() == data


@pytest.mark.parametrize("variable", ["RUNLAB_S3_UPLOAD_EXTRA_ARGS", "MLFLOW_S3_UPLOAD_EXTRA_ARGS"])
def test_upload_extra_args_apply_to_every_write(
    small_parts: None,
    s3_bucket: str,
    s3_admin: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
) -> None:
    extra = {"ServerSideEncryption": "AES256", "Metadata": {"team": "vision"}}
    monkeypatch.setenv(variable, json.dumps(extra))
    repo = get_artifact_repository(f"s3://{s3_bucket}/{PREFIX}")
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "a.txt").write_text("a")
    (tmp_path / "big.bin").write_bytes(os.urandom(6 * MB))
    repo.log_artifact(tmp_path / "tree" / "a.txt")
    repo.log_artifact(tmp_path / "big.bin")  # multipart
    repo.log_artifacts(tmp_path / "tree", "tree")
    repo.write_bytes("bytes.txt", b"b")
    repo.write_stream("stream.txt", io.BytesIO(b"s"))
    keys = sorted(all_objects(s3_admin, s3_bucket))
    assert len(keys) == 5
    for key in keys:
        head = s3_admin.head_object(Bucket=s3_bucket, Key=key)
        assert head["ServerSideEncryption"] == "AES256", key
        assert head["Metadata"] == {"team": "vision"}, key


def test_open_artifact_streams_from_the_socket(repo: S3ArtifactRepository) -> None:
    data = os.urandom(3 * MB)
    repo.write_bytes("big.bin", data)
    stream = repo.open_artifact("big.bin")
    assert not isinstance(stream, (bytes, io.BytesIO))
    assert stream.read(10) == data[:10]
    stream.close()  # without reading the rest
    with repo.open_artifact("big.bin") as again:
        assert b"".join(iter(lambda: again.read(256 * 1024), b"")) == data


# ---------------------------------------------------------------------- hostile keys


@pytest.mark.parametrize(
    ("key", "listed"),
    [
        (f"{PREFIX}/../escape.txt", ""),
        (f"{PREFIX}/d/../../escape.txt", "d"),
        (f"{PREFIX}//abs.txt", ""),
        (f"{PREFIX}/d/a\\b.txt", "d"),
    ],
)
def test_keys_that_are_not_artifact_paths_are_refused(
    repo: S3ArtifactRepository,
    s3_admin: Any,
    s3_bucket: str,
    tmp_path: Path,
    key: str,
    listed: str,
) -> None:
    s3_admin.put_object(Bucket=s3_bucket, Key=key, Body=b"evil")
    assert key in all_objects(s3_admin, s3_bucket)  # the server kept the key as it is
    repo.write_bytes("ok.txt", b"ok")
    with pytest.raises(StorageError, match="which is not a valid artifact path there"):
        repo.download_artifacts("", str(tmp_path / "dst"))
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    with pytest.raises(StorageError, match="which is not an artifact of that directory"):
        repo.list_artifacts(listed)


# --------------------------------------------------------------------------- errors


def test_a_missing_bucket(s3_bucket: str, tmp_path: Path) -> None:
    repo = get_artifact_repository(f"s3://{s3_bucket}-missing/p")
    match = f"S3 bucket '{s3_bucket}-missing' does not exist"
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "b.txt").write_text("b")
    for operation in (
        lambda: repo.list_artifacts(),
        lambda: repo.write_bytes("a.txt", b"a"),
        lambda: repo.log_artifact(tmp_path / "a.txt"),
        lambda: repo.log_artifacts(tmp_path / "d"),
        lambda: repo.write_stream("a.txt", io.BytesIO(b"a")),
        lambda: repo.open_artifact("a.txt"),
        lambda: repo.download_artifacts("", str(tmp_path / "dst")),
        lambda: repo.delete_artifacts(),
    ):
        with pytest.raises(NotFoundError, match=match):
            operation()
    assert not (tmp_path / "dst").exists()


def test_an_unreachable_endpoint(s3_bucket: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("RUNLAB_S3_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    repo = get_artifact_repository(f"s3://{s3_bucket}/p")
    with pytest.raises(
        StorageError,
        match=rf"could not write s3://{s3_bucket}/p/a.txt: the S3 endpoint "
        rf"http://127.0.0.1:{port} cannot be reached",
    ):
        repo.write_bytes("a.txt", b"a")


def test_access_denied(s3_bucket: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # A second server that checks credentials, as AWS does; ours are unknown to it.
    server = _s3.start_server(env={"INITIAL_NO_AUTH_ACTION_COUNT": "0"})
    try:
        monkeypatch.setenv("RUNLAB_S3_ENDPOINT_URL", server.url)
        repo = get_artifact_repository(f"s3://{s3_bucket}/p")
        with pytest.raises(
            StorageError,
            match=rf"access denied: could not write s3://{s3_bucket}/p/a.txt at "
            rf"{server.url} \(InvalidAccessKeyId: .*\); check the credentials",
        ):
            repo.write_bytes("a.txt", b"a")
        with pytest.raises(
            StorageError, match=rf"access denied: could not list s3://{s3_bucket}/p"
        ):
            repo.list_artifacts()
    finally:
        server.stop()


def test_missing_credentials(s3_bucket: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    repo = get_artifact_repository(f"s3://{s3_bucket}/p")
    with pytest.raises(StorageError, match="Unable to locate credentials. Set AWS_ACCESS_KEY_ID"):
        repo.list_artifacts()


def test_without_boto3_the_error_says_what_to_install() -> None:
    code = (
        "import sys; sys.modules['boto3'] = None\n"
        "from runlab.store.artifacts import get_artifact_repository\n"
        "from runlab.errors import StorageError\n"
        "try:\n"
        "    get_artifact_repository('s3://bucket/p')\n"
        "except StorageError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "S3 artifact storage needs boto3: pip install 'runlab[s3]'" in out.stdout
    assert "'s3://bucket/p'" in out.stdout


def test_importing_runlab_does_not_import_boto3() -> None:
    code = (
        "import json, sys, runlab, runlab.store.artifacts\n"
        "runlab.store.artifacts.get_artifact_repository('file:///tmp/x')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('boto3', 'botocore', 's3transfer'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


# ------------------------------------------------------------------------- endpoints


@pytest.mark.parametrize(
    "variables",
    [
        pytest.param({"AWS_ENDPOINT_URL_S3": "{url}"}, id="AWS_ENDPOINT_URL_S3"),
        pytest.param({"AWS_ENDPOINT_URL": "{url}"}, id="AWS_ENDPOINT_URL"),
        pytest.param({"MLFLOW_S3_ENDPOINT_URL": "{url}"}, id="MLFLOW_S3_ENDPOINT_URL"),
        pytest.param(
            {"RUNLAB_S3_ENDPOINT_URL": "{url}", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"},
            id="RUNLAB_S3_ENDPOINT_URL first",
        ),
        pytest.param(
            {"AWS_ENDPOINT_URL_S3": "{url}", "MLFLOW_S3_ENDPOINT_URL": "http://127.0.0.1:9"},
            id="AWS before MLFLOW",
        ),
    ],
)
def test_endpoint_settings(
    s3_bucket: str, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch, variables: dict[str, str]
) -> None:
    monkeypatch.delenv("RUNLAB_S3_ENDPOINT_URL")
    for name, value in variables.items():
        monkeypatch.setenv(name, value.format(url=s3_endpoint))
    repo = get_artifact_repository(f"s3://{s3_bucket}/p")
    repo.write_bytes("a.txt", b"a")
    assert repo.list_artifacts() == [FileInfo("a.txt", is_dir=False, file_size=1)]


def test_settings_from_the_environment() -> None:
    settings = S3Settings.from_env(
        {
            "RUNLAB_S3_ENDPOINT_URL": " https://minio.internal:9000 ",
            "RUNLAB_S3_IGNORE_TLS": "true",
            "RUNLAB_S3_ADDRESSING_STYLE": "Path",
            "RUNLAB_S3_MULTIPART_THRESHOLD": "64MB",
            "RUNLAB_S3_MULTIPART_CHUNKSIZE": "16777216",
            "RUNLAB_S3_MAX_CONCURRENCY": "4",
        }
    )
    assert settings == S3Settings(
        endpoint_url="https://minio.internal:9000",
        verify_tls=False,
        addressing_style="path",
        multipart_threshold=64 * MB,
        multipart_chunksize=16 * MB,
        max_concurrency=4,
    )
    assert S3Settings.from_env({}) == S3Settings()
    # boto3 reads AWS_ENDPOINT_URL(_S3) itself, so runlab passes no endpoint for them.
    assert S3Settings.from_env({"AWS_ENDPOINT_URL": "http://x:1"}).endpoint_url is None
    assert S3Settings.from_env({"MLFLOW_S3_ENDPOINT_URL": "http://x:1"}).endpoint_url == (
        "http://x:1"
    )


@pytest.mark.parametrize(
    ("variable", "value", "match"),
    [
        ("RUNLAB_S3_ENDPOINT_URL", "minio:9000", "is not a valid endpoint URL"),
        ("AWS_ENDPOINT_URL", "ftp://x", "is not a valid endpoint URL"),
        ("RUNLAB_S3_IGNORE_TLS", "maybe", "is not a boolean"),
        ("RUNLAB_S3_ADDRESSING_STYLE", "dns", "use auto, path or virtual"),
        ("RUNLAB_S3_MULTIPART_THRESHOLD", "big", "is not a size"),
        ("RUNLAB_S3_MULTIPART_CHUNKSIZE", "0", "is not a size"),
        ("RUNLAB_S3_MAX_CONCURRENCY", "-1", "is not a positive whole number"),
        ("RUNLAB_S3_UPLOAD_EXTRA_ARGS", "[1]", "must be a JSON object"),
        ("RUNLAB_S3_UPLOAD_EXTRA_ARGS", "{nope", "must be a JSON object"),
        ("MLFLOW_S3_UPLOAD_EXTRA_ARGS", '{"Bucket": "x"}', "'Bucket' is not an S3 upload argument"),
    ],
)
def test_bad_settings_name_the_variable(variable: str, value: str, match: str) -> None:
    with pytest.raises(ConfigurationError, match=f"{variable}.*{match}"):
        S3Settings.from_env({variable: value})


# ------------------------------------------------------------------------ end to end


@pytest.mark.postgres
def test_a_run_logs_to_an_s3_artifact_root(
    fresh_fluent_state: None,
    postgres_url: str,
    s3_bucket: str,
    s3_admin: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RUNLAB_ARTIFACT_ROOT", f"s3://{s3_bucket}/runlab")
    runlab.set_tracking_uri(postgres_url)
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "weights.bin").write_bytes(b"w" * 1000)
    (tmp_path / "report.txt").write_text("good")
    with runlab.start_run() as run:
        runlab.log_artifact(tmp_path / "report.txt")
        runlab.log_artifacts(tmp_path / "model", "model")
        runlab.log_dict({"lr": 0.1}, "config/params.json")
        artifact_uri = runlab.get_artifact_uri()
    run_id = run.info.run_id
    assert artifact_uri == f"s3://{s3_bucket}/runlab/0/{run_id}/artifacts"
    assert sorted(all_objects(s3_admin, s3_bucket)) == [
        f"runlab/0/{run_id}/artifacts/config/params.json",
        f"runlab/0/{run_id}/artifacts/model/weights.bin",
        f"runlab/0/{run_id}/artifacts/report.txt",
    ]
    local = Path(runlab.download_artifacts("", run_id=run_id, dst_path=str(tmp_path / "dst")))
    assert (local / "report.txt").read_text() == "good"
    assert (local / "model" / "weights.bin").read_bytes() == b"w" * 1000
    assert json.loads((local / "config" / "params.json").read_text()) == {"lr": 0.1}
    client = runlab.RunlabClient()
    assert [info.path for info in client.list_artifacts(run_id)] == [
        "config",
        "model",
        "report.txt",
    ]


@pytest.mark.postgres
@pytest.mark.slow
def test_a_team_server_keeps_proxied_artifacts_in_s3(
    postgres_url: str,
    s3_bucket: str,
    s3_admin: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The documented deployment: ``runlab server`` on PostgreSQL with an S3 destination,
    driven by MLflow's own client, which needs no S3 credentials."""
    from tests._servers import start_runlab_server

    monkeypatch.setenv("RUNLAB_S3_MULTIPART_THRESHOLD", "5MB")
    monkeypatch.setenv("RUNLAB_S3_MULTIPART_CHUNKSIZE", "5MB")
    big = os.urandom(6 * MB)
    with start_runlab_server(
        tmp_path,
        *("--backend-store-uri", postgres_url),
        *("--artifacts-destination", f"s3://{s3_bucket}/proxied"),
    ) as (base_url, _process):
        # The client sees only the server: no S3 endpoint or credentials on its side.
        for name in ("RUNLAB_S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            monkeypatch.delenv(name)
        run_id = mlflow_logs_through_proxy(base_url, tmp_path, big)
    stored = all_objects(s3_admin, s3_bucket)
    key = f"proxied/0/{run_id}/artifacts/model/model.bin"
    assert set(stored) == {key, f"proxied/0/{run_id}/artifacts/notes.txt"}
    assert stored[key] == big
    assert s3_admin.head_object(Bucket=s3_bucket, Key=key)["ETag"].strip('"').endswith("-2")
