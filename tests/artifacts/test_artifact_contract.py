"""The ArtifactRepository contract, one suite run against every backend.

Each test speaks only through the repository's methods, so a local folder, an S3 bucket
(a real S3-compatible server over HTTP), an Azure container (the Azurite emulator over
HTTP), a directory of an OpenSSH server over SFTP and a tracking server's artifact proxy
keeping its files in S3, Azure or SFTP must behave the same. Backend details
(URI forms, symbolic links, multipart uploads, listing pages) live in each backend's own tests.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.artifacts._cases import BIG, OPERATIONS, files, plant_sources, tree

from runlab.errors import InvalidInputError, NotFoundError
from runlab.store.artifacts import (
    ArtifactRepository,
    FileInfo,
    LocalArtifactRepository,
    get_artifact_repository,
)

pytestmark = pytest.mark.usefixtures("temp_dir")


@pytest.fixture(scope="module")
def proxy_over_s3(
    s3_endpoint: str, s3_admin: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A live ``runlab server`` whose artifact proxy keeps files in an S3 bucket; yields
    the proxy's URL."""
    from tests._servers import start_runlab_server

    import _s3

    with contextlib.ExitStack() as stack:
        bucket = _s3.new_bucket(s3_admin)
        stack.callback(_s3.drop_bucket, s3_admin, bucket)  # after the server has stopped
        with pytest.MonkeyPatch.context() as patch:  # the server process inherits these
            for name, value in {**_s3.TEST_ENV, "RUNLAB_S3_ENDPOINT_URL": s3_endpoint}.items():
                patch.setenv(name, value)
            base_url, _process = stack.enter_context(
                start_runlab_server(
                    tmp_path_factory.mktemp("proxy"),
                    *("--artifacts-destination", f"s3://{bucket}/proxied"),
                )
            )
        yield f"{base_url}/api/2.0/mlflow-artifacts/artifacts"


@pytest.fixture(scope="module")
def proxy_over_azure(
    azurite: Any, azure_admin: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A live ``runlab server`` whose artifact proxy keeps files in an Azure container (the
    emulator); yields the proxy's URL."""
    from tests import _azurite
    from tests._servers import start_runlab_server

    with contextlib.ExitStack() as stack:
        container = _azurite.new_container(azure_admin)
        stack.callback(azure_admin.delete_container, container)  # after the server stopped
        with pytest.MonkeyPatch.context() as patch:  # the server process inherits it
            patch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite.connection_string)
            base_url, _process = stack.enter_context(
                start_runlab_server(
                    tmp_path_factory.mktemp("proxy-azure"),
                    *("--artifacts-destination", _azurite.uri(container, "proxied")),
                )
            )
        yield f"{base_url}/api/2.0/mlflow-artifacts/artifacts"


