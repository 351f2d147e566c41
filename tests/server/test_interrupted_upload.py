"""An upload cut off by ``kill -9`` of the server leaves a partial file, never an artifact.

A real ``runlab server`` receives a large streaming PUT through the artifact proxy and
is killed with SIGKILL half-way. The half-written data sits in a ``PARTIAL_PREFIX``
file beside where the artifact would be; no listing shows it. The next server start
removes it once it is older than the grace period (a fresh one may be a sibling
server's upload in progress and is kept), and so does ``runlab gc``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests._servers import runlab_command, start_runlab_server

from runlab.store.artifacts import _multipart, _paths
from runlab.store.artifacts._partials import remove_stale_partials

PROXY = "/api/2.0/mlflow-artifacts/artifacts"
FOLDER = "1/0123456789abcdef0123456789abcdef/artifacts"
CHUNK = b"x" * (256 * 1024)


def _partials(destination: Path) -> list[Path]:
    return sorted(p for p in destination.rglob(f"{_paths.PARTIAL_PREFIX}*") if p.is_file())


def _wait_for(condition: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _listing(url: str, path: str) -> list[str]:
    response = httpx.get(f"{url}{PROXY}", params={"path": path}, timeout=30)
    assert response.status_code == 200, response.text
    return [entry["path"] for entry in response.json()["files"]]


def _server_args(tmp_path: Path, destination: Path) -> tuple[str, ...]:
    store = f"sqlite:///{tmp_path / 'runlab.db'}"
    return ("--backend-store-uri", store, "--artifacts-destination", str(destination))


def interrupted_upload(tmp_path: Path, destination: Path, name: str) -> Path:
    """Start a server, stream part of ``FOLDER/name`` to it, SIGKILL it; the partial file."""
    with start_runlab_server(tmp_path, *_server_args(tmp_path, destination)) as (url, process):
        # A finished file beside it, so the listing has something to show.
        done = httpx.put(f"{url}{PROXY}/{FOLDER}/done.txt", content=b"complete", timeout=30)
        assert done.status_code == 200, done.text
        release = threading.Event()

        def body() -> Iterator[bytes]:
            for _ in range(8):  # 2 MiB, then the client stalls: the server is mid-write
                yield CHUNK
            release.wait(60)
            yield CHUNK

        def upload() -> None:
            try:
                httpx.put(f"{url}{PROXY}/{FOLDER}/{name}", content=body(), timeout=60)
            except httpx.HTTPError:
                pass  # the server died under it, as intended

        client = threading.Thread(target=upload, daemon=True)
        client.start()
        _wait_for(lambda: any(p.stat().st_size > 0 for p in _partials(destination)))
        os.kill(process.pid, signal.SIGKILL)
        process.wait(30)
        release.set()
        client.join(30)
    (partial,) = _partials(destination)
    assert partial.parent == destination / FOLDER  # beside the file it was to become
    assert not (destination / FOLDER / name).exists()
    return partial


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


@pytest.mark.slow
def test_a_restart_removes_what_a_killed_upload_left(tmp_path: Path) -> None:
    destination = tmp_path / "artifacts"
    partial = interrupted_upload(tmp_path, destination, "big.bin")
    args = _server_args(tmp_path, destination)

    with start_runlab_server(tmp_path, *args) as (url, _):
        # Fresh: it may be a sibling server's upload in progress, so it stays, unlisted.
        assert _listing(url, FOLDER) == ["done.txt"]
        assert partial.name not in str(_listing(url, FOLDER.rsplit("/", 1)[0]))
        refused = httpx.get(f"{url}{PROXY}/{FOLDER}/{partial.name}", timeout=30)
        assert refused.status_code == 400, refused.text
        time.sleep(1.0)  # the start-up sweep has run by now
        assert partial.exists()

    _age(partial, 2 * 3600)  # older than the default grace period of an hour
    with start_runlab_server(tmp_path, *args) as (url, _):
        _wait_for(lambda: not partial.exists())
        assert _listing(url, FOLDER) == ["done.txt"]
        file = httpx.get(f"{url}{PROXY}/{FOLDER}/done.txt", timeout=30)
        assert file.content == b"complete"
    assert _partials(destination) == []


def _gc(tmp_path: Path, destination: Path, *args: str) -> subprocess.CompletedProcess[str]:
    store = f"sqlite:///{tmp_path / 'runlab.db'}"
    command = runlab_command(
        "--tracking-uri", store, "gc", "--artifacts-destination", str(destination), *args
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)


@pytest.mark.slow
def test_gc_removes_what_a_killed_upload_left(tmp_path: Path) -> None:
    destination = tmp_path / "artifacts"
    partial = interrupted_upload(tmp_path, destination, "model.bin")
    size = partial.stat().st_size

    kept = _gc(tmp_path, destination)  # default: only files silent for an hour
    assert kept.returncode == 0, kept.stderr
    assert (
        "Removed 0 partial files of interrupted uploads (0 bytes); kept 1 written to recently."
        in (kept.stdout)
    )
    assert partial.exists()

    _age(partial, 120)
    dry = _gc(tmp_path, destination, "--partial-older-than", "1m", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"Would remove partial file {partial}" in dry.stdout
    assert partial.exists()

    removed = _gc(tmp_path, destination, "--partial-older-than", "1m")
    assert removed.returncode == 0, removed.stderr
    assert f"Removed 1 partial file of interrupted uploads ({size} bytes)." in removed.stdout
    assert _partials(destination) == []
    assert (destination / FOLDER / "done.txt").read_bytes() == b"complete"


def test_gc_refuses_a_destination_that_is_not_a_folder(tmp_path: Path) -> None:
    result = _gc(tmp_path, tmp_path / "missing")
    assert result.returncode == 1
    assert "--artifacts-destination" in result.stderr
    assert "is not a folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_sweep_removes_only_old_partial_files(tmp_path: Path) -> None:
    root = tmp_path / "artifacts"
    folder = root / FOLDER
    folder.mkdir(parents=True)
    old = folder / f"{_paths.PARTIAL_PREFIX}old"
    fresh = folder / f"{_paths.PARTIAL_PREFIX}fresh"
    artifact = folder / "model.bin"
    for path in (old, fresh, artifact):
        path.write_bytes(b"12345")
    # A multipart upload in progress: its folder and finished parts stay, its
    # interrupted part write goes.
    staging = root / _multipart.STAGING_DIR / ("a" * 32)
    staging.mkdir(parents=True)
    part, torn = staging / _multipart.part_name(1), staging / f"{_paths.PARTIAL_PREFIX}torn"
    for path in (part, torn, staging / _multipart.MANIFEST):
        path.write_bytes(b"x")
    # A link named like a partial file, pointing outside the tree, is left alone.
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"keep")
    link = folder / f"{_paths.PARTIAL_PREFIX}link"
    link.symlink_to(outside)
    for path in (old, artifact, torn, part, outside):
        _age(path, 7200)
    os.utime(link, (time.time() - 7200,) * 2, follow_symlinks=False)

    dry = remove_stale_partials(str(root), 3600, dry_run=True)
    assert sorted(dry.removed) == sorted([str(old), str(torn)])
    assert all(path.exists() for path in (old, torn))

    swept = remove_stale_partials(str(root), 3600)
    assert sorted(swept.removed) == sorted([str(old), str(torn)])
    assert (swept.bytes, swept.recent) == (6, 1)
    assert not any(path.exists() for path in (old, torn))
    assert all(path.exists() for path in (fresh, artifact, part, staging))
    assert link.is_symlink()
    assert outside.read_bytes() == b"keep"


def test_the_sweep_of_a_missing_folder_is_empty(tmp_path: Path) -> None:
    assert remove_stale_partials(str(tmp_path / "none"), 0).removed == []
