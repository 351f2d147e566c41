"""RunlabClient: explicit, stateless access to everything a tracking store holds.

Shaped like MLflow's ``MlflowClient``. Every argument is validated here, at the
boundary, before the store sees it.
"""

from __future__ import annotations

import io
import json
import os
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from runlab import _validation as check
from runlab.entities import (
    DatasetInput,
    Experiment,
    LoggedModelInput,
    Metric,
    PagedList,
    Param,
    Run,
    RunData,
    RunGroups,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
    tags_dict,
)
from runlab.errors import InvalidInputError
from runlab.tracking._logged_models_client import LoggedModelClientMixin
from runlab.tracking._registry_client import RegistryClientMixin

if TYPE_CHECKING:
    from runlab.store.artifacts.base import ArtifactRepository, FileInfo
    from runlab.store.base import TrackingStore
    from runlab.store.run_table import RunTable
    from runlab.tracking._batching import Batcher

__all__ = ["RunlabClient"]


def _now_ms() -> int:
    return int(time.time() * 1000)


class RunlabClient(LoggedModelClientMixin, RegistryClientMixin):
    """Client for one tracking URI (the resolved default when none is given); the model
    registry lives at ``registry_uri``, the tracking URI unless given."""

    def __init__(self, tracking_uri: str | None = None, registry_uri: str | None = None) -> None:
        from runlab.store import uri as store_uri

        self.tracking_uri = store_uri.resolve(tracking_uri)
        self._registry_uri = store_uri.resolve(registry_uri) if registry_uri else None
        self._store: TrackingStore | None = None
        self._batcher: Batcher | None = None
        self._artifact_uris: dict[str, str] = {}

    @property
    def store(self) -> TrackingStore:
        if self._store is None:
            from runlab.store.uri import get_store

            self._store = get_store(self.tracking_uri)
        return self._store

    @property
    def batcher(self) -> Batcher:
        """The queue asynchronous logging goes through (one per store in the process)."""
        b = self._batcher
        if b is None:
            from runlab.tracking._batching import batcher_for

            b = self._batcher = batcher_for(self.store)
        return b

    def _settle(self) -> None:
        """Reads see every write this process made, queued ones included."""
        from runlab.tracking._batching import existing_batcher

        b = existing_batcher(self.store)
        if b is not None and b.has_pending():
            b.flush()

    # ================================================================ experiments
    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: dict[str, Any] | None = None,
    ) -> str:
        return self.store.create_experiment(name, artifact_location, tags_dict(tags))

    def get_experiment(self, experiment_id: str) -> Experiment:
        return self.store.get_experiment(str(experiment_id))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        return self.store.get_experiment_by_name(name)

    def search_experiments(
        self,
        view_type: ViewType | int | str = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        return self.store.search_experiments(
            ViewType.parse(view_type), max_results, filter_string, order_by, page_token
        )

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        self.store.rename_experiment(str(experiment_id), new_name)

    def delete_experiment(self, experiment_id: str) -> None:
        self.store.delete_experiment(str(experiment_id))

    def restore_experiment(self, experiment_id: str) -> None:
        self.store.restore_experiment(str(experiment_id))

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        self.store.set_experiment_tag(str(experiment_id), key, value)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        self.store.delete_experiment_tag(str(experiment_id), key)

    # ================================================================ runs
    def create_run(
        self,
        experiment_id: str,
        start_time: int | None = None,
        tags: dict[str, Any] | Iterable[RunTag] | None = None,
        run_name: str | None = None,
        user_id: str | None = None,
    ) -> Run:
        from runlab.store._names import generate_run_name
        from runlab.tracking._context import current_user

        tag_map = {k: str(v) for k, v in tags_dict(tags).items()}
        name = run_name or tag_map.get("mlflow.runName") or generate_run_name()
        user = user_id or tag_map.get("mlflow.user") or current_user()
        tag_map.setdefault("mlflow.user", user)
        start = _now_ms() if start_time is None else check.int64("start_time", start_time)
        info = self.store.create_run(str(experiment_id), user, start, tag_map, name)
        self._artifact_uris[info.run_id] = info.artifact_uri
        tag_map["mlflow.runName"] = name
        return Run(info=info, data=RunData(tags=tag_map))

    def get_run(self, run_id: str) -> Run:
        self._settle()
        return self.store.get_run(run_id)

    def get_parent_run(self, run_id: str) -> Run | None:
        parent = self.get_run(run_id).data.tags.get("mlflow.parentRunId")
        return self.get_run(parent) if parent else None

    def update_run(self, run_id: str, status: str | None = None, name: str | None = None) -> None:
        self.store.update_run_info(run_id, status=status, run_name=name)

    def record_heartbeat(self, run_id: str) -> None:
        """Tell the store that ``run_id``'s process is alive (see docs/server.md): a
        RUNNING run whose heartbeats stop is ended FAILED as crashed."""
        self.store.record_heartbeat(run_id)

    def delivered_within(self, run_id: str, seconds: float) -> bool:
        """Whether this process's journal delivered a log-batch for ``run_id`` in the
        last ``seconds`` (the server took it as a heartbeat)."""
        b = self._pending_batcher()
        return b is not None and b.delivered_within(run_id, seconds)

    def set_terminated(
        self,
        run_id: str,
        status: str | None = None,
        end_time: int | None = None,
        synchronous: bool = True,
    ) -> RunInfo | None:
        """End the run after what was queued for it. ``synchronous=False`` with a
        tracking server puts the change in the process's journal and returns None."""
        status = status or RunStatus.FINISHED
        end = _now_ms() if end_time is None else check.int64("end_time", end_time)
        if not synchronous and self._journal_batcher() is not None:
            if status not in RunStatus.ALL:
                raise InvalidInputError(
                    f"status {status!r} is not one of {', '.join(RunStatus.ALL)}"
                )
            body = {"status": status, "end_time": end}
            self.batcher.add_record(run_id, "update", body)
            return None
        self.flush(run_id)
        return self.store.update_run_info(run_id, status=status, end_time=end)

    @property
    def journaled(self) -> bool:
        """Whether this client's writes go through the local journal (a server store)."""
        return self._journal_batcher() is not None

    def _journal_batcher(self) -> Batcher | None:
        """The batcher when this client's writes go through a journal (a server store)."""
        b = self.batcher
        return b if b.journaled else None

    def _pending_batcher(self) -> Batcher | None:
        from runlab.tracking._batching import existing_batcher

        return existing_batcher(self.store)

    def delete_run(self, run_id: str) -> None:
        self._settle()
        self.store.delete_run(run_id)

    def restore_run(self, run_id: str) -> None:
        self.store.restore_run(run_id)

    # ---------------------------------------------------------------- logging
    def log_metric(
        self,
        run_id: str,
        key: str,
        value: float,
        timestamp: int | None = None,
        step: int | None = None,
        synchronous: bool | None = True,
        dataset_name: str | None = None,
        dataset_digest: str | None = None,
        model_id: str | None = None,
    ) -> None:
        """Log one point. With ``model_id`` (an MLflow 3 logged model) the point is also
        recorded on that model, with the dataset named by ``dataset_name`` and
        ``dataset_digest`` if given; such a point is written before the call returns."""
        links = check.metric_links(model_id, dataset_name, dataset_digest)
        metric = make_metric(key, value, timestamp, step)
        if links[0] is not None:
            self._log_linked(run_id, [metric], links)
        elif synchronous or synchronous is None:
            self._write_now(run_id, metrics=[metric])
        else:
            self.batcher.add_metric(run_id, metric)

    def log_metrics(
        self,
        run_id: str,
        metrics: dict[str, float],
        step: int | None = None,
        timestamp: int | None = None,
        synchronous: bool | None = True,
        model_id: str | None = None,
        dataset_name: str | None = None,
        dataset_digest: str | None = None,
    ) -> None:
        """Log several metrics at one step and time (now, unless ``timestamp`` is given);
        ``model_id`` and the dataset link them as :meth:`log_metric` does."""
        links = check.metric_links(model_id, dataset_name, dataset_digest)
        ts = _now_ms() if timestamp is None else timestamp
        points = [make_metric(k, v, ts, step) for k, v in metrics.items()]
        if links[0] is not None:
            self._log_linked(run_id, points, links)
        elif synchronous or synchronous is None:
            self._write_now(run_id, metrics=points)
        else:
            self.batcher.add_metrics(run_id, points)

    def _log_linked(
        self,
        run_id: str,
        points: list[Metric],
        links: tuple[str | None, str | None, str | None],
    ) -> None:
        """Points of a logged model: on the run, and on the model with their dataset."""
        for point in points:
            point.model_id, point.dataset_name, point.dataset_digest = links
        models = self.logged_model_store
        from runlab.store.rest.logged_models import RestLoggedModelStore

        if isinstance(models, RestLoggedModelStore):
            self.flush(run_id)  # a server's log-metric keeps the point on both
        else:
            self._write_now(run_id, metrics=points)
        models.log_logged_model_metrics(run_id, points)

    def log_param(self, run_id: str, key: str, value: Any, synchronous: bool = True) -> Any:
        self.log_params(run_id, {key: value}, synchronous)
        return value

    def log_params(self, run_id: str, params: dict[str, Any], synchronous: bool = True) -> None:
        items = [Param(check.key("param", k), check.param_value(k, v)) for k, v in params.items()]
        if synchronous:
            self._write_now(run_id, params=items)
        else:
            self.batcher.add_params_tags(run_id, params=items)

    def set_tag(self, run_id: str, key: str, value: Any, synchronous: bool = True) -> None:
        self.set_tags(run_id, {key: value}, synchronous)

    def set_tags(self, run_id: str, tags: dict[str, Any], synchronous: bool = True) -> None:
        items = [RunTag(check.key("tag", k), check.tag_value(k, v)) for k, v in tags.items()]
        if synchronous:
            self._write_now(run_id, tags=items)
        else:
            self.batcher.add_params_tags(run_id, tags=items)

    def _write_now(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        """A synchronous write, after what this process queued for the run: writes land
        in the order they were made."""
        self.flush(run_id)
        self.store.log_batch(run_id, metrics=metrics, params=params, tags=tags)

    def flush(self, run_id: str | None = None) -> None:
        """Write what asynchronous logging queued (for one run, or all) before returning;
        raise if a queued write failed."""
        b = self._pending_batcher()
        if b is not None:
            b.flush(run_id)

    def delete_tag(self, run_id: str, key: str) -> None:
        self._settle()
        self.store.delete_tag(run_id, key)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        synchronous: bool = True,
    ) -> None:
        """Log up to 1,000 entities in one transaction: all of them or, on any error, none."""
        check.batch_sizes(metrics, params, tags)
        ms = _checked_metrics(metrics)
        ps = [Param(check.key("param", p.key), check.param_value(p.key, p.value)) for p in params]
        ts = [RunTag(check.key("tag", t.key), check.tag_value(t.key, t.value)) for t in tags]
        if synchronous:
            self._write_now(run_id, metrics=ms, params=ps, tags=ts)
            return
        if ps or ts:
            self.batcher.add_params_tags(run_id, ps, ts)
        if ms:
            self.batcher.add_metrics(run_id, ms)

    def log_inputs(
        self,
        run_id: str,
        datasets: Sequence[DatasetInput] | None = None,
        models: Sequence[LoggedModelInput] | None = None,
        synchronous: bool = True,
    ) -> None:
        """Record the datasets and the logged models (MLflow 3) ``run_id`` used."""
        used: list[str] = []
        for item in models or ():
            if not isinstance(item, LoggedModelInput):
                raise InvalidInputError(
                    f"models: expected LoggedModelInput entries, got {type(item).__name__}"
                )
            if not item.model_id:
                raise InvalidInputError("models: model_id must not be empty")
            used.append(item.model_id)
        items = list(datasets or [])
        for entry in items:
            if not isinstance(entry, DatasetInput):
                raise InvalidInputError(
                    f"datasets: expected DatasetInput entries, got {type(entry).__name__}"
                )
            if not entry.dataset.name or not entry.dataset.digest:
                raise InvalidInputError("dataset name and digest must not be empty")
        if used:
            self.flush(run_id)
            self.logged_model_store.link_run_models(run_id, inputs=used)
            if not items:
                return
        if items and not synchronous and self._journal_batcher() is not None:
            from runlab import wire

            body = {"datasets": [wire.dataset_input_json(d) for d in items]}
            self.batcher.add_record(run_id, "inputs", body)
            return
        self.flush(run_id)
        self.store.log_inputs(run_id, items)

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[Metric]:
        """Every point of ``key`` in step order; pass ``max_results`` to page through it."""
        self._settle()
        return self.store.get_metric_history(run_id, key, max_results, page_token)

    def search_runs(
        self,
        experiment_ids: Sequence[str] | str,
        filter_string: str = "",
        run_view_type: ViewType | int | str = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        self._settle()
        return self.store.search_runs(
            *_search_query(
                experiment_ids, filter_string, run_view_type, max_results, order_by, page_token
            )
        )

    def search_runs_table(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        run_view_type: ViewType | int | str = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> RunTable:
        """The page :meth:`search_runs` returns, as columns (what DataFrames are built
        from): read straight into columns by a store that can, else built from the runs."""
        from runlab.store.run_table import RunTable, RunTableSource

        self._settle()
        store = self.store
        query = _search_query(
            experiment_ids, filter_string, run_view_type, max_results, order_by, page_token
        )
        if isinstance(store, RunTableSource):
            return store.search_run_table(*query)
        page = store.search_runs(*query)
        return RunTable.from_runs(page, page.token)

    def group_runs(
        self,
        experiment_ids: Sequence[str] | str,
        group_by: str,
        filter_string: str = "",
        run_view_type: ViewType | int | str = ViewType.ACTIVE_ONLY,
        metric_keys: Sequence[str] | None = None,
        max_groups: int = 1000,
    ) -> RunGroups:
        """Runs matching a search, grouped by a param, tag or attribute, counted and with
        min/max/mean of the latest value of each of ``metric_keys``.

        >>> client.group_runs("1", "params.optimizer", metric_keys=["val_loss"])  # doctest: +SKIP
        [RunGroup(value='adam', count=12, metrics={'val_loss': MetricSummary(...)}), ...]
        """
        self._settle()
        if isinstance(experiment_ids, (str, int)):
            experiment_ids = [str(experiment_ids)]
        return self.store.group_runs(
            [str(e) for e in experiment_ids],
            group_by,
            filter_string or None,
            ViewType.parse(run_view_type),
            metric_keys,
            max_groups,
        )

    # ================================================================ artifacts
    def _repo(self, run_id: str) -> ArtifactRepository:
        from runlab.store.artifacts import get_artifact_repository

        uri = self._artifact_uris.get(run_id)
        if uri is None:
            uri = self.store.get_run(run_id).info.artifact_uri
            self._artifact_uris[run_id] = uri
        return get_artifact_repository(uri, tracking_uri=self.tracking_uri)

    def get_artifact_uri(self, run_id: str, artifact_path: str | None = None) -> str:
        """The run's artifact URI; what is read through it next (a ``runs:/`` URI being
        resolved) sees the uploads this process journaled, as :meth:`list_artifacts` does."""
        self._settle()
        self._repo(run_id)  # validates the run
        base = self._artifact_uris[run_id]
        return f"{base}/{artifact_path.lstrip('/')}" if artifact_path else base

    def log_artifact(
        self,
        run_id: str,
        local_path: str | os.PathLike[str],
        artifact_path: str | None = None,
        *,
        synchronous: bool = True,
    ) -> None:
        """Upload a file into directory ``artifact_path``. ``synchronous=False`` with a
        tracking server sets it aside in the process's journal and uploads it in the
        background, in order with the run's other writes."""
        if not synchronous and (b := self._journal_batcher()) is not None:
            from runlab.store.artifacts.local import plan_file_upload
            from runlab.store.rest._stash import stash_files

            pair = plan_file_upload(local_path, artifact_path)  # a user's mistake raises now
            b.add_artifacts(run_id, lambda journal: stash_files(journal, [pair]))
            return
        self._repo(run_id).log_artifact(local_path, artifact_path)

    def log_artifacts(
        self,
        run_id: str,
        local_dir: str | os.PathLike[str],
        artifact_path: str | None = None,
        *,
        synchronous: bool = True,
    ) -> None:
        """Upload the files below ``local_dir`` (``synchronous`` as in :meth:`log_artifact`)."""
        if not synchronous and (b := self._journal_batcher()) is not None:
            from runlab.store.artifacts.local import plan_directory_upload
            from runlab.store.rest._stash import stash_files

            _, pairs = plan_directory_upload(local_dir, artifact_path)
            if pairs:
                b.add_artifacts(run_id, lambda journal: stash_files(journal, pairs))
            return
        self._repo(run_id).log_artifacts(local_dir, artifact_path)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        self._settle()
        return self._repo(run_id).list_artifacts(path)

    def download_artifacts(self, run_id: str, path: str = "", dst_path: str | None = None) -> str:
        """``path`` of the run's artifacts into ``dst_path`` (``dst_path/path``). When
        ``path`` starts with the name of a model the run logged, the files come from that
        logged model, where MLflow 3 keeps them."""
        import tempfile

        from runlab.store.artifacts import _paths
        from runlab.tracking.model_uris import run_logged_model

        self._settle()
        name, _, rest = _paths.normalize(path).partition("/")
        model = run_logged_model(self, run_id, name) if name else None
        if model is None:
            return self._repo(run_id).download_artifacts(path, dst_path)
        target = os.path.join(dst_path or tempfile.mkdtemp(prefix="runlab-artifacts-"), name)
        return self._model_repo(model.model_id).download_artifacts(rest, target)

    def log_bytes(
        self, run_id: str, data: bytes, artifact_file: str, *, synchronous: bool = True
    ) -> None:
        if not synchronous and (b := self._journal_batcher()) is not None:
            from runlab.store.artifacts import _paths
            from runlab.store.rest._stash import stash_bytes

            relative = _paths.normalize(artifact_file)
            if not relative:
                raise InvalidInputError("artifact_file '' names the artifact root, not a file")
            b.add_artifacts(run_id, lambda journal: stash_bytes(journal, bytes(data), relative))
            return
        self._repo(run_id).write_bytes(artifact_file, data)

    def log_text(
        self, run_id: str, text: str, artifact_file: str, *, synchronous: bool = True
    ) -> None:
        self.log_bytes(run_id, text.encode("utf-8"), artifact_file, synchronous=synchronous)

    def log_dict(
        self, run_id: str, dictionary: Any, artifact_file: str, *, synchronous: bool = True
    ) -> None:
        """JSON, or YAML when ``artifact_file`` ends in .yaml or .yml."""
        if artifact_file.lower().endswith((".yaml", ".yml")):
            import yaml

            text = yaml.safe_dump(dictionary, sort_keys=False, allow_unicode=True)
        else:
            text = json.dumps(dictionary, indent=2, default=str)
        self.log_text(run_id, text, artifact_file, synchronous=synchronous)

    def log_figure(
        self,
        run_id: str,
        figure: Any,
        artifact_file: str,
        save_kwargs: dict[str, Any] | None = None,
        *,
        synchronous: bool = True,
    ) -> None:
        from runlab.tracking._media import figure_to_bytes

        data = figure_to_bytes(figure, artifact_file, save_kwargs)
        self.log_bytes(run_id, data, artifact_file, synchronous=synchronous)

    def log_table(self, run_id: str, data: Any, artifact_file: str) -> None:
        """Log ``data`` (a DataFrame or dict of columns) as a JSON table; rows already
        at ``artifact_file`` are kept and the new ones appended."""
        from runlab.tracking import _tables

        _tables.log_table(self, run_id, data, artifact_file)

    def load_table(
        self,
        experiment_id: str,
        artifact_file: str,
        run_ids: list[str] | None = None,
        extra_columns: list[str] | None = None,
    ) -> Any:
        """One DataFrame of the table ``artifact_file`` of the experiment's runs (or of
        ``run_ids``); ``extra_columns=["run_id"]`` tells the rows apart."""
        from runlab.tracking import _tables

        return _tables.load_table(self, experiment_id, artifact_file, run_ids, extra_columns)

    def log_image(
        self,
        run_id: str,
        image: Any,
        artifact_file: str | None = None,
        key: str | None = None,
        step: int | None = None,
        timestamp: int | None = None,
        synchronous: bool | None = None,
    ) -> None:
        """Save ``image`` (PIL image, :class:`runlab.Image` or numpy array) as PNG at
        ``artifact_file``, or, given a ``key``, at ``images/<key>/step_<step>.png`` so a
        series of images can be browsed. A keyed image records its step and ``timestamp``
        (ms, now by default) as PNG text chunks, as does any image given a timestamp.
        ``synchronous=False`` sends it through the journal when writes go to a server
        through one, else uploads on a background thread: ``end_run`` and
        ``flush_artifact_async_logging`` wait for it and raise its error."""
        from runlab.tracking._media import image_to_png_bytes

        if synchronous is not None and not isinstance(synchronous, bool):
            raise InvalidInputError(f"synchronous: expected a bool, got {synchronous!r}")
        text: dict[str, str] = {}
        if timestamp is not None:
            text["timestamp"] = str(check.int64("timestamp", timestamp))
        if artifact_file is None:
            if key is None:
                raise InvalidInputError("log_image needs artifact_file or key")
            check.key("image", key)
            number = check.int64("step", step or 0)
            artifact_file = f"images/{key}/step_{number:06d}.png"
            text = {"step": str(number), "timestamp": text.get("timestamp", str(_now_ms()))}
        data = image_to_png_bytes(image, text)  # bad input raises here, on the caller's thread
        if synchronous is False and self._journal_batcher() is not None:
            self.log_bytes(run_id, data, artifact_file, synchronous=False)
            return
        if synchronous is False:
            from runlab.tracking import _artifact_queue

            repo, target = self._repo(run_id), artifact_file
            _artifact_queue.submit(run_id, lambda: repo.write_bytes(target, data))
            return
        self.log_bytes(run_id, data, artifact_file)

    def log_stream(self, run_id: str, stream: Any, artifact_file: str) -> None:
        """Store what a binary file-like object (``io.BytesIO``, an open file) yields as
        ``artifact_file``, read in chunks rather than whole."""
        if not callable(getattr(stream, "read", None)):
            raise InvalidInputError(
                f"stream: expected a binary file-like object with read(), got "
                f"{type(stream).__name__}"
            )
        if isinstance(stream, io.TextIOBase):
            raise InvalidInputError(
                "stream: expected a binary stream (opened with 'rb', or io.BytesIO), got a "
                "text stream"
            )
        self._repo(run_id).write_stream(artifact_file, stream)


def _checked_metrics(metrics: Sequence[Metric]) -> list[Metric]:
    """The points themselves when canonical (a known key, a float, int64 timestamp and
    step: the common case, checked inline without building new points), else validated
    copies."""
    valid, lo, hi = check._valid_keys, check.INT64_MIN, check.INT64_MAX
    return [
        m
        if type(m.value) is float
        and type(ts := m.timestamp) is int
        and type(step := m.step) is int
        and m.key in valid
        and lo <= ts <= hi
        and lo <= step <= hi
        else make_metric(m.key, m.value, m.timestamp, m.step)
        for m in metrics
    ]


def make_metric(key: str, value: Any, timestamp: int | None, step: int | None) -> Metric:
    """A validated Metric; the timestamp defaults to now and the step to 0."""
    key = check.key("metric", key)
    return Metric(
        key,
        check.metric_value(key, value),
        _now_ms() if timestamp is None else check.int64("timestamp", timestamp),
        0 if step is None else check.int64("step", step),
    )


def _search_query(
    experiment_ids: Sequence[str] | str | int,
    filter_string: str,
    run_view_type: ViewType | int | str,
    max_results: int,
    order_by: Sequence[str] | None,
    page_token: str | None,
) -> tuple[list[str], str | None, ViewType, int, Sequence[str] | None, str | None]:
    """A run search's arguments as the stores take them (one experiment id may come alone)."""
    if isinstance(experiment_ids, (str, int)):
        experiment_ids = [str(experiment_ids)]
    ids = [str(e) for e in experiment_ids]
    return (
        ids,
        filter_string or None,
        ViewType.parse(run_view_type),
        max_results,
        order_by,
        page_token,
    )