@pytest.fixture(scope="module")
def proxy_over_sftp(sshd: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live ``runlab server`` whose artifact proxy keeps files on the SFTP server; yields
    the proxy's URL."""
    from tests._servers import start_runlab_server

    root = tmp_path_factory.mktemp("sftp-proxied")
    with contextlib.ExitStack() as stack:
        with pytest.MonkeyPatch.context() as patch:  # the server process inherits HOME
            patch.setenv("HOME", str(sshd.home))
            patch.delenv("SSH_AUTH_SOCK", raising=False)
            base_url, _process = stack.enter_context(
                start_runlab_server(
                    tmp_path_factory.mktemp("proxy-sftp"),
                    *("--artifacts-destination", sshd.uri(root)),
                )
            )
        yield f"{base_url}/api/2.0/mlflow-artifacts/artifacts"


@pytest.fixture(
    params=[
        "local",
        pytest.param("s3", marks=pytest.mark.s3),
        pytest.param("http-proxy-to-s3", marks=[pytest.mark.s3, pytest.mark.slow]),
        "gcs",
        pytest.param("azure", marks=pytest.mark.azure),
        pytest.param("http-proxy-to-azure", marks=[pytest.mark.azure, pytest.mark.slow]),
        pytest.param("sftp", marks=pytest.mark.sftp),
        pytest.param("http-proxy-to-sftp", marks=[pytest.mark.sftp, pytest.mark.slow]),
    ]
)
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> ArtifactRepository:
    if request.param == "local":
        return get_artifact_repository((tmp_path / "store" / "artifacts").as_uri())
    if request.param == "s3":
        bucket = request.getfixturevalue("s3_bucket")
        return get_artifact_repository(f"s3://{bucket}/experiments/1/run-a/artifacts")
    if request.param == "gcs":
        bucket = request.getfixturevalue("gcs_bucket")
        return get_artifact_repository(f"gs://{bucket}/experiments/1/run-a/artifacts")
    if request.param == "azure":
        from tests import _azurite

        container = request.getfixturevalue("azure_container")
        return get_artifact_repository(_azurite.uri(container, "experiments/1/run-a/artifacts"))
    if request.param == "sftp":
        root = request.getfixturevalue("sftp_root")
        server = request.getfixturevalue("sshd")
        return get_artifact_repository(server.uri(root / "experiments/1/run-a/artifacts"))
    proxy = request.getfixturevalue(f"proxy_over_{request.param.rsplit('-', 1)[1]}")
    return get_artifact_repository(f"{proxy}/{uuid.uuid4().hex}/artifacts")


def everything(repo: ArtifactRepository, tmp_path: Path) -> dict[str, bytes]:
    """All files in ``repo``, read back through a download of the root."""
    dst = tmp_path / f"all-{len(os.listdir(tmp_path))}"
    return files(Path(repo.download_artifacts("", str(dst))))


def test_an_empty_repository(repo: ArtifactRepository, tmp_path: Path) -> None:
    assert repo.list_artifacts() == []
    assert repo.list_artifacts("any/dir") == []
    repo.delete_artifacts()
    repo.delete_artifacts("x")
    with pytest.raises(NotFoundError, match="[/']x' does not exist"):
        repo.open_artifact("x")
    with pytest.raises(NotFoundError, match="[/']x/y' does not exist"):
        repo.download_artifacts("x/y", str(tmp_path / "dst"))
    assert not (tmp_path / "dst").exists()
    empty = repo.download_artifacts("", str(tmp_path / "dst"))
    assert os.listdir(empty) == []


@pytest.mark.parametrize(
    ("artifact_path", "expected"),
    [
        (None, "top.txt"),
        ("", "top.txt"),
        ("sub", "sub/top.txt"),
        ("a/b/c", "a/b/c/top.txt"),
        ("./a//b/", "a/b/top.txt"),
    ],
)
def test_log_artifact_places_the_file(
    repo: ArtifactRepository,
    source: Path,
    tmp_path: Path,
    artifact_path: str | None,
    expected: str,
) -> None:
    repo.log_artifact(source / "top.txt", artifact_path)
    assert everything(repo, tmp_path) == {expected: b"top"}


def test_log_artifact_replaces_a_file_and_accepts_str(
    repo: ArtifactRepository, tmp_path: Path
) -> None:
    local = tmp_path / "model.bin"
    local.write_bytes(b"old")
    repo.log_artifact(str(local))
    local.write_bytes(BIG)
    repo.log_artifact(str(local))
    assert everything(repo, tmp_path) == {"model.bin": BIG}


def test_log_artifact_errors(repo: ArtifactRepository, source: Path, tmp_path: Path) -> None:
    missing = source / "nope.txt"
    with pytest.raises(NotFoundError, match=f"local file '{missing}' does not exist"):
        repo.log_artifact(missing)
    with pytest.raises(InvalidInputError, match="is a directory; use log_artifacts"):
        repo.log_artifact(source / "sub")
    os.mkfifo(source / "fifo")
    with pytest.raises(InvalidInputError, match="is not a regular file"):
        repo.log_artifact(source / "fifo")
    with pytest.raises(NotFoundError, match="local directory .*nope' does not exist"):
        repo.log_artifacts(source / "nope")
    with pytest.raises(InvalidInputError, match="is not a directory"):
        repo.log_artifacts(source / "top.txt")
    assert everything(repo, tmp_path) == {}


def test_log_artifacts_copies_nested_trees(
    repo: ArtifactRepository, source: Path, tmp_path: Path
) -> None:
    repo.log_artifacts(source, "model")
    repo.log_artifacts(str(source / "sub"))
    repo.log_artifacts(source / "empty", "nothing")
    assert everything(repo, tmp_path) == {
        "model/top.txt": b"top",
        "model/sub/mid.txt": b"mid",
        "model/sub/deeper/leaf.bin": BIG,
        "mid.txt": b"mid",
        "deeper/leaf.bin": BIG,
    }


def test_list_artifacts_one_level_sorted_with_sizes(repo: ArtifactRepository, source: Path) -> None:
    repo.log_artifacts(source, "model")
    repo.write_bytes("Z.txt", b"12345")
    repo.write_bytes("a.txt", b"")
    assert repo.list_artifacts() == [
        FileInfo("Z.txt", is_dir=False, file_size=5),
        FileInfo("a.txt", is_dir=False, file_size=0),
        FileInfo("model", is_dir=True, file_size=None),
    ]
    assert repo.list_artifacts("model") == [
        FileInfo("model/sub", is_dir=True, file_size=None),
        FileInfo("model/top.txt", is_dir=False, file_size=3),
    ]
    assert repo.list_artifacts("./model//sub/deeper/") == [
        FileInfo("model/sub/deeper/leaf.bin", is_dir=False, file_size=len(BIG)),
    ]
    assert repo.list_artifacts("model/nope") == []
    assert repo.list_artifacts("model/top.txt") == []
    assert repo.list_artifacts("mod") == []  # a prefix of a name is not a directory


def test_deeply_nested_directories(repo: ArtifactRepository, tmp_path: Path) -> None:
    deep = "/".join(f"level{i}" for i in range(12))
    repo.write_bytes(f"{deep}/leaf.txt", b"leaf")
    parent = deep.rsplit("/", 1)[0]
    assert repo.list_artifacts(parent) == [FileInfo(deep, is_dir=True, file_size=None)]
    local = repo.download_artifacts("level0/level1", str(tmp_path / "dst"))
    assert files(Path(local)) == {deep.split("/", 2)[2] + "/leaf.txt": b"leaf"}


def test_download_a_file(repo: ArtifactRepository, source: Path, temp_dir: Path) -> None:
    repo.log_artifacts(source, "model")
    local = repo.download_artifacts("model/sub/deeper/leaf.bin")
    assert Path(local).read_bytes() == BIG
    assert Path(local).parent.parent.parent.parent.parent == temp_dir
    assert Path(local).as_posix().endswith("/model/sub/deeper/leaf.bin")


def test_download_a_directory_and_the_root(
    repo: ArtifactRepository, source: Path, tmp_path: Path
) -> None:
    repo.log_artifacts(source, "model")
    repo.write_bytes("notes.txt", b"n")
    dst = tmp_path / "new" / "dst"
    local = repo.download_artifacts("model/sub", str(dst))
    assert local == str(dst / "model" / "sub")
    assert files(Path(local)) == {"mid.txt": b"mid", "deeper/leaf.bin": BIG}

    root = repo.download_artifacts(dst_path=str(tmp_path / "all"))
    assert root == str(tmp_path / "all")
    assert files(Path(root)) == {
        "notes.txt": b"n",
        "model/top.txt": b"top",
        "model/sub/mid.txt": b"mid",
        "model/sub/deeper/leaf.bin": BIG,
    }
    repo.write_bytes("notes.txt", b"changed")  # a second download replaces the files
    repo.download_artifacts(dst_path=str(tmp_path / "all"))
    assert (tmp_path / "all" / "notes.txt").read_bytes() == b"changed"


def test_download_errors_create_nothing(
    repo: ArtifactRepository, tmp_path: Path, temp_dir: Path
) -> None:
    repo.write_bytes("a.txt", b"a")
    with pytest.raises(NotFoundError, match="artifact '(.*/)?missing/x' does not exist"):
        repo.download_artifacts("missing/x")
    with pytest.raises(NotFoundError):
        repo.download_artifacts("a.txt/x", str(tmp_path / "dst"))
    assert os.listdir(temp_dir) == []
    assert not (tmp_path / "dst").exists()
    (tmp_path / "file").write_text("x")
    with pytest.raises(InvalidInputError, match="is a file, not a directory"):
        repo.download_artifacts("a.txt", str(tmp_path / "file"))


def test_open_artifact_streams(repo: ArtifactRepository) -> None:
    repo.write_bytes("big.bin", BIG)
    with repo.open_artifact("big.bin") as stream:
        assert not isinstance(stream, bytes)
        assert stream.read(1000) == BIG[:1000]
        out = io.BytesIO()
        shutil.copyfileobj(stream, out, 64 * 1024)
    assert out.getvalue() == BIG[1000:]
    assert stream.closed
    with pytest.raises(NotFoundError, match="[/']nope.bin' does not exist"):
        repo.open_artifact("nope.bin")
    with pytest.raises(NotFoundError, match="[/']big.bin/x' does not exist"):
        repo.open_artifact("big.bin/x")
    repo.write_bytes("dir/x", b"")
    with pytest.raises(InvalidInputError, match="[/']dir' is a directory"):
        repo.open_artifact("dir")
    with pytest.raises(InvalidInputError, match="artifact ''|artifact path ''"):
        repo.open_artifact("")


def test_write_bytes(repo: ArtifactRepository, tmp_path: Path) -> None:
    repo.write_bytes("a/b.json", b"{}")
    repo.write_bytes("a/b.json", bytearray(b"[]"))
    repo.write_bytes("c.bin", memoryview(b"mv"))
    assert everything(repo, tmp_path) == {"a/b.json": b"[]", "c.bin": b"mv"}
    with pytest.raises(InvalidInputError, match="artifact root"):
        repo.write_bytes("", b"x")


def test_delete(repo: ArtifactRepository, source: Path, tmp_path: Path) -> None:
    repo.log_artifacts(source, "model")
    repo.write_bytes("keep.txt", b"k")
    repo.write_bytes("model-2/x.txt", b"x")  # shares a prefix with "model", not a parent
    repo.delete_artifacts("model/top.txt")
    repo.delete_artifacts("model/sub/")
    repo.delete_artifacts("model/missing")
    repo.delete_artifacts("keep.txt/under-a-file")
    assert everything(repo, tmp_path) == {"keep.txt": b"k", "model-2/x.txt": b"x"}
    repo.delete_artifacts("model")
    assert [info.path for info in repo.list_artifacts()] == ["keep.txt", "model-2"]
    repo.delete_artifacts()
    assert repo.list_artifacts() == []
    repo.delete_artifacts()


# ---------------------------------------------------------------------- path safety

ESCAPES = "escapes the run's artifact root"
BAD_PATHS = [
    ("../x", ESCAPES + r" \('\.\.' is not allowed\)"),
    ("..", ESCAPES),
    ("a/../../x", ESCAPES),
    ("a/..", ESCAPES),
    ("../artifacts-sibling/x", ESCAPES),
    ("/etc/passwd", ESCAPES + r" \(absolute paths are not allowed\)"),
    ("//etc/passwd", ESCAPES),
    ("C:/x", ESCAPES),
    ("a\x00b", "NUL bytes are not allowed"),
    ("..\\x", "backslashes are not allowed"),
    ("a\\..\\..\\x", "backslashes are not allowed"),
]


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize(("path", "match"), BAD_PATHS, ids=[repr(p) for p, _ in BAD_PATHS])
def test_no_path_escapes_the_root(
    repo: ArtifactRepository, tmp_path: Path, operation: str, path: str, match: str
) -> None:
    repo.write_bytes("inside.txt", b"inside")
    plant_sources(tmp_path)
    before = tree(tmp_path)
    with pytest.raises(InvalidInputError, match=match):
        OPERATIONS[operation](repo, path, tmp_path)
    assert tree(tmp_path) == before  # nothing created or removed on disk, inside a root or out
    assert everything(repo, tmp_path) == {"inside.txt": b"inside"}


# ----------------------------------------------------------------- multipart uploads
MIB = 1024 * 1024


def twin(repo: ArtifactRepository) -> ArtifactRepository:
    """A second repository over the same storage, as another server process would build."""
    return get_artifact_repository(repo.url if hasattr(repo, "url") else repo.artifact_uri)


def staged_leftovers(repo: ArtifactRepository) -> list[str]:
    """What staged uploads left in the storage itself (beyond what listings show)."""
    from runlab.store.artifacts import _multipart
    from runlab.store.artifacts.azure import AzureBlobArtifactRepository
    from runlab.store.artifacts.gcs import GCSArtifactRepository
    from runlab.store.artifacts.s3 import S3ArtifactRepository
    from runlab.store.artifacts.sftp import SFTPArtifactRepository

    if isinstance(repo, LocalArtifactRepository | SFTPArtifactRepository):
        root = Path(repo.root)  # the SFTP server's files are on this machine
        return [str(p.relative_to(root)) for p in root.rglob("*") if "runlab-partial" in str(p)]
    if isinstance(repo, S3ArtifactRepository):
        keys = repo.client.list_objects_v2(Bucket=repo.bucket).get("Contents", [])
        uploads = repo.client.list_multipart_uploads(Bucket=repo.bucket).get("Uploads", [])
        return [k["Key"] for k in keys if _multipart.STAGING_DIR in k["Key"]] + [
            u["Key"] for u in uploads
        ]
    if isinstance(repo, GCSArtifactRepository):
        names = [blob.name for blob in repo.client.list_blobs(repo.bucket_name)]
        return [name for name in names if _multipart.STAGING_DIR in name]
    if isinstance(repo, AzureBlobArtifactRepository):
        return [b.name for b in repo.container.list_blobs() if _multipart.STAGING_DIR in b.name]
    return []  # a server's staging is not reachable from its client; listings are checked


@pytest.mark.parametrize(
    "sizes",
    [
        pytest.param((10, 10, 3), id="small-parts"),  # every part staged
        pytest.param((5 * MIB, 5 * MIB, 1000), id="large-parts"),  # S3's own upload
    ],
)
def test_multipart_parts_out_of_order_through_two_instances(
    repo: ArtifactRepository, tmp_path: Path, sizes: tuple[int, ...]
) -> None:
    parts = [bytes([65 + i]) * size for i, size in enumerate(sizes)]
    other = twin(repo)
    upload_id = repo.begin_multipart("model/big.bin", len(parts))
    # Parts arrive in any order, through either instance.
    other.put_part(upload_id, 3, io.BytesIO(parts[2]))
    repo.put_part(upload_id, 1, io.BytesIO(parts[0]))
    other.put_part(upload_id, 2, io.BytesIO(b"replaced below"))
    repo.put_part(upload_id, 2, io.BytesIO(parts[1]))
    # Nothing of an upload in progress is listed or downloaded.
    assert repo.list_artifacts() == []
    assert everything(other, tmp_path) == {}
    other.complete_multipart(upload_id, "model/big.bin", [3, 1, 2])
    with repo.open_artifact("model/big.bin") as stream:
        assert stream.read() == b"".join(parts)
    assert repo.list_artifacts() == [FileInfo("model", True, None)]
    assert [i.path for i in other.list_artifacts("model")] == ["model/big.bin"]
    assert staged_leftovers(repo) == []
    with pytest.raises(NotFoundError, match="does not exist|has ended"):
        repo.complete_multipart(upload_id, "model/big.bin")  # it has ended


def test_multipart_complete_defaults_to_every_part(repo: ArtifactRepository) -> None:
    upload_id = repo.begin_multipart("one.bin", 1)
    repo.put_part(upload_id, 1, io.BytesIO(b"just one"))
    repo.complete_multipart(upload_id, "one.bin")
    with repo.open_artifact("one.bin") as stream:
        assert stream.read() == b"just one"
    assert staged_leftovers(repo) == []


def test_multipart_abort_drops_everything(repo: ArtifactRepository, tmp_path: Path) -> None:
    upload_id = repo.begin_multipart("d/f.bin", 2)
    twin(repo).put_part(upload_id, 1, io.BytesIO(b"x" * 100))
    twin(repo).abort_multipart(upload_id, "d/f.bin")
    assert repo.list_artifacts() == []
    assert everything(repo, tmp_path) == {}
    assert staged_leftovers(repo) == []
    with pytest.raises(NotFoundError, match="does not exist|has ended"):
        repo.put_part(upload_id, 2, io.BytesIO(b"y"))
    with pytest.raises(NotFoundError, match="does not exist|has ended"):
        repo.complete_multipart(upload_id, "d/f.bin")
    with pytest.raises(NotFoundError, match="does not exist|has ended"):
        repo.abort_multipart(upload_id, "d/f.bin")


def test_multipart_refuses_bad_ids_parts_and_paths(
    repo: ArtifactRepository, tmp_path: Path
) -> None:
    for path in ("", "../x", "/abs", ".runlab-partial-uploads/x"):
        with pytest.raises(InvalidInputError):
            repo.begin_multipart(path, 2)
    for count in (0, 10_001):
        with pytest.raises(InvalidInputError, match="num_parts"):
            repo.begin_multipart("f.bin", count)
    for bad_id in ("../../x", "a/b", "", "X" * 32, "0" * 31):
        with pytest.raises(InvalidInputError, match="upload_id"):
            repo.put_part(bad_id, 1, io.BytesIO(b"x"))
    unknown = "0" * 32
    with pytest.raises(NotFoundError, match="does not exist"):
        repo.put_part(unknown, 1, io.BytesIO(b"x"))
    with pytest.raises(NotFoundError, match="does not exist"):
        repo.complete_multipart(unknown, "f.bin")

    upload_id = repo.begin_multipart("dir/f.bin", 3)
    for number in (0, 4, -1):
        with pytest.raises(InvalidInputError, match="part_number"):
            repo.put_part(upload_id, number, io.BytesIO(b"x"))
    repo.put_part(upload_id, 1, io.BytesIO(b"1"))
    repo.put_part(upload_id, 3, io.BytesIO(b"3"))
    with pytest.raises(InvalidInputError, match=r"part\(s\) \[2\] were never uploaded"):
        repo.complete_multipart(upload_id, "dir/f.bin")
    with pytest.raises(InvalidInputError, match="without gaps"):
        repo.complete_multipart(upload_id, "dir/f.bin", [1, 3])
    with pytest.raises(InvalidInputError, match="was begun for '(.*/)?dir/f.bin'"):
        repo.complete_multipart(upload_id, "elsewhere/f.bin")
    repo.put_part(upload_id, 2, io.BytesIO(b"2"))
    repo.complete_multipart(upload_id, "dir/f.bin", [1, 2, 3])
    assert everything(repo, tmp_path) == {"dir/f.bin": b"123"}
    assert staged_leftovers(repo) == []
