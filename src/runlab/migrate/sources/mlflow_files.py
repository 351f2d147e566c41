"""MLflow's file store: an ``mlruns/`` folder, read file by file.

Layout (as MLflow 3.17.2 writes it): ``<experiment>/meta.yaml`` and ``tags/``; deleted
experiments under ``.trash/``; ``<experiment>/<run>/meta.yaml``, ``params/``, ``tags/``,
``metrics/`` (one line per point: ``timestamp value step``), ``inputs/<id>/meta.yaml``
pointing at ``<experiment>/datasets/<id>/meta.yaml``, ``artifacts/``; logged models in
``<experiment>/models/<id>/``; registered models in ``models/<name>/``, with
``version-<n>/``, ``tags/`` and ``aliases/``. Keys with ``/`` are nested folders.
"""

from __future__ import annotations

import math
import os
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
    RegisteredModel,
    RunInfo,
)
from runlab.entities_logged_models import LoggedModel
from runlab.errors import InvalidInputError
from runlab.migrate.sources import _mlflow
from runlab.migrate.sources.base import Source
from runlab.store.imports import ModelRecord, RunRecord

if TYPE_CHECKING:
    from runlab.store.artifacts.base import ArtifactRepository

__all__ = ["MlflowFileSource"]

_NOT_RUNS = {"tags", "datasets", "models", "traces"}
_VALUES = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def _yaml(path: Path) -> dict[str, Any]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as f:
        found = yaml.load(f, Loader=loader)
    return found if isinstance(found, dict) else {}


def _key_files(folder: Path) -> Iterator[tuple[str, Path]]:
    """(key, file) for each file below ``folder``; nested folders make keys with ``/``."""
    if not folder.is_dir():
        return
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(dirpath, name)
            yield path.relative_to(folder).as_posix(), path


def _key_values(folder: Path) -> dict[str, str]:
    return {key: path.read_text(encoding="utf-8") for key, path in _key_files(folder)}


def _number(text: str) -> float:
    found = _VALUES.get(text.lower())
    return found if found is not None else float(text)


