"""The fluent API: module-level functions over one RunlabClient and an active-run stack.

The stack lives in a ContextVar, so each thread (and each asyncio task) has its own
active run, as in MLflow. Metrics, params and tags go through the process batcher:
the call validates and queues, a background thread writes. ``end_run``, ``flush``
and interpreter exit write everything before they return.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from collections.abc import Sequence
from contextvars import ContextVar
from types import TracebackType
from typing import TYPE_CHECKING, Any

from runlab import _validation as check
from runlab import environment_variables as env
from runlab.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    InputTag,
    LifecycleStage,
    LoggedModelInput,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunStatus,
    RunTag,
    ViewType,
)
from runlab.errors import AlreadyExistsError, ConflictError, InvalidInputError, RunlabError
from runlab.tracking._heartbeat import heartbeats
from runlab.tracking.client import RunlabClient

if TYPE_CHECKING:
    from runlab.store.artifacts.base import FileInfo
    from runlab.tracking.system_metrics import SystemMetricsMonitor

# A run to resume, set by `runlab run` (or `mlflow run`) for the entry point it starts.
RUN_ID_ENV = env.RUNLAB_RUN_ID
PARENT_TAG = "mlflow.parentRunId"
NOTE_TAG = "mlflow.note.content"
# A process that has ended this many runs is a sweep or a notebook, and imports pandas in
# the background for the search that usually follows (see runlab.tracking._frames). A
# script that trains one model or a few never pays for it next to its training loop.
_RUNS_BEFORE_PANDAS = 10


class ActiveRun:
    """The run ``start_run`` returned; ends the run when its ``with`` block exits.

    An exception ends it FAILED, KeyboardInterrupt KILLED, a clean exit FINISHED.
    """

    def __init__(self, run: Run) -> None:
        self._run = run

    @property
    def info(self) -> RunInfo:
        return self._run.info

    @property
    def data(self) -> RunData:
        return self._run.data

    @property
    def inputs(self) -> RunInputs:
        return self._run.inputs

    def __repr__(self) -> str:
        return f"<ActiveRun: run_id={self.info.run_id} name={self.info.run_name!r}>"

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            status = RunStatus.FINISHED
        elif issubclass(exc_type, KeyboardInterrupt):
            status = RunStatus.KILLED
        else:
            status = RunStatus.FAILED
        _end(self.info.run_id, status, raise_errors=exc_type is None)


class _State:
    """Process-wide fluent settings; the run stack itself is per context."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.tracking_uri: str | None = None
        self.experiment_id: str | None = None
        self.client: RunlabClient | None = None
        self.open_runs: dict[str, ActiveRun] = {}
        self.last_run_id: str | None = None
        self.params: dict[str, dict[str, str]] = {}  # run -> params logged from here
        self.exit_hook = False
        self.runs_ended = 0
        self.monitors: dict[str, SystemMetricsMonitor] = {}  # run -> its sampler
        self.metric_datasets: dict[str, set[tuple[str, str]]] = {}  # run -> inputs seen


_state = _State()
_stack: ContextVar[tuple[ActiveRun, ...]] = ContextVar("runlab_active_runs", default=())


def _client() -> RunlabClient:
    c = _state.client
    if c is None:
        with _state.lock:
            if _state.client is None:
                _state.client = RunlabClient(_state.tracking_uri)
            c = _state.client
    return c


# ==================================================================== configuration
def set_tracking_uri(uri: str | os.PathLike[str] | None) -> None:
    """Where runs go: a folder, ``sqlite:///file.db`` or ``postgresql://…``."""
    with _state.lock:
        if _state.client is not None:
            _state.client.flush()
        from runlab.store.uri import set_chosen_uri

        _state.tracking_uri = os.fspath(uri) if uri is not None else None
        set_chosen_uri(_state.tracking_uri)
        _state.client = None
        _state.experiment_id = None


def get_tracking_uri() -> str:
    from runlab.store.uri import resolve

    return resolve(_state.tracking_uri)


