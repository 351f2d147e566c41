"""A runlab archive (see :mod:`runlab.migrate.archive` for the format) as a source."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runlab.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    InputTag,
    Metric,
    ModelVersion,
    ModelVersionStageTransition,
    RegisteredModel,
    RunInfo,
)
from runlab.entities_logged_models import LoggedModel
from runlab.errors import InvalidInputError
from runlab.migrate.sources.base import Source
from runlab.store.imports import ModelRecord, RunRecord

if TYPE_CHECKING:
    from runlab.store.artifacts.base import ArtifactRepository

__all__ = ["ArchiveSource"]

_VALUES = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}
_RUN_PREFIX = "archive:runs/"
_MODEL_PREFIX = "archive:logged_models/"


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    if not path.is_file():
        return
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except ValueError:
                    raise InvalidInputError(f"{path.name} line {number} is not JSON") from None


class ArchiveSource(Source):
    """The archive folder or tar file at ``path``."""

    def __init__(self, path: str) -> None:
        from runlab.migrate.archive import ARCHIVE_VERSION, FORMAT, _compression, unpack

        super().__init__()
        given = Path(path)
        self.description = str(given)
        self._temp: Path | None = None
        if given.is_dir():
            self.folder = given
        elif given.is_file() and _compression(given) is not None:
            self._temp = Path(tempfile.mkdtemp(prefix="runlab-archive-"))
            unpack(given, self._temp)
            self.folder = self._temp
        else:
            raise InvalidInputError(
                f"archive {path!r} is neither a folder nor a .tar.zst, .tar.gz or .tar file"
            )
        manifest_path = self.folder / "manifest.json"
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise InvalidInputError(f"archive {path!r} has no readable manifest.json") from None
        if manifest.get("format") != FORMAT:
            raise InvalidInputError(f"archive {path!r}: manifest.json format is not {FORMAT!r}")
        version = manifest.get("version")
        if not isinstance(version, int) or version > ARCHIVE_VERSION:
            raise InvalidInputError(
                f"archive {path!r} is format version {version!r}; this runlab reads versions "
                f"up to {ARCHIVE_VERSION} (upgrade runlab)"
            )
        self.manifest = manifest
        self._runs: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for item in _lines(self.folder / "runs.jsonl"):
            self._runs[str(item["info"]["experiment_id"])].append(item)
        self._points: dict[str, list[Metric]] | None = None

    def close(self) -> None:
        if self._temp is not None:
            shutil.rmtree(self._temp, ignore_errors=True)

    def experiments(self) -> list[Experiment]:
        return [
            Experiment(
                str(e["experiment_id"]),
                e["name"],
                "",
                e.get("lifecycle_stage") or "active",
                e.get("tags") or {},
                e.get("creation_time"),
                e.get("last_update_time"),
            )  # fmt: skip
            for e in _lines(self.folder / "experiments.jsonl")
        ]

    def run_infos(self, experiment_id: str) -> list[RunInfo]:
        return [self._info(item) for item in self._runs.get(experiment_id, ())]

    @staticmethod
    def _info(item: dict[str, Any]) -> RunInfo:
        i = item["info"]
        return RunInfo(
            i["run_id"], str(i["experiment_id"]), i.get("run_name") or "", i.get("user_id") or "",
            i.get("status") or "FINISHED", i.get("start_time"), i.get("end_time"),
            _RUN_PREFIX + i["run_id"], i.get("lifecycle_stage") or "active",
        )  # fmt: skip

    def _all_points(self) -> dict[str, list[Metric]]:
        if self._points is None:
            self._points = {
                item["run_id"]: [
                    Metric(k, _VALUES[v] if isinstance(v, str) else float(v), ts, step)
                    for k, v, ts, step in item["points"]
                ]
                for item in _lines(self.folder / "metrics.jsonl")
            }
        return self._points

    def load_runs(self, experiment_id: str, infos: Sequence[RunInfo]) -> list[RunRecord]:
        wanted = {i.run_id for i in infos}
        points = self._all_points()
        records = []
        for item in self._runs.get(experiment_id, ()):
            run_id = item["info"]["run_id"]
            if run_id not in wanted:
                continue
            inputs = [
                DatasetInput(
                    Dataset(**d["dataset"]),
                    tuple(InputTag(k, v) for k, v in sorted(d.get("tags", {}).items())),
                )
                for d in item.get("inputs") or ()
            ]
            records.append(
                RunRecord(self._info(item), item.get("params") or {}, item.get("tags") or {},
                          points.get(run_id, []), inputs, item.get("deleted_time"))
            )  # fmt: skip
        return records

    def registered_models(self) -> list[ModelRecord]:
        records = []
        for item in _lines(self.folder / "registered_models.jsonl"):
            model = RegisteredModel(**{**item["model"], "latest_versions": []})
            versions = [ModelVersion(**v) for v in item.get("versions") or ()]
            moves = [ModelVersionStageTransition(**t) for t in item.get("transitions") or ()]
            records.append(ModelRecord(model, versions, moves))
        return records

    def logged_models(self, experiment_id: str) -> list[LoggedModel]:
        return [
            LoggedModel(**{**m, "artifact_location": _MODEL_PREFIX + m["model_id"]})
            for m in _lines(self.folder / "logged_models.jsonl")
            if str(m["experiment_id"]) == experiment_id
        ]

    def artifacts(self, artifact_uri: str) -> ArtifactRepository | None:
        from runlab.artifacts import get_artifact_repository

        for prefix, sub in ((_RUN_PREFIX, "runs"), (_MODEL_PREFIX, "logged_models")):
            if artifact_uri.startswith(prefix):
                folder = self.folder / "artifacts" / sub / artifact_uri[len(prefix) :]
                return get_artifact_repository(str(folder)) if folder.is_dir() else None
        return None
