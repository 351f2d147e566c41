"""Copying artifacts byte for byte, many files at once.

A file is copied when the target lacks it or holds a different size, so a second copy
sends nothing and an interrupted one sends what is left. Files stream from source to
target (never whole in memory) through the artifact repositories, whatever storage is
behind each side.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from runlab.store.artifacts.base import ArtifactRepository

__all__ = ["CopyResult", "copy_trees", "list_files"]


def list_files(repo: ArtifactRepository, path: str = "") -> dict[str, int | None]:
    """Every file below ``path``: its path and size."""
    found: dict[str, int | None] = {}
    for entry in repo.list_artifacts(path or None):
        if entry.is_dir:
            found.update(list_files(repo, entry.path))
        else:
            found[entry.path] = entry.file_size
    return found


@dataclass
class CopyResult:
    files: int = 0
    bytes: int = 0


def _copy_one(src: ArtifactRepository, dst: ArtifactRepository, path: str) -> None:
    with src.open_artifact(path) as stream:
        dst.write_stream(path, stream)


def copy_trees(
    pairs: Sequence[tuple[ArtifactRepository, ArtifactRepository]],
    workers: int,
    on_planned: Callable[[int], None] = lambda n: None,
    on_copied: Callable[[int], None] = lambda n: None,
) -> CopyResult:
    """Copy each source tree to its target; ``on_planned`` gets the bytes to copy once
    they are known, ``on_copied`` each file's bytes as it lands."""
    result = CopyResult()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="runlab-copy") as pool:
        listings = list(pool.map(lambda p: (list_files(p[0]), list_files(p[1])), pairs))
        jobs = []
        for (src, dst), (have, there) in zip(pairs, listings, strict=True):
            for path, size in have.items():
                if path in there and there[path] == size:
                    continue
                jobs.append((src, dst, path, size or 0))
        on_planned(sum(job[3] for job in jobs))

        def run(job: tuple[ArtifactRepository, ArtifactRepository, str, int]) -> int:
            _copy_one(job[0], job[1], job[2])
            on_copied(job[3])
            return job[3]

        for size in pool.map(run, jobs):
            result.files += 1
            result.bytes += size
    return result
