"""runlab archives: experiments, runs, models and artifacts in one portable folder or
compressed tar (``.tar.zst`` with the ``zstandard`` package, or ``.tar.gz``).

Format version 1, every JSON file UTF-8, one object per line (``.jsonl``)::

    manifest.json            {"format": "runlab-archive", "version": 1, "created": ms,
                              "runlab_version": "...", "source": "...", "counts": {...}}
    experiments.jsonl        experiment_id, name, lifecycle_stage, tags, creation_time,
                             last_update_time
    runs.jsonl               info (run_id, experiment_id, run_name, user_id, status,
                             start_time, end_time, lifecycle_stage), params, tags,
                             inputs [{dataset: {...}, tags: {...}}], deleted_time
    metrics.jsonl            {"run_id": ..., "points": [[key, value, timestamp, step], ...]}
                             one line per run; NaN and infinities as "NaN", "Infinity",
                             "-Infinity"
    logged_models.jsonl      model_id, experiment_id, name, times, status, model_type,
                             source_run_id, tags, params
    registered_models.jsonl  model (name, times, description, tags, aliases), versions,
                             transitions (the stage history)
    artifacts/runs/<run_id>/…             the run's files, byte for byte
    artifacts/logged_models/<model_id>/…  the logged model's files

An archive is read back as a :class:`Source` (:class:`ArchiveSource`), so importing it
goes through the same importer as any other source.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from runlab.errors import InvalidInputError
from runlab.migrate import _artifacts
from runlab.migrate.options import Options
from runlab.migrate.sources.base import Source

__all__ = ["ARCHIVE_VERSION", "FORMAT", "pack", "unpack", "write_archive"]

FORMAT = "runlab-archive"
ARCHIVE_VERSION = 1
_FILES = (
    "experiments.jsonl",
    "runs.jsonl",
    "metrics.jsonl",
    "logged_models.jsonl",
    "registered_models.jsonl",
)
_ZSTD_HINT = "install the zstandard package (pip install 'runlab[archive]') or write .tar.gz"


def number(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


class _Lines:
    def __init__(self, folder: Path, name: str) -> None:
        self.file = open(folder / name, "w", encoding="utf-8")
        self.count = 0

    def write(self, item: Any) -> None:
        self.file.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n")
        self.count += 1


def write_archive(
    source: Source, output: str | os.PathLike[str], options: Options | None = None,
    run_ids: set[str] | None = None, workers: int = 8,
) -> dict[str, int]:  # fmt: skip
    """Write what ``options`` (and ``run_ids``, when given) choose from ``source``; a
    path ending in ``.tar.zst``, ``.tar.gz`` or ``.tgz`` is packed, any other is a folder."""
    options = options or Options()
    out = Path(output)
    packed = _compression(out) is not None
    if not packed and out.exists() and any(out.iterdir()):
        raise InvalidInputError(f"output {str(out)!r} is a folder that is not empty")
    if packed:
        _compression(out, check=True)
    folder = Path(tempfile.mkdtemp(prefix="runlab-archive-")) if packed else out
    folder.mkdir(parents=True, exist_ok=True)
    files = {n: _Lines(folder, n) for n in _FILES}
    pairs = []
    chosen: set[str] = set()
    points = 0
    try:
        from runlab.artifacts import get_artifact_repository

        for exp in options.chosen(source.experiments()):
            if options.registry_only:
                break
            files["experiments.jsonl"].write(_experiment(exp))
            infos = [i for i in source.run_infos(exp.experiment_id) if options.wants(i)]
            if run_ids is not None:
                infos = [i for i in infos if i.run_id in run_ids]
            for start in range(0, len(infos), 100):
                for record in source.load_runs(exp.experiment_id, infos[start : start + 100]):
                    chosen.add(record.run_id)
                    files["runs.jsonl"].write(_run(record))
                    files["metrics.jsonl"].write(
                        {"run_id": record.run_id, "points": [
                            [m.key, number(m.value), m.timestamp, m.step] for m in record.metrics
                        ]}
                    )  # fmt: skip
                    points += len(record.metrics)
                    repo = source.artifacts(record.info.artifact_uri)
                    if repo is not None:
                        dst = folder / "artifacts" / "runs" / record.run_id
                        pairs.append((repo, get_artifact_repository(str(dst))))
            for lm in source.logged_models(exp.experiment_id):
                if run_ids is not None and lm.source_run_id not in chosen:
                    continue
                files["logged_models.jsonl"].write(asdict(lm))
                repo = source.artifacts(lm.artifact_location)
                if repo is not None:
                    dst = folder / "artifacts" / "logged_models" / lm.model_id
                    pairs.append((repo, get_artifact_repository(str(dst))))
        if not options.runs_only:
            for model in source.registered_models():
                if (options.experiments or run_ids is not None) and not any(
                    mv.run_id in chosen for mv in model.versions
                ):
                    continue
                files["registered_models.jsonl"].write(
                    {"model": asdict(model.model),
                     "versions": [asdict(v) for v in model.versions],
                     "transitions": [asdict(t) for t in model.transitions]}
                )  # fmt: skip
        copied = _artifacts.copy_trees(pairs, workers)
    finally:
        for lines in files.values():
            lines.file.close()
    counts = {name.split(".")[0]: lines.count for name, lines in files.items()}
    counts.update(metric_points=points, artifact_files=copied.files, artifact_bytes=copied.bytes)
    from runlab._version import __version__

    manifest = {
        "format": FORMAT,
        "version": ARCHIVE_VERSION,
        "created": int(time.time() * 1000),
        "runlab_version": __version__,
        "source": source.description,
        "counts": counts,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    if packed:
        try:
            pack(folder, out)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return counts


def _experiment(exp: Any) -> dict[str, Any]:
    found = asdict(exp)
    found.pop("artifact_location", None)
    return found


def _run(record: Any) -> dict[str, Any]:
    info = asdict(record.info)
    info.pop("artifact_uri", None)
    return {
        "info": info,
        "params": dict(record.params),
        "tags": dict(record.tags),
        "inputs": [
            {"dataset": asdict(d.dataset), "tags": {t.key: t.value for t in d.tags}}
            for d in record.inputs
        ],
        "deleted_time": record.deleted_time,
    }


# ------------------------------------------------------------------------ tar files
def _compression(path: Path, check: bool = False) -> str | None:
    name = path.name.lower()
    if name.endswith(".tar.zst") or name.endswith(".tzst"):
        if check:
            try:
                import zstandard  # noqa: F401
            except ModuleNotFoundError:
                raise InvalidInputError(
                    f"{path.name}: .tar.zst needs zstandard; {_ZSTD_HINT}"
                ) from None
        return "zst"
    if name.endswith(".tar.gz") or name.endswith(".tgz"):
        return "gz"
    if name.endswith(".tar"):
        return ""
    return None


def _open_stream(path: Path, mode: str) -> Iterator[IO[bytes]]:
    kind = _compression(path, check=True)
    with open(path, mode + "b") as raw:
        if kind == "zst":
            import zstandard

            if mode == "w":
                with zstandard.ZstdCompressor(level=6, threads=-1).stream_writer(raw) as out:
                    yield out
            else:
                with zstandard.ZstdDecompressor().stream_reader(raw) as stream:
                    yield stream
        else:
            yield raw


def pack(folder: Path, output: Path) -> None:
    """``folder`` as the tar ``output`` (compressed as its name says)."""
    import contextlib

    kind = _compression(output, check=True)
    output.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.contextmanager(_open_stream)(output, "w") as stream:
        tar_mode = "w:gz" if kind == "gz" else "w|"
        with tarfile.open(fileobj=stream, mode=tar_mode) as tar:  # type: ignore[call-overload]
            for path in sorted(folder.rglob("*")):
                tar.add(path, arcname=path.relative_to(folder).as_posix(), recursive=False)


def unpack(archive: Path, into: Path) -> None:
    """Extract ``archive`` into ``into``, refusing members that point outside it."""
    import contextlib

    kind = _compression(archive, check=True)
    with contextlib.contextmanager(_open_stream)(archive, "r") as stream:
        tar_mode = "r:gz" if kind == "gz" else "r|"
        with tarfile.open(fileobj=stream, mode=tar_mode) as tar:  # type: ignore[call-overload]
            tar.extractall(into, filter="data")
