"""What the artifact test modules share: sample data, tree readers and the operations
that every path-safety test runs."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runlab.store.artifacts import ArtifactRepository

BIG = bytes(range(256)) * (3 * 4096 + 17)  # ~3 MiB: several copy chunks


def tree(top: Path) -> dict[str, Any]:
    """Everything below ``top`` without following links: files, dirs and link targets."""
    found: dict[str, Any] = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            key = path.relative_to(top).as_posix()
            if path.is_symlink():
                found[key] = ("link", os.readlink(path))
            elif path.is_dir():
                found[key] = "dir"
            else:
                found[key] = path.read_bytes()
    return found


def files(top: Path) -> dict[str, bytes]:
    return {k: v for k, v in tree(top).items() if isinstance(v, bytes)}


def plant_sources(tmp: Path) -> None:
    """The local file and folder that OPERATIONS log."""
    (tmp / "src.txt").write_text("src")
    (tmp / "srcdir").mkdir()
    (tmp / "srcdir" / "f.txt").write_text("f")


# Each takes (repository, artifact path, tmp_path holding plant_sources' files).
OPERATIONS: dict[str, Callable[[ArtifactRepository, str, Path], object]] = {
    "log_artifact": lambda repo, path, tmp: repo.log_artifact(tmp / "src.txt", path),
    "log_artifacts": lambda repo, path, tmp: repo.log_artifacts(tmp / "srcdir", path),
    "write_bytes": lambda repo, path, tmp: repo.write_bytes(path, b"pwned"),
    "list_artifacts": lambda repo, path, tmp: repo.list_artifacts(path),
    "download_artifacts": lambda repo, path, tmp: repo.download_artifacts(path, str(tmp / "d")),
    "open_artifact": lambda repo, path, tmp: repo.open_artifact(path),
    "delete_artifacts": lambda repo, path, tmp: repo.delete_artifacts(path),
}


def mlflow_logs_through_proxy(base_url: str, tmp_path: Path, big: bytes) -> str:
    """MLflow's own client logs ``model/model.bin`` (``big``) and ``notes.txt`` to the
    runlab server at ``base_url``, which proxies them to its artifact destination; the
    listing and a download back are checked. Returns the run id, so the caller can look
    at what the destination holds."""
    import mlflow

    (tmp_path / "model.bin").write_bytes(big)
    (tmp_path / "notes.txt").write_text("hello")
    mlflow.set_tracking_uri(base_url)
    try:
        with mlflow.start_run() as run:
            mlflow.log_artifact(str(tmp_path / "model.bin"), artifact_path="model")
            mlflow.log_artifact(str(tmp_path / "notes.txt"))
        run_id = run.info.run_id
        assert run.info.artifact_uri.startswith("mlflow-artifacts:/")
        listed = {f.path: f.file_size for f in mlflow.MlflowClient().list_artifacts(run_id)}
        assert listed == {"model": None, "notes.txt": 5}
        local = mlflow.artifacts.download_artifacts(run_id=run_id, dst_path=str(tmp_path / "dl"))
    finally:
        mlflow.set_tracking_uri(None)
    assert (Path(local) / "model" / "model.bin").read_bytes() == big
    assert (Path(local) / "notes.txt").read_text() == "hello"
    return str(run_id)
