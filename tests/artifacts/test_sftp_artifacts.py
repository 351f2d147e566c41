"""SFTP artifacts against a real OpenSSH server on a loopback port (tests/_sshd.py).

The shared contract lives in test_artifact_contract.py; these tests cover what is
particular to SFTP: URI forms, credentials and host keys from the usual OpenSSH files,
symbolic links on the server, large files, interrupted writes, lost connections, and
runs logging directly and through a tracking server.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from tests._sshd import ALIAS, SSHServer
from tests.artifacts._cases import mlflow_logs_through_proxy

import runlab
from runlab.errors import ConfigurationError, InvalidInputError, StorageError
from runlab.store.artifacts import FileInfo, get_artifact_repository
from runlab.store.artifacts.sftp import (
    SFTPArtifactRepository,
    SFTPLocation,
    _sessions,
    close_all,
    parse_sftp_uri,
)

pytestmark = pytest.mark.sftp
MB = 1024 * 1024


@pytest.fixture
def repo(sftp_home: SSHServer, sftp_root: Path) -> SFTPArtifactRepository:
    repository = get_artifact_repository(sftp_home.uri(sftp_root / "artifacts"))
    assert isinstance(repository, SFTPArtifactRepository)
    return repository


def on_disk(top: Path) -> dict[str, bytes]:
    """The regular files below ``top`` as the server stores them."""
    return {
        p.relative_to(top).as_posix(): p.read_bytes()
        for p in sorted(top.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


# ------------------------------------------------------------------------------ URIs


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("sftp://host/data", SFTPLocation("host", None, None, None, "/data")),
        ("sftp://me@host:2222/a/b/", SFTPLocation("host", 2222, "me", None, "/a/b")),
        ("sftp://me:p%40ss@host/x//y/./z", SFTPLocation("host", None, "me", "p@ss", "/x/y/z")),
        (
            "SFTP://[::1]:22/srv/art%20ifacts",
            SFTPLocation("::1", 22, None, None, "/srv/art ifacts"),
        ),
    ],
)
def test_parse_sftp_uri(uri: str, expected: SFTPLocation) -> None:
    assert parse_sftp_uri(uri) == expected


@pytest.mark.parametrize(
    ("uri", "match"),
    [
        ("sftp:///data", "names no host"),
        ("sftp://host", "names no directory"),
        ("sftp://host/", "names no directory"),
        ("sftp://host:notaport/x", "port must be a number"),
        ("sftp://host:0/x", "port must be from 1 to 65535"),
        ("sftp://host/x?y=1", "take no query or fragment"),
        ("sftp://host/x#y", "take no query or fragment"),
        ("sftp://host/a%00b", "NUL bytes"),
    ],
)
def test_bad_uris_are_refused_with_the_rule(uri: str, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        get_artifact_repository(uri)


def test_the_password_is_never_shown() -> None:
    with pytest.raises(InvalidInputError) as caught:
        get_artifact_repository("sftp://me:s3cret@host/x?q")
    assert "s3cret" not in str(caught.value)
    assert "***" in str(caught.value)
    location = parse_sftp_uri("sftp://me:s3cret@host:2200/x")
    assert str(location) == "sftp://me@host:2200/x"
    assert "s3cret" not in repr(SFTPArtifactRepository("sftp://me:s3cret@host:2200/x"))


# --------------------------------------------------------------------- the server side


def test_files_land_in_the_root_on_the_server(
    repo: SFTPArtifactRepository, sftp_root: Path, source: Path
) -> None:
    repo.log_artifacts(source, "model")
    repo.write_bytes("notes.txt", b"n")
    root = sftp_root / "artifacts"
    assert sorted(on_disk(root)) == [
        "model/sub/deeper/leaf.bin",
        "model/sub/mid.txt",
        "model/top.txt",
        "notes.txt",
    ]
    assert on_disk(root)["model/top.txt"] == b"top"
    # A real file system: a directory made by another tool is listed even when empty.
    (root / "empty").mkdir()
    assert FileInfo("empty", True, None) in repo.list_artifacts()
    assert not [p for p in root.rglob("*") if "runlab-partial" in p.name]


def test_a_host_alias_of_the_ssh_config_supplies_host_port_user_and_key(
    sftp_home: SSHServer, sftp_root: Path
) -> None:
    repository = get_artifact_repository(f"sftp://{ALIAS}{sftp_root.as_posix()}/via-alias")
    repository.write_bytes("x.txt", b"through the alias")
    assert (sftp_root / "via-alias" / "x.txt").read_bytes() == b"through the alias"
    assert isinstance(repository, SFTPArtifactRepository)
    assert repository.endpoint.port == sftp_home.port
    assert repository.endpoint.hostname == "127.0.0.1"


def private_home(server: SSHServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the server's prepared home that a test may change."""
    home = tmp_path / "home"
    shutil.copytree(server.home, home)
    monkeypatch.setenv("HOME", str(home))
    close_all()  # no connection made with the shared home is reused
    return home