def set_experiment(
    experiment_name: str | None = None, experiment_id: str | None = None
) -> Experiment:
    """Make an experiment current, creating it (by name) when it does not exist."""
    if (experiment_name is None) == (experiment_id is None):
        raise InvalidInputError(
            "set_experiment takes exactly one of experiment_name, experiment_id"
        )
    client = _client()
    if experiment_id is not None:
        exp = client.get_experiment(str(experiment_id))
    else:
        check.experiment_name(experiment_name)
        found = client.get_experiment_by_name(experiment_name)  # type: ignore[arg-type]
        if found is None:
            try:
                client.create_experiment(experiment_name)  # type: ignore[arg-type]
            except AlreadyExistsError:
                pass  # another process created it between our read and our write
            found = client.get_experiment_by_name(experiment_name)  # type: ignore[arg-type]
        assert found is not None
        exp = found
    if exp.lifecycle_stage != LifecycleStage.ACTIVE:
        raise ConflictError(
            f"experiment {exp.name!r} (id {exp.experiment_id}) is deleted: restore it with "
            f"`runlab experiments restore {exp.experiment_id}` or use another name"
        )
    _state.experiment_id = exp.experiment_id
    return exp


def _current_experiment_id() -> str:
    if _state.experiment_id is not None:
        return _state.experiment_id
    name, experiment_id = env.RUNLAB_EXPERIMENT_NAME.get(), env.RUNLAB_EXPERIMENT_ID.get()
    if name:
        return set_experiment(name).experiment_id
    if experiment_id:
        return set_experiment(experiment_id=experiment_id).experiment_id
    from runlab.store.base import DEFAULT_EXPERIMENT_ID  # no SQL driver for HTTP URIs

    return DEFAULT_EXPERIMENT_ID


# ==================================================================== runs
def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    parent_run_id: str | None = None,
    tags: dict[str, Any] | None = None,
    description: str | None = None,
    capture_context: bool | None = None,
    log_system_metrics: bool | None = None,
) -> ActiveRun:
    """Start a run (or resume ``run_id``) and make it active; use it as a context manager.

    Without ``run_id``, the first top-level ``start_run`` resumes the run named by
    ``RUNLAB_RUN_ID`` (or ``MLFLOW_RUN_ID``), as MLflow does, and forgets the variables,
    so later runs of the process are new ones. ``capture_context=False`` (or
    ``RUNLAB_CAPTURE_CONTEXT=false``) skips the automatic source, git, host and version tags.
    ``log_system_metrics`` samples CPU, memory, disk, network and GPUs while the run is
    active (None: as the process and environment say; see
    :mod:`runlab.tracking.system_metrics`).
    """
    client = _client()
    stack = _stack.get()
    if stack and not nested and parent_run_id is None:
        raise ConflictError(
            f"run {stack[-1].info.run_id} is already active: end it with runlab.end_run() "
            "first, or start a child run with start_run(nested=True)"
        )
    if run_id is None and not stack:
        run_id = _run_id_from_env()
    if run_id is not None:
        active = _resume(client, run_id)
    else:
        if parent_run_id is None and nested and stack:
            parent_run_id = stack[-1].info.run_id
        active = _create(
            client, experiment_id, run_name, parent_run_id, tags, description, capture_context
        )
    _stack.set((*stack, active))
    _start_system_metrics(client, active.info.run_id, log_system_metrics)
    with _state.lock:
        _state.open_runs[active.info.run_id] = active
        _state.last_run_id = active.info.run_id
        if not _state.exit_hook:
            atexit.register(_end_open_runs_at_exit)
            _state.exit_hook = True
    heartbeats.start(client, active.info.run_id)
    heartbeats.end_runs_on_sigterm(_end_open_runs_killed)
    return active


def _start_system_metrics(client: RunlabClient, run_id: str, requested: bool | None) -> None:
    from runlab.tracking.system_metrics import monitor_for_run

    def log(metrics: dict[str, float], step: int) -> None:
        client.log_metrics(run_id, metrics, step=step, synchronous=False)

    monitor = monitor_for_run(log, requested)
    if monitor is not None:
        with _state.lock:
            _state.monitors[run_id] = monitor


def _run_id_from_env() -> str | None:
    found = RUN_ID_ENV.get()
    for name in (RUN_ID_ENV.name, RUN_ID_ENV.mlflow_name):
        if name:
            os.environ.pop(name, None)
    return found


