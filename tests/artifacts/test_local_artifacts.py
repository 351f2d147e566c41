"""The local artifact repository's own behaviour (URI forms, atomic writes, symbolic links)
and the scheme registry; what every repository does is in test_artifact_contract.py."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote

import pytest
from tests.artifacts._cases import BIG, OPERATIONS, files, plant_sources, tree

import runlab.store.artifacts
from runlab.errors import InvalidInputError, NotFoundError, StorageError
from runlab.store.artifacts import (
    ArtifactRepository,
    FileInfo,
    LocalArtifactRepository,
    _paths,
    get_artifact_repository,
    register_artifact_repository,
)

pytestmark = pytest.mark.usefixtures("temp_dir")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "store" / "artifacts"


@pytest.fixture
def repo(root: Path) -> LocalArtifactRepository:
    return LocalArtifactRepository(root.as_uri())


# ---------------------------------------------------------------------------- URIs


@pytest.mark.parametrize(
    "make_uri",
    [
        pytest.param(lambda p: p.as_uri(), id="file:///abs"),
        pytest.param(lambda p: "file:" + str(p), id="file:/abs"),
        pytest.param(lambda p: "file://localhost" + str(p), id="file://localhost/abs"),
        pytest.param(lambda p: "file://" + quote(str(p)), id="percent-encoded"),
        pytest.param(str, id="absolute path"),
        pytest.param(lambda p: os.path.relpath(p), id="relative path"),
    ],
)
def test_uri_forms_name_the_same_root(tmp_path: Path, make_uri: Callable[[Path], str]) -> None:
    root = tmp_path / "my runs" / "ärtifacts 100%"
    repo = LocalArtifactRepository(make_uri(root))
    assert repo.root == str(root)
    repo.write_bytes("a.txt", b"x")
    assert (root / "a.txt").read_bytes() == b"x"


@pytest.mark.parametrize("make_uri", [lambda p: p.as_uri(), str], ids=["file-uri", "path"])
def test_question_marks_and_hashes_in_root_names(
    tmp_path: Path, make_uri: Callable[[Path], str]
) -> None:
    root = tmp_path / "runs?#1"
    assert LocalArtifactRepository(make_uri(root)).root == str(root)


@pytest.mark.parametrize(
    ("uri", "match"),
    [
        ("file://example.com/x", "must not name a host"),
        ("file:///x?version=2", "no query or fragment"),
        ("file:///x#frag", "no query or fragment"),
        ("file:///a%00b", "NUL bytes"),
        ("", "must not be empty"),
        ("s3://bucket/key", "neither a local path nor a file: URI"),
    ],
)
def test_bad_local_uris(uri: str, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        LocalArtifactRepository(uri)


def test_relative_root_is_fixed_at_construction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = LocalArtifactRepository("runs/artifacts")
    monkeypatch.chdir(tmp_path / "tmp")
    repo.write_bytes("a.txt", b"x")
    assert (tmp_path / "runs" / "artifacts" / "a.txt").read_bytes() == b"x"


def test_reads_and_deletes_create_no_root(
    repo: LocalArtifactRepository, root: Path, tmp_path: Path
) -> None:
    assert repo.list_artifacts("any/dir") == []
    repo.delete_artifacts("x")
    with pytest.raises(NotFoundError):
        repo.open_artifact("x")
    repo.download_artifacts("", str(tmp_path / "dst"))
    assert not root.parent.exists()

    repo.write_bytes("a.txt", b"x")
    assert root.is_dir()


# ----------------------------------------------------------------- folders and files


def test_a_file_and_a_directory_cannot_share_a_path(
    repo: LocalArtifactRepository, root: Path, source: Path
) -> None:
    repo.write_bytes("taken/top.txt/x", b"x")
    with pytest.raises(InvalidInputError, match="'taken/top.txt' is a directory"):
        repo.log_artifact(source / "top.txt", "taken")
    with pytest.raises(InvalidInputError, match="'taken' is a directory"):
        repo.write_bytes("taken", b"x")
    with pytest.raises(InvalidInputError, match="parent directories is a file"):
        repo.log_artifact(source / "top.txt", "taken/top.txt/x")
    with pytest.raises(InvalidInputError, match="parent directories is a file"):
        repo.write_bytes("taken/top.txt/x/y", b"x")
    assert files(root) == {"taken/top.txt/x": b"x"}


def test_delete_keeps_emptied_folders_until_the_root_goes(
    repo: LocalArtifactRepository, root: Path, source: Path
) -> None:
    repo.log_artifacts(source, "model")
    repo.write_bytes("keep.txt", b"k")
    repo.delete_artifacts("model/top.txt")
    repo.delete_artifacts("model/sub/")
    assert tree(root) == {"model": "dir", "keep.txt": b"k"}
    repo.delete_artifacts()
    assert not root.exists()
    repo.delete_artifacts()


# ------------------------------------------------------------------------ atomicity


def test_a_failed_write_leaves_the_old_file_and_no_partial(
    repo: LocalArtifactRepository, root: Path, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.log_artifact(source / "top.txt")

    def disk_full(src: BinaryIO, dst: BinaryIO, length: int = 0) -> None:
        dst.write(src.read(2))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_paths.shutil, "copyfileobj", disk_full)
    (source / "top.txt").write_text("a much longer new version")
    with pytest.raises(StorageError, match="'top.txt'.*No space left on device"):
        repo.log_artifact(source / "top.txt")
    with pytest.raises(StorageError):
        repo.log_artifact(source / "sub" / "mid.txt", "new")
    assert tree(root) == {"top.txt": b"top", "new": "dir"}


def test_partial_files_are_hidden_and_reserved(
    repo: LocalArtifactRepository, root: Path, tmp_path: Path
) -> None:
    repo.write_bytes("d/done.txt", b"done")
    (root / "d" / f"{_paths.PARTIAL_PREFIX}1234").write_bytes(b"half")
    assert repo.list_artifacts("d") == [FileInfo("d/done.txt", is_dir=False, file_size=4)]
    local = repo.download_artifacts("d", str(tmp_path / "dst"))
    assert os.listdir(local) == ["done.txt"]
    with pytest.raises(InvalidInputError, match="reserved for writes in progress"):
        repo.open_artifact(f"d/{_paths.PARTIAL_PREFIX}1234")


# ---------------------------------------------------------------------- path safety


@pytest.fixture
def planted(tmp_path: Path, repo: LocalArtifactRepository, root: Path) -> Path:
    """A root holding a file and a link ``link`` to a directory outside it; that directory
    holds a link ``back`` to the file inside the root."""
    outside = tmp_path / "outside"
    (outside / "sub").mkdir(parents=True)
    (outside / "secret.txt").write_text("secret")
    (outside / "sub" / "deep.txt").write_text("deep")
    repo.write_bytes("inside.txt", b"inside")
    (root / "link").symlink_to(outside, target_is_directory=True)
    (outside / "back").symlink_to(root / "inside.txt")
    plant_sources(tmp_path)
    return outside


ESCAPES = "escapes the run's artifact root"
# Paths that leave the root through a symbolic link; the contract suite covers the rest.
LINK_PATHS = [
    ("link", ESCAPES + r" \(it leads through a symbolic link"),
    ("link/", ESCAPES),
    ("link/secret.txt", ESCAPES),
    ("link/sub", ESCAPES),
    ("link/new.txt", ESCAPES),
    ("link/new/deeper", ESCAPES),
    ("link/back", ESCAPES),  # leaves through "link", comes back through "back"
]


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize(("path", "match"), LINK_PATHS, ids=[repr(p) for p, _ in LINK_PATHS])
def test_no_path_escapes_through_a_link(
    repo: LocalArtifactRepository,
    tmp_path: Path,
    planted: Path,
    operation: str,
    path: str,
    match: str,
) -> None:
    before = tree(tmp_path)
    with pytest.raises(InvalidInputError, match=match):
        OPERATIONS[operation](repo, path, tmp_path)
    assert tree(tmp_path) == before  # nothing created or removed, inside the root or out


def test_log_artifacts_checks_every_destination_before_copying(
    repo: LocalArtifactRepository, root: Path, tmp_path: Path, planted: Path
) -> None:
    tree_src = tmp_path / "tree"
    (tree_src / "link").mkdir(parents=True)
    (tree_src / "a.txt").write_text("a")
    (tree_src / "link" / "x.txt").write_text("x")
    before = tree(tmp_path)
    with pytest.raises(InvalidInputError, match="'link/x.txt' escapes the run's artifact root"):
        repo.log_artifacts(tree_src)
    assert tree(tmp_path) == before


def test_escaping_links_are_listed_but_never_followed(
    repo: LocalArtifactRepository, root: Path, tmp_path: Path, planted: Path
) -> None:
    assert repo.list_artifacts() == [
        FileInfo("inside.txt", is_dir=False, file_size=6),
        FileInfo("link", is_dir=False, file_size=None),
    ]
    with pytest.raises(InvalidInputError, match="'link' is a symbolic link to a location outside"):
        repo.download_artifacts("", str(tmp_path / "dst"))
    assert not (tmp_path / "dst").exists()

    outside_before = tree(planted)
    repo.delete_artifacts()
    assert not root.exists()
    assert tree(planted) == outside_before


def test_links_inside_the_root_are_followed_and_deleted_as_links(
    repo: LocalArtifactRepository, root: Path, tmp_path: Path
) -> None:
    repo.write_bytes("real/data.txt", b"data")
    (root / "alias").symlink_to(root / "real", target_is_directory=True)
    (root / "real" / "loop").symlink_to(root, target_is_directory=True)
    with repo.open_artifact("alias/data.txt") as stream:
        assert stream.read() == b"data"
    assert repo.list_artifacts("alias") == [
        FileInfo("alias/data.txt", is_dir=False, file_size=4),
        FileInfo("alias/loop", is_dir=True, file_size=None),
    ]
    local = repo.download_artifacts("", str(tmp_path / "dst"))
    # The loop back to the root is not walked again; the alias is copied as a directory.
    assert files(Path(local)) == {"real/data.txt": b"data", "alias/data.txt": b"data"}
    repo.delete_artifacts("alias")
    repo.delete_artifacts("real/loop")
    assert files(root) == {"real/data.txt": b"data"}


def test_log_artifacts_follows_links_only_inside_the_source(
    repo: LocalArtifactRepository, root: Path, source: Path, tmp_path: Path
) -> None:
    (source / "alias.txt").symlink_to(source / "top.txt")
    (source / "sub" / "loop").symlink_to(source, target_is_directory=True)
    repo.log_artifacts(source)
    assert files(root) == {
        "top.txt": b"top",
        "alias.txt": b"top",
        "sub/mid.txt": b"mid",
        "sub/deeper/leaf.bin": BIG,
    }
    assert not (root / "alias.txt").is_symlink()

    (tmp_path / "secret.txt").write_text("secret")
    (source / "sub" / "leak.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(
        InvalidInputError,
        match=r"local path '.*/source/sub/leak.txt' is a symbolic link to a location "
        r"outside the directory being logged .*refusing to follow it",
    ):
        repo.log_artifacts(source, "again")
    assert not (root / "again").exists()


def test_log_artifacts_refuses_broken_links(repo: LocalArtifactRepository, source: Path) -> None:
    (source / "broken").symlink_to(source / "gone")
    with pytest.raises(InvalidInputError, match="'.*/source/broken' is a symbolic link to nothing"):
        repo.log_artifacts(source)


# ------------------------------------------------------------------------- registry


class MemoryArtifactRepository(ArtifactRepository):
    """A dict of path → bytes: the smallest remote-like backend."""

    def __init__(self, artifact_uri: str) -> None:
        super().__init__(artifact_uri)
        self.files: dict[str, bytes] = {}

    def log_artifact(self, local_file: Any, artifact_path: str | None = None) -> None:
        name = os.path.basename(os.fspath(local_file))
        self.write_bytes(
            _paths.join(_paths.normalize(artifact_path), name), Path(local_file).read_bytes()
        )

    def log_artifacts(self, local_dir: Any, artifact_path: str | None = None) -> None:
        for rel, data in files(Path(local_dir)).items():
            self.write_bytes(_paths.join(_paths.normalize(artifact_path), rel), data)

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        prefix = _paths.normalize(path)
        found: dict[str, FileInfo] = {}
        for key, data in self.files.items():
            if prefix and not key.startswith(prefix + "/"):
                continue
            rest = key[len(prefix) + 1 :] if prefix else key
            name, _, deeper = rest.partition("/")
            child = _paths.join(prefix, name)
            found[child] = FileInfo(child, bool(deeper), None if deeper else len(data))
        return sorted(found.values(), key=lambda info: info.path)

    def download_artifacts(self, artifact_path: str = "", dst_path: str | None = None) -> str:
        return self._download_via_listing(artifact_path, dst_path)

    def open_artifact(self, path: str) -> BinaryIO:
        key = _paths.normalize(path)
        if key not in self.files:
            raise NotFoundError(f"artifact {key!r} does not exist")
        return io.BytesIO(self.files[key])

    def write_bytes(self, artifact_path: str, data: bytes) -> None:
        self.files[_paths.normalize(artifact_path)] = bytes(data)

    def delete_artifacts(self, path: str | None = None) -> None:
        prefix = _paths.normalize(path)
        for key in list(self.files):
            if not prefix or key == prefix or key.startswith(prefix + "/"):
                del self.files[key]


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A private copy of the scheme table, so registrations end with the test."""
    table = dict(runlab.store.artifacts._factories)
    monkeypatch.setattr(runlab.store.artifacts, "_factories", table)
    return table


