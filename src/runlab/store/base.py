"""The one tracking-store contract every backend implements (SQL today, REST next).

Writes to a run funnel into :meth:`TrackingStore.log_batch`; the single-item
``log_metric``/``log_param``/``set_tag`` helpers are defined here on top of it.
"""

from __future__ import annotations

import abc
import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from runlab.entities import (
    DatasetInput,
    Experiment,
    Metric,
    PagedList,
    Param,
    Run,
    RunGroups,
    RunInfo,
    RunTag,
    ViewType,
    all_pages,
)
from runlab.errors import InvalidInputError
from runlab.store.imports import RunRecord

__all__ = [
    "DEFAULT_EXPERIMENT_ID",
    "MetricUpdates",
    "TrackingStore",
    "check_downsample_args",
    "downsample_points",
    "sample_steps",
]

# Every store has this experiment; runs go there when none is chosen (as in MLflow).
DEFAULT_EXPERIMENT_ID = "0"

X_AXES = ("step", "timestamp")
MAX_DOWNSAMPLE_POINTS = 100_000
# The charts workspace asks for this many runs and keys at most in one request.
MAX_BATCH_RUNS = 100
MAX_BATCH_KEYS = 100
# No step is lower: "after" this step means the whole series.
NO_STEP = -(2**63)


@dataclass(frozen=True)
class MetricUpdates:
    """What a live chart asks for on each poll: the new points of each (run, key), run id
    to key to points in step order (every pair asked for, empty when nothing is new), and
    each run's status, so the chart knows when to stop asking, and every metric key each
    run has logged so far, so a chart sees keys that appeared after it opened."""

    points: dict[str, dict[str, list[Metric]]]
    statuses: dict[str, str]
    keys: dict[str, list[str]] = dataclasses.field(default_factory=dict)