def _create(
    client: RunlabClient,
    experiment_id: str | None,
    run_name: str | None,
    parent_run_id: str | None,
    tags: dict[str, Any] | None,
    description: str | None,
    capture_context: bool | None,
) -> ActiveRun:
    from runlab.tracking._context import run_context_tags

    all_tags = run_context_tags(capture_context)
    all_tags.update({k: str(v) for k, v in (tags or {}).items()})
    if parent_run_id is not None:
        client.get_run(parent_run_id)  # a clear error for a missing parent
        all_tags[PARENT_TAG] = parent_run_id
    if description is not None:
        all_tags[NOTE_TAG] = description
    exp_id = str(experiment_id) if experiment_id is not None else _current_experiment_id()
    run = client.create_run(exp_id, tags=all_tags, run_name=run_name)
    _state.params[run.info.run_id] = {}
    return ActiveRun(run)


def _resume(client: RunlabClient, run_id: str) -> ActiveRun:
    run = client.get_run(run_id)
    if run.info.lifecycle_stage != LifecycleStage.ACTIVE:
        raise ConflictError(f"run {run_id!r} is deleted; restore it before resuming it")
    if run.info.status != RunStatus.RUNNING:
        client.update_run(run_id, status=RunStatus.RUNNING)
        run = client.get_run(run_id)
    _state.params[run_id] = dict(run.data.params)
    return ActiveRun(run)


def active_run() -> ActiveRun | None:
    stack = _stack.get()
    return stack[-1] if stack else None


def last_active_run() -> Run | None:
    """The active run, or else the run most recently ended in this process."""
    current = active_run()
    run_id = current.info.run_id if current else _state.last_run_id
    return _client().get_run(run_id) if run_id else None


def end_run(status: str = RunStatus.FINISHED) -> None:
    """End the active run (the innermost one), writing everything queued for it first."""
    stack = _stack.get()
    if stack:
        _end(stack[-1].info.run_id, status, raise_errors=True)


def _end(run_id: str, status: str, raise_errors: bool, at_exit: bool = False) -> None:
    stack = _stack.get()
    ended = next((r for r in stack if r.info.run_id == run_id), None)
    if any(r.info.run_id == run_id for r in stack):
        _stack.set(tuple(r for r in stack if r.info.run_id != run_id))
    with _state.lock:
        was_open = _state.open_runs.pop(run_id, None) is not None
        if was_open:
            _state.last_run_id = run_id  # as in MLflow: the run ended last
        monitor = _state.monitors.pop(run_id, None)
    heartbeats.stop(run_id)
    if monitor is not None:
        monitor.stop()  # its last points are queued before the flush below
    if not was_open:
        return
    _state.params.pop(run_id, None)
    client = _client()
    try:
        client.flush(run_id)
        _flush_artifacts(run_id)
    except RunlabError:
        client.set_terminated(run_id, RunStatus.FAILED, synchronous=False)
        if raise_errors:
            raise
        return
    # With a server the end goes into the journal: an unreachable server cannot stop
    # the script, and the run ends there once the journal is sent.
    client.set_terminated(run_id, status, synchronous=False)
    try:
        client.flush(run_id)  # a server that answers has the run ended on return
    except RunlabError:
        if raise_errors:
            raise
    if ended is not None and not at_exit:
        from runlab.tracking._run_links import print_run_links

        print_run_links(client, ended.info)
    if not at_exit:
        with _state.lock:
            _state.runs_ended += 1
            sweep = _state.runs_ended == _RUNS_BEFORE_PANDAS
        if sweep:  # a DataFrame of runs is likely to follow
            from runlab.tracking._frames import preload_pandas

            preload_pandas()


def _close_batchers_at_exit() -> None:
    # Registered at import, so it runs after every hook registered later (atexit runs
    # the last first), _end_open_runs_at_exit included: the runs' ends are journaled.
    batching = sys.modules.get("runlab.tracking._batching")
    if batching is not None:
        try:
            batching.close_all()
        except Exception as exc:
            print(f"runlab: {exc}", file=sys.stderr)  # noqa: T201


atexit.register(_close_batchers_at_exit)