def test_an_unknown_host_is_refused_unless_the_config_accepts_it(
    sftp_home: SSHServer, sftp_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = private_home(sftp_home, tmp_path, monkeypatch)
    (home / ".ssh" / "known_hosts").write_text("")
    uri = sftp_home.uri(sftp_root)
    with pytest.raises(StorageError, match=r"not a known host.*ssh-keyscan -p \d+ 127\.0\.0\.1"):
        get_artifact_repository(uri).write_bytes("x", b"x")
    (home / ".ssh" / "config").write_text("Host 127.0.0.1\n  StrictHostKeyChecking no\n")
    get_artifact_repository(uri).write_bytes("x", b"x")
    assert (sftp_root / "x").read_bytes() == b"x"


def test_a_changed_host_key_is_refused(
    sftp_home: SSHServer, sftp_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = private_home(sftp_home, tmp_path, monkeypatch)
    other = (home / ".ssh" / "id_ed25519.pub").read_text().split()[:2]  # any other key
    (home / ".ssh" / "known_hosts").write_text(f"[127.0.0.1]:{sftp_home.port} {' '.join(other)}\n")
    with pytest.raises(StorageError, match="host key that differs"):
        get_artifact_repository(sftp_home.uri(sftp_root)).list_artifacts()


def test_a_refused_login_says_what_to_check(
    sftp_home: SSHServer, sftp_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = private_home(sftp_home, tmp_path, monkeypatch)
    for key in (home / ".ssh").glob("id_*"):
        key.unlink()
    uri = f"sftp://{sftp_home.user}:wrong-password@127.0.0.1:{sftp_home.port}{sftp_root}"
    with pytest.raises(StorageError, match="refused the login.*IdentityFile") as caught:
        get_artifact_repository(uri).list_artifacts()
    assert "wrong-password" not in str(caught.value)


def test_nothing_listening(sftp_home: SSHServer) -> None:
    from tests._servers import free_port

    port = free_port()
    with pytest.raises(StorageError, match=f"could not connect to SFTP server .*:{port}"):
        get_artifact_repository(f"sftp://127.0.0.1:{port}/x").list_artifacts()


def test_a_lost_connection_is_replaced(repo: SFTPArtifactRepository) -> None:
    repo.write_bytes("a.txt", b"a")
    pool = _sessions.pool_for(repo.endpoint)
    pool._client.get_transport().close()  # the server went away, or a network blip
    repo.write_bytes("b.txt", b"b")
    assert [i.path for i in repo.list_artifacts()] == ["a.txt", "b.txt"]


def test_threads_share_one_repository(repo: SFTPArtifactRepository) -> None:
    failures: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(5):
                data = f"{n}-{i}".encode() * 1000
                repo.write_bytes(f"t{n}/f{i}.bin", data)
                with repo.open_artifact(f"t{n}/f{i}.bin") as stream:
                    assert stream.read() == data
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(repo.list_artifacts()) == 8
    # Channels are given back and reused: a handful stay open, not one per operation.
    assert len(_sessions.pool_for(repo.endpoint)._idle) <= _sessions._MAX_IDLE


# ------------------------------------------------------------------- large files, writes


def test_a_large_file_streams_both_ways(repo: SFTPArtifactRepository, tmp_path: Path) -> None:
    big = os.urandom(24 * MB + 5)
    (tmp_path / "weights.bin").write_bytes(big)
    repo.log_artifact(tmp_path / "weights.bin", "model")
    assert repo.list_artifacts("model") == [FileInfo("model/weights.bin", False, len(big))]
    local = repo.download_artifacts("model", str(tmp_path / "dl"))
    assert (Path(local) / "weights.bin").read_bytes() == big


class Unseekable(io.RawIOBase):
    """A forward-only stream, like a request body; fails after ``fail_after`` bytes."""

    def __init__(self, data: bytes, fail_after: int | None = None) -> None:
        self._data = io.BytesIO(data)
        self._fail_after = fail_after

    def readable(self) -> bool:
        return True

    def readinto(self, target: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._fail_after is not None and self._data.tell() >= self._fail_after:
            raise ConnectionResetError("the client went away")
        chunk = self._data.read(len(target))
        target[: len(chunk)] = chunk
        return len(chunk)


def test_write_stream_from_a_forward_only_stream(repo: SFTPArtifactRepository) -> None:
    data = os.urandom(3 * MB + 1)
    repo.write_stream("up/body.bin", io.BufferedReader(Unseekable(data)))
    with repo.open_artifact("up/body.bin") as stream:
        assert stream.read() == data


def test_an_interrupted_write_keeps_the_old_file_and_leaves_no_partial(
    repo: SFTPArtifactRepository, sftp_root: Path
) -> None:
    repo.write_bytes("model.bin", b"old")
    with pytest.raises(StorageError, match="could not write artifact 'model.bin'.*went away"):
        repo.write_stream("model.bin", Unseekable(os.urandom(4 * MB), fail_after=2 * MB))
    assert on_disk(sftp_root / "artifacts") == {"model.bin": b"old"}
    assert repo.list_artifacts() == [FileInfo("model.bin", False, 3)]
    repo.write_bytes("model.bin", b"new")  # the channel is still good
    assert on_disk(sftp_root / "artifacts") == {"model.bin": b"new"}


def test_writes_that_would_replace_a_directory_or_pass_a_file(
    repo: SFTPArtifactRepository,
) -> None:
    repo.write_bytes("d/x.txt", b"x")
    with pytest.raises(InvalidInputError, match="'d' is a directory; a file cannot replace it"):
        repo.write_bytes("d", b"y")
    with pytest.raises(InvalidInputError, match="one of its parent directories is a file"):
        repo.write_bytes("d/x.txt/y", b"y")


# ------------------------------------------------------------- symbolic links on the server


@pytest.fixture
def planted(repo: SFTPArtifactRepository, sftp_root: Path, tmp_path: Path) -> Path:
    """Links in the root: to a directory and a file outside it, and to a file inside."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    repo.write_bytes("real/inside.txt", b"inside")
    root = sftp_root / "artifacts"
    os.symlink(outside, root / "out")
    os.symlink(outside / "secret.txt", root / "leak.txt")
    os.symlink(root / "real" / "inside.txt", root / "alias.txt")
    os.symlink(root / "real", root / "real-dir")
    return outside


ESCAPE = "escapes the run's artifact root .*symbolic link"


@pytest.mark.parametrize(
    "operation",
    [
        lambda repo, tmp: repo.write_bytes("out/new.txt", b"x"),
        lambda repo, tmp: repo.write_bytes("out/secret.txt", b"pwned"),
        lambda repo, tmp: repo.list_artifacts("out"),
        lambda repo, tmp: repo.open_artifact("out/secret.txt"),
        lambda repo, tmp: repo.open_artifact("leak.txt"),
        lambda repo, tmp: repo.download_artifacts("out", str(tmp / "dl")),
        lambda repo, tmp: repo.download_artifacts("leak.txt", str(tmp / "dl")),
        lambda repo, tmp: repo.delete_artifacts("out/secret.txt"),
        lambda repo, tmp: repo.write_bytes("leak.txt", b"pwned"),
    ],
    ids=[
        "write-through-dir",
        "overwrite-through-dir",
        "list",
        "open-through-dir",
        "open-file-link",
        "download-dir",
        "download-file-link",
        "delete-through-dir",
        "write-over-file-link",
    ],
)
def test_links_never_lead_outside_the_root(
    repo: SFTPArtifactRepository, planted: Path, tmp_path: Path, operation: object
) -> None:
    before = {p.name: p.read_bytes() for p in planted.iterdir()}
    with pytest.raises(InvalidInputError, match=ESCAPE):
        operation(repo, tmp_path)  # type: ignore[operator]
    assert not (tmp_path / "dl").exists()
    assert {p.name: p.read_bytes() for p in planted.iterdir()} == before


def test_links_are_listed_and_followed_only_inside(
    repo: SFTPArtifactRepository, planted: Path, tmp_path: Path
) -> None:
    assert repo.list_artifacts() == [
        FileInfo("alias.txt", False, 6),
        FileInfo("leak.txt", False, None),  # nothing about the outside file is shown
        FileInfo("out", False, None),
        FileInfo("real", True, None),
        FileInfo("real-dir", True, None),
    ]
    with repo.open_artifact("alias.txt") as stream:
        assert stream.read() == b"inside"
    assert repo.list_artifacts("real-dir") == [FileInfo("real-dir/inside.txt", False, 6)]
    with pytest.raises(InvalidInputError, match=ESCAPE):
        repo.open_artifact("out/secret.txt")
    repo.delete_artifacts("leak.txt")
    repo.delete_artifacts("out")
    repo.delete_artifacts()
    assert (planted / "secret.txt").read_text() == "secret"
    assert not Path(repo.root).exists()


# --------------------------------------------------------------- settings and installation


def test_the_timeout_comes_from_the_environment(
    sftp_home: SSHServer, sftp_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNLAB_SFTP_TIMEOUT", "7.5")
    assert SFTPArtifactRepository(sftp_home.uri(sftp_root)).endpoint.timeout == 7.5
    monkeypatch.setenv("RUNLAB_SFTP_TIMEOUT", "soon")
    with pytest.raises(ConfigurationError, match="RUNLAB_SFTP_TIMEOUT='soon'"):
        SFTPArtifactRepository(sftp_home.uri(sftp_root))


def test_without_paramiko_the_error_says_what_to_install() -> None:
    code = (
        "import sys; sys.modules['paramiko'] = None\n"
        "from runlab.store.artifacts import get_artifact_repository\n"
        "from runlab.errors import StorageError\n"
        "try:\n"
        "    get_artifact_repository('sftp://me:s3cret@host/p')\n"
        "except StorageError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'runlab[sftp]'" in out.stdout
    assert "'sftp://me@host/p'" in out.stdout
    assert "s3cret" not in out.stdout


def test_importing_runlab_does_not_import_paramiko() -> None:
    code = (
        "import json, sys, runlab, runlab.store.artifacts\n"
        "runlab.store.artifacts.get_artifact_repository('file:///tmp/x')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('paramiko'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


# -------------------------------------------------------------------------- runs, end to end


def test_a_run_logs_to_an_sftp_artifact_root(
    fresh_fluent_state: None,
    sqlite_uri: str,
    sftp_home: SSHServer,
    sftp_root: Path,
    tmp_path: Path,
) -> None:
    root = sftp_home.uri(sftp_root / "team-a")
    runlab.set_tracking_uri(sqlite_uri)
    experiment_id = runlab.create_experiment("sftp-artifacts", artifact_location=root)
    weights = os.urandom(3 * MB)
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "weights.bin").write_bytes(weights)
    (tmp_path / "report.txt").write_text("good")
    with runlab.start_run(experiment_id=experiment_id) as run:
        runlab.log_artifact(tmp_path / "report.txt")
        runlab.log_artifacts(tmp_path / "model", "model")
        runlab.log_dict({"lr": 0.1}, "config/params.json")
        artifact_uri = runlab.get_artifact_uri()
    run_id = run.info.run_id
    assert artifact_uri == f"{root}/{run_id}/artifacts"
    stored = on_disk(sftp_root / "team-a" / run_id / "artifacts")
    assert sorted(stored) == ["config/params.json", "model/weights.bin", "report.txt"]
    local = Path(runlab.download_artifacts("", run_id=run_id, dst_path=str(tmp_path / "dst")))
    assert (local / "model" / "weights.bin").read_bytes() == weights
    assert json.loads((local / "config" / "params.json").read_text()) == {"lr": 0.1}


@pytest.mark.slow
def test_a_server_keeps_proxied_artifacts_on_sftp(
    sftp_home: SSHServer, sftp_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``runlab server --artifacts-destination sftp://…`` driven by MLflow's own client,
    which needs no SSH key: the server alone logs in."""
    from tests._servers import start_runlab_server

    big = os.urandom(3 * MB + 7)
    with start_runlab_server(
        tmp_path, *("--artifacts-destination", sftp_home.uri(sftp_root / "proxied"))
    ) as (base_url, _process):
        monkeypatch.setenv("HOME", str(tmp_path))  # the client has no SSH files at all
        run_id = mlflow_logs_through_proxy(base_url, tmp_path, big)
    stored = on_disk(sftp_root / "proxied" / "0" / run_id / "artifacts")
    assert stored == {"model/model.bin": big, "notes.txt": b"hello"}