class TrackingStore(abc.ABC):
    """Experiments, runs and what is logged to them."""

    # ---------------------------------------------------------------- experiments
    @abc.abstractmethod
    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> str:
        """Create an experiment and return its id; AlreadyExistsError on a taken name."""

    @abc.abstractmethod
    def get_experiment(self, experiment_id: str) -> Experiment: ...

    @abc.abstractmethod
    def get_experiment_by_name(self, name: str) -> Experiment | None: ...

    @abc.abstractmethod
    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]: ...

    @abc.abstractmethod
    def rename_experiment(self, experiment_id: str, new_name: str) -> None: ...

    @abc.abstractmethod
    def delete_experiment(self, experiment_id: str) -> None: ...

    @abc.abstractmethod
    def restore_experiment(self, experiment_id: str) -> None: ...

    @abc.abstractmethod
    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None: ...

    @abc.abstractmethod
    def delete_experiment_tag(self, experiment_id: str, key: str) -> None: ...

    # ---------------------------------------------------------------- runs
    @abc.abstractmethod
    def create_run(
        self,
        experiment_id: str,
        user_id: str,
        start_time: int,
        tags: dict[str, str],
        run_name: str,
        run_id: str | None = None,
    ) -> RunInfo: ...

    @abc.abstractmethod
    def get_run(self, run_id: str) -> Run: ...

    @abc.abstractmethod
    def update_run_info(
        self,
        run_id: str,
        status: str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo: ...

    @abc.abstractmethod
    def delete_run(self, run_id: str) -> None: ...

    @abc.abstractmethod
    def restore_run(self, run_id: str) -> None: ...

    @abc.abstractmethod
    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        """Write all of it in one transaction, or none of it."""

    @abc.abstractmethod
    def delete_tag(self, run_id: str, key: str) -> None: ...

    @abc.abstractmethod
    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None: ...

    @abc.abstractmethod
    def get_metric_history(
        self,
        run_id: str,
        key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[Metric]:
        """Every point of one metric, ordered by step then timestamp."""

    @abc.abstractmethod
    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]: ...

    # ---------------------------------------------------------------- imports
    @abc.abstractmethod
    def import_experiment(self, experiment: Experiment) -> str:
        """Take in an experiment made elsewhere and return its id here.

        An experiment of the same name is the same experiment: its id is returned and
        the given tags are set on it. Otherwise it is created with its name, tags,
        lifecycle stage and times, under its own id when that is a free one (a store
        that chooses ids itself gives a new one); its artifact location is this store's.
        """

    @abc.abstractmethod
    def import_runs(self, experiment_id: str, runs: Sequence[RunRecord]) -> list[RunInfo]:
        """Take in runs made elsewhere, with every metric point, into one experiment.

        Each run keeps its id, name, user, status, times, lifecycle stage, params, tags
        and dataset inputs. A run whose id is already in this experiment is the same
        run: what it lacks is added (points already stored are skipped, tags and its
        status updated). A run whose id is taken by another experiment, or any run on a
        store that chooses ids itself, gets a new id. The answer has one info per run,
        in order, with the id and artifact URI the run has here. SQL stores write all
        of it in one transaction.
        """

    # ---------------------------------------------------------------- charts
    def get_metric_history_downsampled(
        self,
        run_id: str,
        key: str,
        max_points: int = 2000,
        x_axis: str = "step",
    ) -> list[Metric]:
        """At most about ``max_points`` points of one metric, extremes kept, ordered by x.

        The x range (``step`` or ``timestamp``) is cut into ``max_points // 4`` equal buckets;
        each bucket keeps its first, last, lowest and highest point, so spikes and the global
        minimum and maximum survive. A series of at most ``max_points`` points comes back
        whole. This default reads the full history; SQL stores do the bucketing in the
        database.
        """
        max_points, x_axis = check_downsample_args(max_points, x_axis)
        return downsample_points(self._whole_history(run_id, key), max_points, x_axis)

    def get_metric_histories_downsampled(
        self,
        run_ids: Sequence[str],
        keys: Sequence[str],
        max_points: int = 2000,
        x_axis: str = "step",
    ) -> dict[str, dict[str, list[Metric]]]:
        """:meth:`get_metric_history_downsampled` of every run and key at once: run id to
        key to points (every pair, empty when the run has no such metric). At most
        ``MAX_BATCH_RUNS`` runs and ``MAX_BATCH_KEYS`` keys. This default asks for each
        series in turn; SQL stores thin all the runs of a key in one query."""
        run_ids, keys = check_batch_args(run_ids, keys)
        max_points, x_axis = check_downsample_args(max_points, x_axis)
        return {
            r: {k: self.get_metric_history_downsampled(r, k, max_points, x_axis) for k in keys}
            for r in run_ids
        }

    def get_metric_updates(
        self,
        run_ids: Sequence[str],
        keys: Sequence[str],
        after_step: Mapping[str, Mapping[str, int]] | None = None,
        max_points: int = 2000,
    ) -> MetricUpdates:
        """The points of each run and key with a step above ``after_step[run][key]`` (a
        pair not named there: every point), the first ``max_points`` of each pair in step
        order, the runs' statuses and every key each run has logged. A chart that gets
        ``max_points`` points for a pair has fallen behind and loads that series
        downsampled instead. This default reads whole histories; SQL stores read only the
        new points."""
        run_ids, keys = check_batch_args(run_ids, keys)
        max_points, _ = check_downsample_args(max_points, "step")
        after = check_after_steps(after_step, run_ids, keys)
        found = {r: self.get_run(r) for r in run_ids}
        statuses = {r: run.info.status for r, run in found.items()}
        logged = {r: sorted(run.data.metrics) for r, run in found.items()}
        points = {
            r: {
                k: [m for m in self._whole_history(r, k) if m.step > after[r][k]][:max_points]
                for k in keys
            }
            for r in run_ids
        }
        return MetricUpdates(points, statuses, logged)

    def _whole_history(self, run_id: str, key: str) -> list[Metric]:
        return all_pages(
            lambda token: self.get_metric_history(run_id, key, max_results=25_000, page_token=token)
        )

    def get_metric_history_interval(
        self,
        run_ids: Sequence[str],
        key: str,
        max_steps: int,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> dict[str, list[Metric]]:
        """The points of metric ``key`` of each run at no more than ``max_steps`` steps,
        chosen evenly among the distinct steps of all the runs in
        ``[start_step, end_step]`` (first and last kept), so the runs line up on a
        shared x axis (MLflow's GetMetricHistoryBulkInterval). This default reads every
        history; SQL stores pick the steps in the database."""
        histories = {
            run_id: [
                m
                for m in self._whole_history(run_id, key)
                if (start_step is None or m.step >= start_step)
                and (end_step is None or m.step <= end_step)
            ]
            for run_id in run_ids
        }
        steps = sorted({m.step for points in histories.values() for m in points})
        chosen = set(sample_steps(steps, max_steps))
        return {r: [m for m in points if m.step in chosen] for r, points in histories.items()}

    def count_runs_matching(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
    ) -> int:
        """How many runs a search would return in all pages (the UI shows it as a total).

        This default pages through :meth:`search_runs`; SQL stores count in the database.
        """
        return len(self._every_run(experiment_ids, filter_string, run_view_type))

    def group_runs(
        self,
        experiment_ids: Sequence[str],
        group_by: str,
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        metric_keys: Sequence[str] | None = None,
        max_groups: int = 1000,
    ) -> RunGroups:
        """The runs a search would return, grouped by one param, tag or attribute.

        ``group_by`` is a key as in ``order_by`` (``params.lr``, ``tags.team``,
        ``attributes.status``). Each group has its value (``None`` for runs without it),
        its run count and, for each of ``metric_keys``, the min, max and mean of the
        runs' latest values. Groups come in value order (text order), ``None`` last; at
        most ``max_groups`` of them, with ``truncated`` set when there were more. This
        default pages through :meth:`search_runs`; SQL stores group in the database.
        """
        from runlab.store import grouping

        key, keys, limit = grouping.check_group_args(group_by, metric_keys, max_groups)
        found = self._every_run(experiment_ids, filter_string, run_view_type)
        return grouping.group_runs(found, key, keys, limit)

    def _every_run(
        self, experiment_ids: Sequence[str], filter_string: str | None, run_view_type: ViewType
    ) -> list[Run]:
        """Every page of a search, for the defaults above."""
        return all_pages(
            lambda token: self.search_runs(
                experiment_ids, filter_string, run_view_type, 50_000, None, token
            )
        )

    # ---------------------------------------------------------------- heartbeats
    @abc.abstractmethod
    def record_heartbeat(self, run_id: str, time_ms: int | None = None) -> None:
        """Note that the process of run ``run_id`` is alive at ``time_ms`` (None: now, by
        the clock of the store, or of the server behind it). An earlier time than the one
        recorded changes nothing; a missing run is not found."""

    def end_crashed_runs(
        self, timeout_ms: int, now_ms: int | None = None, silent_runs: bool = False
    ) -> list[str]:
        """End FAILED each RUNNING run whose last heartbeat is more than ``timeout_ms``
        before ``now_ms`` (None: now), at its last heartbeat and tagged
        ``runlab.crashed=true``; the ids of the runs ended here, in id order. Runs that
        never sent a heartbeat are left alone unless ``silent_runs``: then their last
        sign of life is the later of their start time and their latest metric point's
        timestamp, and they end at it the same way. Database stores do it; behind a
        server it is the server's own periodic sweep, so this default refuses."""
        raise InvalidInputError(
            f"ending crashed runs is done by the tracking server behind {self!r} on its "
            "own (RUNLAB_HEARTBEAT_SWEEP_INTERVAL); it is not part of its REST API"
        )

    # ---------------------------------------------------------------- housekeeping
    @abc.abstractmethod
    def deleted_run_ids(self, older_than_ms: int | None = None) -> list[str]:
        """Ids of runs in the deleted stage, deleted before ``older_than_ms`` if given."""

    @abc.abstractmethod
    def purge_run(self, run_id: str) -> None:
        """Remove a deleted run and everything logged to it, for good."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections; the store may not be used afterwards."""

    # ---------------------------------------------------------------- conveniences
    def log_metric(self, run_id: str, metric: Metric) -> None:
        self.log_batch(run_id, metrics=[metric])

    def log_param(self, run_id: str, param: Param) -> None:
        self.log_batch(run_id, params=[param])

    def set_tag(self, run_id: str, tag: RunTag) -> None:
        self.log_batch(run_id, tags=[tag])


# ---------------------------------------------------------------- downsampling helpers
def check_downsample_args(max_points: object, x_axis: object) -> tuple[int, str]:
    """Validate the chart arguments; errors name the field and the rule."""
    if isinstance(max_points, bool) or not isinstance(max_points, int):
        try:
            max_points = int(str(max_points))
        except ValueError:
            raise InvalidInputError(f"max_points must be an integer, got {max_points!r}") from None
    if not 4 <= max_points <= MAX_DOWNSAMPLE_POINTS:
        raise InvalidInputError(
            f"max_points must be between 4 and {MAX_DOWNSAMPLE_POINTS}, got {max_points}"
        )
    if x_axis not in X_AXES:
        raise InvalidInputError(f"x_axis must be one of {', '.join(X_AXES)}, got {x_axis!r}")
    return max_points, str(x_axis)


def check_batch_args(run_ids: object, keys: object) -> tuple[list[str], list[str]]:
    """Runs and keys of a batch of series, each list distinct, in order, and bounded."""
    checked: list[list[str]] = []
    for field, values, most in (
        ("run_ids", run_ids, MAX_BATCH_RUNS),
        ("metric_keys", keys, MAX_BATCH_KEYS),
    ):
        if isinstance(values, str) or not isinstance(values, Sequence):
            raise InvalidInputError(f"{field} must be a list of strings, got {values!r}")
        if not all(isinstance(v, str) and v for v in values):
            raise InvalidInputError(f"{field} must hold non-empty strings")
        distinct = list(dict.fromkeys(values))
        if not 1 <= len(distinct) <= most:
            raise InvalidInputError(
                f"{field} must name between 1 and {most} distinct values, got {len(distinct)}"
            )
        checked.append(distinct)
    return checked[0], checked[1]


def check_after_steps(
    after_step: object, run_ids: Sequence[str], keys: Sequence[str]
) -> dict[str, dict[str, int]]:
    """Every (run, key) with the step its new points come after (NO_STEP: all of them)."""
    given = after_step or {}
    if not isinstance(given, Mapping):
        raise InvalidInputError("after_step must map run ids to {metric key: step}")
    out: dict[str, dict[str, int]] = {}
    for run_id in run_ids:
        of_run = given.get(run_id) or {}
        if not isinstance(of_run, Mapping):
            raise InvalidInputError(f"after_step.{run_id} must map metric keys to steps")
        out[run_id] = {}
        for key in keys:
            step = of_run.get(key, NO_STEP)
            if isinstance(step, bool) or not isinstance(step, int) or not NO_STEP <= step < 2**63:
                raise InvalidInputError(
                    f"after_step.{run_id}.{key} must be a 64-bit integer step, got {step!r}"
                )
            out[run_id][key] = step
    return out


def sample_steps(steps: Sequence[int], max_steps: int) -> list[int]:
    """At most ``max_steps`` of the sorted distinct ``steps``, evenly spread, first and
    last always kept, so a chart of a long run keeps its shape and its end points."""
    return [steps[i] for i in sample_indices(len(steps), max_steps)]


def sample_indices(count: int, max_steps: int) -> list[int]:
    """The positions :func:`sample_steps` keeps among ``count`` sorted steps."""
    if count <= max_steps:
        return list(range(count))
    if max_steps == 1:
        return [count - 1]
    last = count - 1
    return sorted({round(i * last / (max_steps - 1)) for i in range(max_steps)})


def bucket_width(x_min: int, x_max: int, max_points: int) -> int:
    """Width of one bucket so that ``max_points // 4`` buckets cover ``[x_min, x_max]``."""
    buckets = max(1, max_points // 4)
    return max(1, -(-(x_max - x_min + 1) // buckets))


def downsample_points(points: Sequence[Metric], max_points: int, x_axis: str) -> list[Metric]:
    """First, last, lowest and highest point of each x bucket (NaN never counts as an extreme)."""

    def x_of(m: Metric) -> int:
        return m.step if x_axis == "step" else m.timestamp

    ordered = sorted(points, key=x_of) if x_axis == "timestamp" else list(points)
    if len(ordered) <= max_points:
        return ordered
    x_min, x_max = x_of(ordered[0]), x_of(ordered[-1])
    width = bucket_width(x_min, x_max, max_points)
    keep: set[int] = set()
    start = 0
    while start < len(ordered):
        bucket = (x_of(ordered[start]) - x_min) // width
        end = start
        low = high = -1
        while end < len(ordered) and (x_of(ordered[end]) - x_min) // width == bucket:
            value = ordered[end].value
            if not math.isnan(value):
                if low < 0 or value < ordered[low].value:
                    low = end
                if high < 0 or value > ordered[high].value:
                    high = end
            end += 1
        keep.update(i for i in (start, end - 1, low, high) if i >= 0)
        start = end
    return [ordered[i] for i in sorted(keep)]