def _end_open_runs_at_exit() -> None:
    # An uncaught exception leaves sys.last_value behind before atexit hooks run.
    crashed = getattr(sys, "last_value", None)
    if isinstance(crashed, KeyboardInterrupt):
        status = RunStatus.KILLED
    elif crashed is not None:
        status = RunStatus.FAILED
    else:
        status = RunStatus.FINISHED
    for run_id in reversed(list(_state.open_runs)):
        try:
            _end(run_id, status, raise_errors=False, at_exit=True)
        except Exception as exc:
            print(f"runlab: could not end run {run_id}: {exc}", file=sys.stderr)  # noqa: T201
    if _state.client is not None:
        try:
            _state.client.flush()
        except Exception as exc:
            print(f"runlab: {exc}", file=sys.stderr)  # noqa: T201


def _end_open_runs_killed() -> None:
    """On SIGTERM: every run this process has open ends KILLED."""
    for run_id in reversed(list(_state.open_runs)):
        try:
            _end(run_id, RunStatus.KILLED, raise_errors=False, at_exit=True)
        except Exception as exc:
            print(f"runlab: could not end run {run_id}: {exc}", file=sys.stderr)  # noqa: T201


def _run_id() -> str:
    stack = _stack.get()
    if stack:
        return stack[-1].info.run_id
    return start_run().info.run_id  # MLflow's behaviour: logging starts a run


# ==================================================================== logging
def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool = False,
    run_id: str | None = None,
    model_id: str | None = None,
    dataset: Dataset | None = None,
) -> None:
    """Log a point to the active run (or ``run_id``). With ``model_id`` the point is also
    recorded on that logged model; ``dataset`` names the data it was computed on and is
    recorded as an input of the run, as MLflow does."""
    rid = run_id or _run_id()
    name, digest = _metric_dataset(rid, dataset)
    _client().log_metric(
        rid, key, value, timestamp, step, synchronous, name, digest, model_id=model_id
    )


def log_metrics(
    metrics: dict[str, float],
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool = False,
    run_id: str | None = None,
    model_id: str | None = None,
    dataset: Dataset | None = None,
) -> None:
    rid = run_id or _run_id()
    name, digest = _metric_dataset(rid, dataset)
    _client().log_metrics(rid, metrics, step, timestamp, synchronous, model_id, name, digest)


def _metric_dataset(run_id: str, dataset: Dataset | None) -> tuple[str | None, str | None]:
    """The dataset's (name, digest), logging it as an input of the run the first time."""
    if dataset is None:
        return None, None
    if not isinstance(dataset, Dataset):
        raise InvalidInputError(f"dataset: expected a runlab Dataset, got {type(dataset).__name__}")
    seen = _state.metric_datasets.setdefault(run_id, set())
    if (dataset.name, dataset.digest) not in seen:
        logged = _client().get_run(run_id).inputs.dataset_inputs
        if all(
            (d.dataset.name, d.dataset.digest) != (dataset.name, dataset.digest) for d in logged
        ):
            _client().log_inputs(run_id, [DatasetInput(dataset)])
        seen.add((dataset.name, dataset.digest))
    return dataset.name, dataset.digest


def _checked_params(run_id: str, params: dict[str, Any]) -> list[Param]:
    """Validate now, including immutability against what this process already logged."""
    known = _state.params.setdefault(run_id, {})
    out = []
    for key, value in params.items():
        p = Param(check.key("param", key), check.param_value(key, value))
        old = known.get(p.key)
        if old is not None and old != p.value:
            raise ConflictError(
                f"param {p.key!r} of run {run_id!r} is already {old!r} and cannot change to "
                f"{p.value!r}: params are immutable (use a tag for values that change)"
            )
        out.append(p)
    for p in out:
        known[p.key] = p.value
    return out


def log_param(key: str, value: Any, synchronous: bool = False) -> Any:
    log_params({key: value}, synchronous=synchronous)
    return value


def log_params(
    params: dict[str, Any], synchronous: bool = False, run_id: str | None = None
) -> None:
    rid = run_id or _run_id()
    checked = {p.key: p.value for p in _checked_params(rid, params)}
    _client().log_params(rid, checked, synchronous)


def set_tag(key: str, value: Any, synchronous: bool = False) -> None:
    set_tags({key: value}, synchronous=synchronous)


def set_tags(tags: dict[str, Any], synchronous: bool = False) -> None:
    _client().set_tags(_run_id(), tags, synchronous)


def delete_tag(key: str) -> None:
    rid = _run_id()
    _client().flush(rid)
    _client().delete_tag(rid, key)