@pytest.mark.parametrize(
    "make_uri",
    [
        pytest.param(lambda p: p.as_uri(), id="file-uri"),
        pytest.param(lambda p: "FILE:" + str(p), id="upper-case-scheme"),
        pytest.param(str, id="absolute-path"),
        pytest.param(lambda p: os.path.relpath(p), id="relative-path"),
    ],
)
def test_registry_gives_local_repositories(tmp_path: Path, make_uri: Callable[[Path], str]) -> None:
    uri = make_uri(tmp_path / "a")
    repo = get_artifact_repository(uri)
    assert isinstance(repo, LocalArtifactRepository)
    assert repo.artifact_uri == uri
    assert repo.root == str(tmp_path / "a")


def test_registry_refuses_unknown_schemes() -> None:
    with pytest.raises(
        InvalidInputError,
        match=r"artifact URI 'hdfs://bucket/x': scheme 'hdfs' is not supported "
        r"\(supported: abfss, file, gs, http, https, s3, sftp, wasbs, or a plain path\)",
    ):
        get_artifact_repository("hdfs://bucket/x")


def test_registry_takes_new_schemes(registry: dict[str, Any], tmp_path: Path) -> None:
    built_in = set(registry)
    register_artifact_repository("mem", MemoryArtifactRepository)
    repo = get_artifact_repository("mem://run/1")
    assert isinstance(repo, MemoryArtifactRepository)
    assert repr(repo) == "MemoryArtifactRepository('mem://run/1')"
    with pytest.raises(
        InvalidInputError, match=r"supported: abfss, file, gs, http, https, mem, s3,"
    ):
        get_artifact_repository("hdfs://bucket")
    for bad in ("", "S3", "3d", "a", "a b", "s3:"):
        with pytest.raises(InvalidInputError, match="scheme .* is not valid"):
            register_artifact_repository(bad, MemoryArtifactRepository)
    assert set(registry) == built_in | {"mem"}


