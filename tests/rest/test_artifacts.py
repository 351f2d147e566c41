"""Artifacts through the tracking server's proxy (``mlflow-artifacts:`` URIs)."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from pathlib import Path

import pytest
from rest_support import Remote

import runlab
from runlab.errors import InvalidInputError, NotFoundError
from runlab.store.artifacts import get_artifact_repository
from runlab.store.artifacts.http import HttpArtifactRepository, proxy_url

BIG_FILE_MB = 48


def _sha256(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def test_runs_get_proxy_uris_and_a_proxy_repository(remote: Remote) -> None:
    with runlab.start_run() as run:
        uri = runlab.get_artifact_uri()
    assert uri.startswith("mlflow-artifacts:")
    assert uri == remote.client.get_artifact_uri(run.info.run_id)
    repo = remote.client._repo(run.info.run_id)
    assert isinstance(repo, HttpArtifactRepository)
    assert repo.url.startswith(f"{remote.url}/api/2.0/mlflow-artifacts/artifacts/")


def test_files_up_down_list_delete(remote: Remote, tmp_path: Path) -> None:
    source = tmp_path / "src"
    (source / "sub").mkdir(parents=True)
    (source / "a.txt").write_text("alpha")
    (source / "sub" / "b.bin").write_bytes(bytes(range(256)) * 10)
    single = tmp_path / "single.json"
    single.write_text('{"x": 1}')
    with runlab.start_run() as run:
        runlab.log_artifacts(str(source), "tree")
        runlab.log_artifact(str(single))
        runlab.log_text("hi there", "notes/hello.txt")
        runlab.log_dict({"k": [1, 2]}, "notes/config.yaml")
    client = remote.client
    rid = run.info.run_id

    top = client.list_artifacts(rid)
    assert [(f.path, f.is_dir) for f in top] == [
        ("notes", True),
        ("single.json", False),
        ("tree", True),
    ]
    tree = client.list_artifacts(rid, "tree")
    assert [(f.path, f.is_dir, f.file_size) for f in tree] == [
        ("tree/a.txt", False, 5),
        ("tree/sub", True, None),
    ]
    assert client.list_artifacts(rid, "no/such/dir") == []

    whole = Path(client.download_artifacts(rid, "", str(tmp_path / "all")))
    assert (whole / "tree" / "a.txt").read_text() == "alpha"
    assert (whole / "tree" / "sub" / "b.bin").read_bytes() == bytes(range(256)) * 10
    assert (whole / "notes" / "hello.txt").read_text() == "hi there"
    assert "k:" in (whole / "notes" / "config.yaml").read_text()
    one = client.download_artifacts(rid, "single.json", str(tmp_path / "one"))
    assert Path(one).read_text() == '{"x": 1}'
    assert Path(one) == tmp_path / "one" / "single.json"

    with pytest.raises(NotFoundError):
        client.download_artifacts(rid, "missing.txt", str(tmp_path / "x"))

    repo = client._repo(rid)
    with repo.open_artifact("tree/a.txt") as stream:
        assert stream.read() == b"alpha"
    repo.delete_artifacts("tree")
    assert [f.path for f in client.list_artifacts(rid)] == ["notes", "single.json"]
    repo.delete_artifacts("tree")  # gone already: fine


def test_large_file_streams_both_ways(remote: Remote, tmp_path: Path) -> None:
    big = tmp_path / "weights.bin"
    with big.open("wb") as out:
        block = os.urandom(1 << 20)
        for i in range(BIG_FILE_MB):
            out.write(block[i:] + block[:i])
    with runlab.start_run() as run:
        pass
    client = remote.client
    tracemalloc.start()
    try:
        client.log_artifact(run.info.run_id, str(big), "model")
        local = client.download_artifacts(run.info.run_id, "model/weights.bin", str(tmp_path / "d"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert _sha256(local) == _sha256(big)
    [info] = client.list_artifacts(run.info.run_id, "model")
    assert info.file_size == BIG_FILE_MB << 20
    # Chunks of 1 MB go through, never the whole file.
    assert peak < (BIG_FILE_MB << 20) // 4


def test_artifact_paths_cannot_escape(remote: Remote, tmp_path: Path) -> None:
    f = tmp_path / "f.txt"
    f.write_text("x")
    with runlab.start_run():
        with pytest.raises(InvalidInputError, match="escapes"):
            runlab.log_artifact(str(f), "../outside")
        with pytest.raises(InvalidInputError, match="escapes"):
            runlab.log_text("x", "/etc/passwd")


def test_mlflow_artifacts_uri_resolves_against_the_tracking_server(remote: Remote) -> None:
    repo = get_artifact_repository("mlflow-artifacts:/1/abc/artifacts", tracking_uri=remote.url)
    assert isinstance(repo, HttpArtifactRepository)
    assert repo.artifact_uri == "mlflow-artifacts:/1/abc/artifacts"
    assert repo.url == f"{remote.url}/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts"
    # The current tracking URI is the default.
    assert get_artifact_repository("mlflow-artifacts:/x").url.startswith(remote.url)


@pytest.mark.parametrize(
    ("artifact_uri", "tracking_uri", "expected"),
    [
        (
            "mlflow-artifacts:/1/r/artifacts",
            "http://h:5000",
            "http://h:5000/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts",
        ),
        (
            "mlflow-artifacts:/1/r",
            "https://h/prefix/",
            "https://h/prefix/api/2.0/mlflow-artifacts/artifacts/1/r",
        ),
        (
            "mlflow-artifacts://other:7000/1/r",
            "https://h",
            "https://other:7000/api/2.0/mlflow-artifacts/artifacts/1/r",
        ),
        (
            "mlflow-artifacts://other:7000/1/r",
            "/local/folder",
            "http://other:7000/api/2.0/mlflow-artifacts/artifacts/1/r",
        ),
        ("mlflow-artifacts:/", "http://h", "http://h/api/2.0/mlflow-artifacts/artifacts"),
    ],
)
def test_proxy_url(artifact_uri: str, tracking_uri: str, expected: str) -> None:
    assert proxy_url(artifact_uri, tracking_uri) == expected


def test_proxy_uri_without_a_server_is_a_clear_error() -> None:
    with pytest.raises(InvalidInputError, match="RUNLAB_TRACKING_URI"):
        proxy_url("mlflow-artifacts:/1/r", "/some/folder")


@pytest.mark.parametrize(
    "uri", ["http://h/files/1", "ftp://h/api/2.0/mlflow-artifacts/artifacts/1"]
)
def test_http_uri_must_point_into_the_proxy(uri: str) -> None:
    with pytest.raises(InvalidInputError, match="artifact proxy"):
        HttpArtifactRepository(uri)


def test_names_with_spaces_and_unicode(remote: Remote, tmp_path: Path) -> None:
    with runlab.start_run() as run:
        runlab.log_text("ünïcode", "my dir/naïve 1 + 1.txt")
    client = remote.client
    assert [f.path for f in client.list_artifacts(run.info.run_id, "my dir")] == [
        "my dir/naïve 1 + 1.txt"
    ]
    local = client.download_artifacts(run.info.run_id, "my dir", str(tmp_path / "d"))
    assert (Path(local) / "naïve 1 + 1.txt").read_text() == "ünïcode"