def log_batch(
    metrics: Sequence[Metric] = (),
    params: Sequence[Param] = (),
    tags: Sequence[RunTag] = (),
) -> None:
    _client().log_batch(_run_id(), metrics, params, tags)


def flush() -> None:
    """Write everything queued in this process; raise if an earlier write failed."""
    if _state.client is not None:
        _state.client.flush()


# ==================================================================== artifacts and inputs
def log_artifact(
    local_path: str | os.PathLike[str],
    artifact_path: str | None = None,
    run_id: str | None = None,
) -> None:
    """Upload a file to the active run, or to ``run_id`` (active or not)."""
    _client().log_artifact(run_id or _run_id(), local_path, artifact_path, synchronous=False)


def log_artifacts(
    local_dir: str | os.PathLike[str],
    artifact_path: str | None = None,
    run_id: str | None = None,
) -> None:
    _client().log_artifacts(run_id or _run_id(), local_dir, artifact_path, synchronous=False)


def log_text(text: str, artifact_file: str, run_id: str | None = None) -> None:
    _client().log_text(run_id or _run_id(), text, artifact_file, synchronous=False)


def log_dict(dictionary: Any, artifact_file: str, run_id: str | None = None) -> None:
    _client().log_dict(run_id or _run_id(), dictionary, artifact_file, synchronous=False)


def log_stream(stream: Any, artifact_file: str, run_id: str | None = None) -> None:
    """Store a binary file-like object's content as ``artifact_file``."""
    _client().log_stream(run_id or _run_id(), stream, artifact_file)


def log_figure(figure: Any, artifact_file: str, save_kwargs: dict[str, Any] | None = None) -> None:
    _client().log_figure(_run_id(), figure, artifact_file, save_kwargs, synchronous=False)


def log_image(
    image: Any,
    artifact_file: str | None = None,
    key: str | None = None,
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool | None = None,
) -> None:
    """See :meth:`RunlabClient.log_image`; ``synchronous=False`` uploads in the background
    (``end_run`` waits for it). Through a server's journal, the image goes in the journal
    unless ``synchronous=True``, as the run's other artifacts do."""
    client = _client()
    if synchronous is None and client.journaled:
        synchronous = False
    client.log_image(
        _run_id(),
        image,
        artifact_file,
        key=key,
        step=step,
        timestamp=timestamp,
        synchronous=synchronous,
    )


def _flush_artifacts(run_id: str | None = None) -> None:
    """Wait for background artifact uploads (if any were ever queued)."""
    queue = sys.modules.get("runlab.tracking._artifact_queue")
    if queue is not None:
        queue.flush(run_id)


def list_artifacts(path: str | None = None, run_id: str | None = None) -> list[FileInfo]:
    return _client().list_artifacts(run_id or _run_id(), path)


def download_artifacts(
    artifact_path: str = "", run_id: str | None = None, dst_path: str | None = None
) -> str:
    return _client().download_artifacts(run_id or _run_id(), artifact_path, dst_path)


def get_artifact_uri(artifact_path: str | None = None) -> str:
    return _client().get_artifact_uri(_run_id(), artifact_path)


def log_input(
    dataset: Dataset | None = None,
    context: str | None = None,
    tags: dict[str, str] | None = None,
    model: LoggedModelInput | None = None,
) -> None:
    """Record that the active run used ``dataset`` (see :mod:`runlab.data`) and/or the
    logged ``model``."""
    if dataset is None and model is None:
        raise InvalidInputError("dataset, model: give a dataset, a model or both")
    if dataset is not None and not isinstance(dataset, Dataset):
        raise InvalidInputError(f"dataset: expected a runlab Dataset, got {type(dataset).__name__}")
    if model is not None:
        _client().log_inputs(_run_id(), models=[model])
    if dataset is None:
        return
    input_tags = [InputTag(k, str(v)) for k, v in (tags or {}).items()]
    if context is not None:
        input_tags.append(InputTag("mlflow.data.context", context))
    _client().log_inputs(_run_id(), [DatasetInput(dataset, tuple(input_tags))], synchronous=False)


# ==================================================================== reading
def get_run(run_id: str) -> Run:
    return _client().get_run(run_id)