def test_download_via_listing(tmp_path: Path, temp_dir: Path) -> None:
    repo = MemoryArtifactRepository("mem://run")
    repo.write_bytes("model/weights.bin", BIG)
    repo.write_bytes("model/conf/a.yaml", b"a: 1")
    repo.write_bytes("notes.txt", b"n")

    local = repo.download_artifacts("model/weights.bin")
    assert Path(local).read_bytes() == BIG
    local = repo.download_artifacts("model", str(tmp_path / "dst"))
    assert local == str(tmp_path / "dst" / "model")
    assert files(Path(local)) == {"weights.bin": BIG, "conf/a.yaml": b"a: 1"}
    assert files(Path(repo.download_artifacts(dst_path=str(tmp_path / "all")))) == {
        "model/weights.bin": BIG,
        "model/conf/a.yaml": b"a: 1",
        "notes.txt": b"n",
    }
    before = os.listdir(temp_dir)
    with pytest.raises(NotFoundError):
        repo.download_artifacts("missing")
    assert os.listdir(temp_dir) == before


@pytest.mark.parametrize("listed", ["../../escape.txt", "/etc/x", "other/file.txt", "d"])
def test_download_via_listing_distrusts_the_listing(tmp_path: Path, listed: str) -> None:
    class Hostile(MemoryArtifactRepository):
        def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
            return [FileInfo(listed, is_dir=False, file_size=1)]

    repo = Hostile("mem://run")
    repo.write_bytes("d/f", b"x")
    with pytest.raises(StorageError, match="which is not an entry of that directory"):
        repo.download_artifacts("d", str(tmp_path / "dst" / "a" / "b"))
    assert files(tmp_path) == {}


def test_importing_artifacts_stays_light() -> None:
    code = (
        "import json, sys, runlab; before = set(sys.modules); import runlab.store.artifacts; "
        "print(json.dumps(sorted(set(sys.modules) - before)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    added = json.loads(out.stdout)
    foreign = [m for m in added if m.split(".")[0] not in sys.stdlib_module_names | {"runlab"}]
    assert foreign == []
