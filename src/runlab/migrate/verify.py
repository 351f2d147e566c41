"""The verification report: per experiment, runs, params, metric points and artifact
bytes at the source and in runlab, and each difference found, run by run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from runlab.entities import RunInfo
from runlab.migrate import _artifacts
from runlab.migrate.mapping import IdMap
from runlab.migrate.options import Options
from runlab.migrate.sources.base import Source
from runlab.store.imports import RunRecord

__all__ = ["Counts", "ExperimentCheck", "verify"]

_LOAD = 100
MAX_LISTED = 20  # differences listed per experiment


@dataclass
class Counts:
    runs: int = 0
    params: int = 0
    metric_points: int = 0
    artifact_bytes: int = 0


@dataclass
class ExperimentCheck:
    name: str
    source: Counts = field(default_factory=Counts)
    target: Counts = field(default_factory=Counts)
    differences: list[str] = field(default_factory=list)
    more: int = 0  # differences found past the listed ones

    @property
    def ok(self) -> bool:
        return not self.differences

    def differ(self, text: str) -> None:
        if len(self.differences) < MAX_LISTED:
            self.differences.append(text)
        else:
            self.more += 1


@dataclass
class _Run:
    info: RunInfo
    params: dict[str, str]
    points: Counter[str]
    files: dict[str, int | None]


def _runs(source: Source, experiment_id: str, options: Options) -> Iterator[_Run]:
    infos = [i for i in source.run_infos(experiment_id) if options.wants(i)]
    for start in range(0, len(infos), _LOAD):
        records: Sequence[RunRecord] = source.load_runs(experiment_id, infos[start : start + _LOAD])
        for record in records:
            repo = source.artifacts(record.info.artifact_uri) if record.info.artifact_uri else None
            files = _artifacts.list_files(repo) if repo is not None else {}
            # Identical points (key, step, time, value) count once, as stores keep them.
            distinct = {(m.key, m.step, m.timestamp, repr(m.value)) for m in record.metrics}
            points = Counter(p[0] for p in distinct)
            yield _Run(record.info, dict(record.params), points, files)


def verify(
    source: Source, target: Source, options: Options | None = None, ids: IdMap | None = None
) -> list[ExperimentCheck]:
    """Compare what ``options`` choose at ``source`` with what ``target`` holds."""
    options = options or Options()
    ids = ids or IdMap()
    here = {e.name: e for e in target.experiments()}
    checks = []
    for exp in options.chosen(source.experiments()):
        check = ExperimentCheck(exp.name)
        checks.append(check)
        theirs = {r.info.run_id: r for r in _runs(source, exp.experiment_id, options)}
        ours: dict[str, _Run] = {}
        if exp.name in here:
            ours = {r.info.run_id: r for r in _runs(target, here[exp.name].experiment_id, options)}
        else:
            check.differ("the experiment is not in runlab")
        for counts, runs in ((check.source, theirs), (check.target, ours)):
            counts.runs = len(runs)
            counts.params = sum(len(r.params) for r in runs.values())
            counts.metric_points = sum(sum(r.points.values()) for r in runs.values())
            counts.artifact_bytes = sum(
                sum(v or 0 for v in r.files.values()) for r in runs.values()
            )
        for run_id, run in theirs.items():
            mine = ours.get(ids.run(run_id))
            if mine is None:
                check.differ(f"run {run_id}: not in runlab")
                continue
            _compare(check, run_id, run, mine)
    return checks


def _compare(check: ExperimentCheck, run_id: str, theirs: _Run, ours: _Run) -> None:
    a, b = theirs.info, ours.info
    for name in ("run_name", "user_id", "status", "start_time", "end_time", "lifecycle_stage"):
        if getattr(a, name) != getattr(b, name):
            check.differ(f"run {run_id}: {name} {getattr(a, name)!r} became {getattr(b, name)!r}")
    for key in sorted(set(theirs.params) | set(ours.params)):
        if theirs.params.get(key) != ours.params.get(key):
            check.differ(f"run {run_id}: param {key!r} differs")
    for key in sorted(set(theirs.points) | set(ours.points)):
        if theirs.points[key] != ours.points[key]:
            check.differ(
                f"run {run_id}: metric {key!r} has {theirs.points[key]} points at the source, "
                f"{ours.points[key]} in runlab"
            )
    for path, size in sorted(theirs.files.items()):
        if path not in ours.files:
            check.differ(f"run {run_id}: artifact {path!r} is missing")
        elif ours.files[path] != size:
            check.differ(f"run {run_id}: artifact {path!r} is {ours.files[path]} bytes, not {size}")


def render(checks: Sequence[ExperimentCheck]) -> list[str]:
    """The report as lines of text: each count as source/runlab, in aligned columns."""
    headers = ("runs", "params", "metric points", "artifact bytes")
    rows = [
        (
            c.name[:28],
            [
                f"{c.source.runs:,}/{c.target.runs:,}",
                f"{c.source.params:,}/{c.target.params:,}",
                f"{c.source.metric_points:,}/{c.target.metric_points:,}",
                f"{c.source.artifact_bytes:,}/{c.target.artifact_bytes:,}",
            ],
            "ok" if c.ok else f"{len(c.differences) + c.more} differences",
        )
        for c in checks
    ]
    widths = [max([len(h)] + [len(r[1][i]) for r in rows]) for i, h in enumerate(headers)]
    name_width = max([len("experiment")] + [len(r[0]) for r in rows])

    def line(name: str, cells: Sequence[str], result: str) -> str:
        counts = "  ".join(cell.rjust(w) for cell, w in zip(cells, widths, strict=True))
        return f"{name:<{name_width}}  {counts}  {result}"

    lines = [line("experiment", headers, "result")]
    for c, (name, cells, result) in zip(checks, rows, strict=True):
        lines.append(line(name, cells, result))
        lines += [f"    {d}" for d in c.differences]
        if c.more:
            lines.append(f"    … and {c.more} more")
    return lines