def get_experiment(experiment_id: str) -> Experiment:
    return _client().get_experiment(experiment_id)


def get_experiment_by_name(name: str) -> Experiment | None:
    return _client().get_experiment_by_name(name)


def create_experiment(
    name: str, artifact_location: str | None = None, tags: dict[str, Any] | None = None
) -> str:
    return _client().create_experiment(name, artifact_location, tags)


def delete_experiment(experiment_id: str) -> None:
    _client().delete_experiment(experiment_id)


def delete_run(run_id: str) -> None:
    _client().delete_run(run_id)


def set_experiment_tag(key: str, value: Any) -> None:
    _client().set_experiment_tag(_current_experiment_id(), key, value)


def search_experiments(
    view_type: ViewType | int | str = ViewType.ACTIVE_ONLY,
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: Sequence[str] | None = None,
) -> list[Experiment]:
    """Every matching experiment (paged through for you unless ``max_results`` is set)."""
    client = _client()
    out: list[Experiment] = []
    token = None
    while True:
        want = 1000 if max_results is None else min(1000, max_results - len(out))
        page = client.search_experiments(view_type, want, filter_string, order_by, token)
        out.extend(page)
        token = page.token
        if not token or (max_results is not None and len(out) >= max_results):
            return out


def search_runs(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str = "",
    run_view_type: ViewType | int | str = ViewType.ACTIVE_ONLY,
    max_results: int = 100_000,
    order_by: Sequence[str] | None = None,
    output_format: str = "pandas",
    search_all_experiments: bool = False,
    experiment_names: Sequence[str] | None = None,
) -> Any:
    """Runs matching ``filter_string``: a pandas DataFrame (when pandas is installed and
    ``output_format="pandas"``) or a list of Run entities (``output_format="list"``)."""
    if output_format not in ("pandas", "list"):
        raise InvalidInputError(f"output_format must be 'pandas' or 'list', got {output_format!r}")
    if output_format == "pandas":
        try:
            import pandas  # noqa: F401
        except ImportError:
            output_format = "list"  # as documented: runs when pandas is missing
    client = _client()
    ids = _search_experiment_ids(client, experiment_ids, experiment_names, search_all_experiments)
    if output_format == "list":
        runs: list[Run] = []
        token = None
        while len(runs) < max_results:
            want = min(check.MAX_RESULTS_SEARCH_RUNS, max_results - len(runs))
            page = client.search_runs(ids, filter_string, run_view_type, want, order_by, token)
            runs.extend(page)
            token = page.token
            if not token:
                break
        return runs
    from runlab.store.run_table import RunTable
    from runlab.tracking._frames import table_to_frame

    # Columns all the way: no Run entities are built for a DataFrame.
    table = RunTable()
    while len(table) < max_results:
        want = min(check.MAX_RESULTS_SEARCH_RUNS, max_results - len(table))
        columns = client.search_runs_table(
            ids, filter_string, run_view_type, want, order_by, table.token
        )
        table.extend(columns)
        if not columns.token:
            break
    return table_to_frame(table)


def _search_experiment_ids(
    client: RunlabClient,
    experiment_ids: Sequence[str] | None,
    experiment_names: Sequence[str] | None,
    search_all: bool,
) -> list[str]:
    if experiment_ids is not None and experiment_names is not None:
        raise InvalidInputError("pass experiment_ids or experiment_names, not both")
    if isinstance(experiment_ids, (str, int)):
        experiment_ids = [str(experiment_ids)]
    if experiment_names is not None:
        if isinstance(experiment_names, str):
            experiment_names = [experiment_names]
        ids = []
        for name in experiment_names:
            exp = client.get_experiment_by_name(name)
            if exp is not None:  # MLflow skips unknown names
                ids.append(exp.experiment_id)
        return ids
    if experiment_ids:
        return [str(e) for e in experiment_ids]
    if search_all:
        return [e.experiment_id for e in search_experiments(ViewType.ALL)]
    return [_current_experiment_id()]


def _reset_for_tests() -> None:
    """Forget fluent state (runs stay in the store); used by the test suite."""
    flush()
    _stack.set(())
    from runlab.store.uri import set_chosen_uri

    set_chosen_uri(None)
    for run_id in heartbeats.active():
        heartbeats.stop(run_id)
    global _state
    _state = _State()
