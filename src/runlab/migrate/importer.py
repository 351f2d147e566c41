"""Moving everything a source holds into a runlab target, in phases: experiments, runs
(with every metric point), artifacts, logged models, registered models.

Idempotent and resumable: a run the target already holds with the same status and end
time (and a finished status) is skipped before it is read; other runs are written
whole, several to a transaction, and a run written again adds nothing (points already
stored are skipped). Artifacts are copied when the target lacks a file or holds another
size. So a second import adds nothing, and an interrupted one continues where it
stopped. Ids the target could not keep go to the mapping file (:mod:`.mapping`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from runlab.entities import (
    Experiment,
    LifecycleStage,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
    all_pages,
)
from runlab.migrate import _artifacts
from runlab.migrate.mapping import IdMap
from runlab.migrate.options import Options
from runlab.migrate.progress import Progress
from runlab.migrate.settings import MigrateSettings
from runlab.migrate.sources.base import Source
from runlab.migrate.target import Target
from runlab.store.imports import ModelRecord, RunRecord

__all__ = ["ImportReport", "import_all"]

PARENT_RUN_TAG = "mlflow.parentRunId"
_LOAD_RUNS = 100  # runs read from the source at a time


@dataclass
class ImportReport:
    experiments: int = 0
    runs_imported: int = 0
    runs_skipped: int = 0
    metric_points: int = 0
    artifact_files: int = 0
    artifact_bytes: int = 0
    logged_models: int = 0
    model_versions: int = 0
    registered_models: int = 0
    warnings: list[str] = field(default_factory=list)


class _Importer:
    def __init__(
        self,
        source: Source,
        target: Target,
        options: Options,
        ids: IdMap,
        progress: Progress,
        settings: MigrateSettings,
    ) -> None:
        self.source, self.target, self.options, self.ids = source, target, options, ids
        self.settings = settings
        self.report = ImportReport()
        self.bars = {
            name: progress.phase(name, unit)
            for name, unit in (
                ("experiments", "exp"),
                ("runs", "runs"),
                ("metric points", "points"),
                ("artifacts", "bytes"),
                ("models", "models"),
            )
        }
        self.artifact_pairs: list[tuple[str, str]] = []
        self.parents: list[tuple[str, str]] = []  # (run here, parent id at the source)
        self.chosen_runs: set[str] = set()

    # ---------------------------------------------------------------- phases
    def run(self) -> ImportReport:
        experiments = self.options.chosen(self.source.experiments())
        if not self.options.registry_only:
            self.bars["experiments"].add_total(len(experiments))
            placed = [(exp, self._experiment(exp)) for exp in experiments]
            for exp, target_id in placed:
                self._runs(exp, target_id)
            self._relink_parents()
            for exp, target_id in placed:
                self._logged_models(exp, target_id)
            self._artifacts()
        if not self.options.runs_only:
            self._registry(filtered=bool(self.options.experiments))
        self.ids.save()
        self.report.warnings += self.source.warnings
        return self.report

    def _experiment(self, exp: Experiment) -> str:
        target_id = self.target.tracking.import_experiment(exp)
        self.ids.record("experiments", exp.experiment_id, target_id)
        self.report.experiments += 1
        self.bars["experiments"].advance()
        return target_id

    def _runs(self, exp: Experiment, target_id: str) -> None:
        infos = [i for i in self.source.run_infos(exp.experiment_id) if self.options.wants(i)]
        self.chosen_runs.update(i.run_id for i in infos)
        self.bars["runs"].add_total(len(infos))
        here = {
            r.info.run_id: r.info
            for r in all_pages(
                lambda token: self.target.tracking.search_runs(
                    [target_id], None, ViewType.ALL, 50_000, None, token
                )
            )
        }
        pending = []
        for info in infos:
            found = here.get(self.ids.run(info.run_id))
            if found is not None and _unchanged(info, found):
                self.report.runs_skipped += 1
                self.bars["runs"].advance()
                self.artifact_pairs.append((info.artifact_uri, found.artifact_uri))
                continue
            pending.append(info)
        for batch in self._batches(exp.experiment_id, pending):
            self._write(target_id, batch)

    def _batches(self, experiment_id: str, infos: Sequence[RunInfo]) -> Iterator[list[RunRecord]]:
        """Runs read a hundred at a time, handed out in batches of about
        ``batch_points`` metric points (at least one run each)."""
        batch: list[RunRecord] = []
        points = 0
        for start in range(0, len(infos), _LOAD_RUNS):
            for record in self.source.load_runs(experiment_id, infos[start : start + _LOAD_RUNS]):
                if batch and points + len(record.metrics) > self.settings.batch_points:
                    yield batch
                    batch, points = [], 0
                batch.append(record)
                points += len(record.metrics)
        if batch:
            yield batch

    def _write(self, target_id: str, batch: list[RunRecord]) -> None:
        mapped = [
            dataclasses.replace(r, info=dataclasses.replace(r.info, run_id=self.ids.run(r.run_id)))
            for r in batch
        ]
        stored = self.target.tracking.import_runs(target_id, mapped)
        points = 0
        for record, info in zip(batch, stored, strict=True):
            self.ids.record("runs", record.run_id, info.run_id)
            self.artifact_pairs.append((record.info.artifact_uri, info.artifact_uri))
            parent = record.tags.get(PARENT_RUN_TAG)
            if parent:
                self.parents.append((info.run_id, parent))
            points += len(record.metrics)
        self.report.runs_imported += len(batch)
        self.report.metric_points += points
        self.bars["runs"].advance(len(batch))
        self.bars["metric points"].advance(points)

    def _relink_parents(self) -> None:
        """Nested runs whose parent got another id point at the new one."""
        for run_id, parent in self.parents:
            if self.ids.run(parent) != parent:
                self.target.tracking.set_tag(run_id, RunTag(PARENT_RUN_TAG, self.ids.run(parent)))

    def _logged_models(self, exp: Experiment, target_id: str) -> None:
        models = self.source.logged_models(exp.experiment_id)
        if not models:
            return
        store = self.target.logged_models
        if store is None:
            self.report.warnings.append(
                f"{len(models)} logged models of experiment {exp.name!r} were not imported: "
                f"{self.target.uri} keeps no logged models"
            )
            return
        self.bars["models"].add_total(len(models))
        for model in models:
            run_id = model.source_run_id
            moved = dataclasses.replace(
                model,
                experiment_id=target_id,
                source_run_id=self.ids.run(run_id) if run_id else None,
            )
            stored = store.import_logged_model(moved)
            self.artifact_pairs.append((model.artifact_location, stored.artifact_location))
            self.report.logged_models += 1
            self.bars["models"].advance()

    def _artifacts(self) -> None:
        pairs = []
        for source_uri, target_uri in self.artifact_pairs:
            if not source_uri:
                continue
            repo = self.source.artifacts(source_uri)
            if repo is not None:
                pairs.append((repo, self.target.artifacts(target_uri)))
        bar = self.bars["artifacts"]
        done = _artifacts.copy_trees(pairs, self.settings.workers, bar.add_total, bar.advance)
        self.report.artifact_files += done.files
        self.report.artifact_bytes += done.bytes

    def _registry(self, filtered: bool) -> None:
        records = self.source.registered_models()
        if filtered:  # only the models with a version from a chosen run
            records = [
                r for r in records if any(mv.run_id in self.chosen_runs for mv in r.versions)
            ]
        registry = self.target.registry
        if registry is None:
            if records:
                self.report.warnings.append(f"{self.target.uri} keeps no model registry")
            return
        self.bars["models"].add_total(len(records))
        for record in records:
            added = registry.import_registered_model(self._mapped(record))
            self.report.registered_models += 1
            self.report.model_versions += len(added)
            self.bars["models"].advance()

    def _mapped(self, record: ModelRecord) -> ModelRecord:
        versions = []
        for mv in record.versions:
            run_id = mv.run_id
            if run_id and self.ids.run(run_id) != run_id:
                new = self.ids.run(run_id)
                source = mv.source.replace(run_id, new) if mv.source else mv.source
                mv = dataclasses.replace(mv, run_id=new, source=source)
            versions.append(mv)
        return dataclasses.replace(record, versions=versions)


def _unchanged(source: RunInfo, here: RunInfo) -> bool:
    """The target holds this run as it is at the source, and it can change no more."""
    return (
        RunStatus.is_terminated(source.status)
        and here.status == source.status
        and here.end_time == source.end_time
        and here.lifecycle_stage == (source.lifecycle_stage or LifecycleStage.ACTIVE)
    )


def import_all(
    source: Source,
    target: Target,
    options: Options | None = None,
    *,
    ids: IdMap | None = None,
    progress: Progress | None = None,
    settings: MigrateSettings | None = None,
) -> ImportReport:
    """Import what ``options`` choose from ``source`` into ``target``."""
    return _Importer(
        source,
        target,
        options or Options(),
        ids or IdMap(),
        progress or Progress(),
        settings or MigrateSettings.from_env(),
    ).run()