class MlflowFileSource(Source):
    """The ``mlruns`` folder at ``root``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        super().__init__()
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise InvalidInputError(f"source {str(root)!r} is not a folder")
        self.description = str(self.root)
        self._experiment_dirs: dict[str, Path] = {}
        self._run_dirs: dict[str, Path] = {}
        self._deleted_time: dict[str, int | None] = {}

    # ------------------------------------------------------------------ experiments
    def experiments(self) -> list[Experiment]:
        found = []
        for parent in (self.root, self.root / ".trash"):
            if not parent.is_dir():
                continue
            for folder in sorted(parent.iterdir()):
                meta_path = folder / "meta.yaml"
                if folder.name.startswith(".") or not meta_path.is_file():
                    continue
                meta = _yaml(meta_path)
                if "experiment_id" not in meta:
                    continue
                eid = str(meta["experiment_id"])
                self._experiment_dirs[eid] = folder
                stage = meta.get("lifecycle_stage") or "active"
                if parent.name == ".trash":
                    stage = "deleted"
                name = str(meta.get("name") or eid)
                found.append(
                    Experiment(eid, name, meta.get("artifact_location") or "", stage,
                               _key_values(folder / "tags"), meta.get("creation_time"),
                               meta.get("last_update_time"))
                )  # fmt: skip
        return sorted(found, key=lambda e: (len(e.experiment_id), e.experiment_id))

    def _experiment_dir(self, experiment_id: str) -> Path:
        if not self._experiment_dirs:
            self.experiments()
        return self._experiment_dirs[experiment_id]

    # ------------------------------------------------------------------ runs
    def run_infos(self, experiment_id: str) -> list[RunInfo]:
        folder = self._experiment_dir(experiment_id)
        infos = []
        for run_dir in sorted(folder.iterdir()):
            meta_path = run_dir / "meta.yaml"
            if run_dir.name in _NOT_RUNS or not meta_path.is_file():
                continue
            meta = _yaml(meta_path)
            run_id = str(meta.get("run_id") or meta.get("run_uuid") or run_dir.name)
            self._run_dirs[run_id] = run_dir
            self._deleted_time[run_id] = meta.get("deleted_time")
            infos.append(
                RunInfo(run_id, experiment_id, str(meta.get("run_name") or ""),
                        str(meta.get("user_id") or ""), _mlflow.run_status(meta.get("status")),
                        meta.get("start_time"), meta.get("end_time"),
                        str(meta.get("artifact_uri") or ""),
                        meta.get("lifecycle_stage") or "active")
            )  # fmt: skip
        return sorted(infos, key=lambda i: (i.start_time or 0, i.run_id))

    def load_runs(self, experiment_id: str, infos: Sequence[RunInfo]) -> list[RunRecord]:
        exp_dir = self._experiment_dir(experiment_id)
        records = []
        for info in infos:
            run_dir = self._run_dirs[info.run_id]
            metrics = []
            for key, path in _key_files(run_dir / "metrics"):
                with open(path, encoding="utf-8") as f:
                    for line in f:
                        parts = line.split()
                        if len(parts) >= 2:
                            step = int(parts[2]) if len(parts) > 2 else 0
                            metrics.append(Metric(key, _number(parts[1]), int(parts[0]), step))
            tags = _key_values(run_dir / "tags")
            records.append(
                RunRecord(info, _key_values(run_dir / "params"), tags, metrics,
                          self._inputs(exp_dir, run_dir), self._deleted_time.get(info.run_id))
            )  # fmt: skip
        return records

    @staticmethod
    def _inputs(exp_dir: Path, run_dir: Path) -> list[DatasetInput]:
        found = []
        folder = run_dir / "inputs"
        if not folder.is_dir():
            return []
        for input_dir in sorted(folder.iterdir()):
            meta_path = input_dir / "meta.yaml"
            if not meta_path.is_file():
                continue
            meta = _yaml(meta_path)
            if meta.get("source_type") != "DATASET":
                continue
            ds_path = exp_dir / "datasets" / str(meta.get("source_id")) / "meta.yaml"
            if not ds_path.is_file():
                continue
            ds = _yaml(ds_path)
            dataset = Dataset(str(ds.get("name")), str(ds.get("digest")),
                              str(ds.get("source_type") or ""), str(ds.get("source") or ""),
                              ds.get("schema"), ds.get("profile"))  # fmt: skip
            tags = tuple(InputTag(k, str(v)) for k, v in sorted((meta.get("tags") or {}).items()))
            found.append(DatasetInput(dataset, tags))
        return sorted(found, key=lambda d: d.dataset.name)

    # ------------------------------------------------------------------ models
    def registered_models(self) -> list[ModelRecord]:
        folder = self.root / "models"
        if not folder.is_dir():
            return []
        records = []
        for model_dir in sorted(p for p in folder.iterdir() if (p / "meta.yaml").is_file()):
            meta = _yaml(model_dir / "meta.yaml")
            name = str(meta.get("name") or model_dir.name)
            aliases = {a: int(p.read_text().strip()) for a, p in _key_files(model_dir / "aliases")}
            versions = []
            for version_dir in model_dir.glob("version-*"):
                v = _yaml(version_dir / "meta.yaml")
                number = int(v["version"])
                versions.append(
                    ModelVersion(name, number, v.get("creation_timestamp") or 0,
                                 v.get("last_updated_timestamp"), v.get("description"),
                                 v.get("user_id"), v.get("current_stage") or "None",
                                 v.get("source"), v.get("run_id"), v.get("run_link"),
                                 v.get("status") or "READY", v.get("status_message"),
                                 _key_values(version_dir / "tags"),
                                 [a for a, n in aliases.items() if n == number])
                )  # fmt: skip
            versions.sort(key=lambda mv: mv.version)
            model = RegisteredModel(
                name, meta.get("creation_timestamp") or 0, meta.get("last_updated_timestamp"),
                meta.get("description"), [], _key_values(model_dir / "tags"), aliases,
            )  # fmt: skip
            records.append(ModelRecord(model, versions, _mlflow.stage_history(versions)))
        return records

    def logged_models(self, experiment_id: str) -> list[LoggedModel]:
        folder = self._experiment_dir(experiment_id) / "models"
        if not folder.is_dir():
            return []
        found = []
        for model_dir in sorted(folder.iterdir()):
            if not (model_dir / "meta.yaml").is_file():
                continue
            m = _yaml(model_dir / "meta.yaml")
            if (m.get("lifecycle_stage") or "active") != "active":
                continue
            found.append(
                LoggedModel(str(m["model_id"]), experiment_id, str(m.get("name") or ""),
                            str(m.get("artifact_location") or ""), m.get("creation_timestamp") or 0,
                            m.get("last_updated_timestamp") or 0,
                            _mlflow.logged_model_status(m.get("status")), m.get("status_message"),
                            m.get("model_type"), m.get("source_run_id"),
                            _key_values(model_dir / "tags"), _key_values(model_dir / "params"))
            )  # fmt: skip
        return found

    def artifacts(self, artifact_uri: str) -> ArtifactRepository | None:
        path = _mlflow.local_artifact_path(artifact_uri, None, str(self.root.parent))
        if path is not None and not os.path.isdir(path):
            moved = self._moved(path)  # the folder was copied here from elsewhere
            if moved is not None:
                path = moved
        if path is not None:
            from runlab.artifacts import get_artifact_repository

            return get_artifact_repository(path)
        return _mlflow.local_or_remote(self, artifact_uri, None, str(self.root.parent))

    def _moved(self, path: str) -> str | None:
        """The same place below this root, for a path recorded under another root:
        ``…/<experiment>/<run or models/id>/artifacts``."""
        parts = Path(path).parts
        for eid, exp_dir in self._experiment_dirs.items():
            if eid in parts:
                rest = parts[parts.index(eid) + 1 :]
                candidate = exp_dir.joinpath(*rest)
                if candidate.is_dir():
                    return str(candidate)
        return None
