"""RestStore: the tracking store behind a server that speaks MLflow's REST API.

Every method is one endpoint of ``/api/2.0/mlflow/`` (``log_batch`` may take several,
see :func:`batch_chunks`); the server validates and stores, and its JSON errors come
back as runlab's error classes (:mod:`runlab.store.rest._http`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from runlab import _validation as check
from runlab import wire
from runlab.entities import (
    DatasetInput,
    Experiment,
    Metric,
    PagedList,
    Param,
    Run,
    RunInfo,
    RunTag,
    ViewType,
    all_pages,
)
from runlab.errors import InvalidInputError, NotFoundError, PartialWriteError, StorageError
from runlab.store.base import MetricUpdates, TrackingStore
from runlab.store.imports import RunRecord
from runlab.store.rest import _import, _series
from runlab.store.rest._http import HttpSession
from runlab.store.run_table import RunTable

__all__ = ["MAX_REQUEST_BYTES", "RestStore", "batch_chunks"]

API = "/api/2.0/mlflow"
HISTORY_PAGE = 25_000  # MLflow's page of metric history
MAX_REQUEST_BYTES = 1_000_000  # MLflow refuses larger log-batch bodies
_BODY_OVERHEAD = 200  # run_id and the JSON around the three lists


class RestStore(TrackingStore):
    """Experiments and runs kept by the tracking server at ``tracking_uri``."""

    def __init__(self, tracking_uri: str) -> None:
        self.tracking_uri = tracking_uri.rstrip("/")
        self.http = HttpSession(self.tracking_uri)
        # Whether the server has runlab's import calls; None until the first import asks.
        self.takes_imports: bool | None = None

    def __repr__(self) -> str:
        return f"RestStore({self.tracking_uri!r})"

    def _get(self, endpoint: str, **params: Any) -> dict[str, Any]:
        query = {k: v for k, v in params.items() if v is not None}
        return self.http.call("GET", f"{API}/{endpoint}", params=query, repeatable=True)

    def _post(self, endpoint: str, body: dict[str, Any], repeatable: bool = True) -> dict[str, Any]:
        return self.http.call("POST", f"{API}/{endpoint}", body=body, repeatable=repeatable)

    def close(self) -> None:
        """Nothing to release: connections belong to the process-wide pool of this server."""

    # ================================================================ experiments
    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> str:
        body: dict[str, Any] = {"name": name, "tags": wire.key_values(tags or {})}
        if artifact_location:
            body["artifact_location"] = artifact_location
        return str(self._post("experiments/create", body, repeatable=False)["experiment_id"])

    def get_experiment(self, experiment_id: str) -> Experiment:
        answer = self._get("experiments/get", experiment_id=str(experiment_id))
        return wire.experiment_from_json(answer["experiment"])

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        try:
            answer = self._get("experiments/get-by-name", experiment_name=name)
        except NotFoundError:
            return None
        return wire.experiment_from_json(answer["experiment"])

    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        body: dict[str, Any] = {
            "max_results": check.max_results(max_results, check.MAX_RESULTS_SEARCH_EXPERIMENTS),
            "view_type": ViewType.parse(view_type).name,
            "order_by": wire.strings(order_by),
        }
        if filter_string:
            body["filter"] = filter_string
        if page_token:
            body["page_token"] = page_token
        answer = self._post("experiments/search", body)
        found = [wire.experiment_from_json(e) for e in answer.get("experiments") or ()]
        return PagedList(found, answer.get("next_page_token") or None)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        self._post(
            "experiments/update", {"experiment_id": str(experiment_id), "new_name": new_name}
        )

    def delete_experiment(self, experiment_id: str) -> None:
        self._post("experiments/delete", {"experiment_id": str(experiment_id)})

    def restore_experiment(self, experiment_id: str) -> None:
        self._post("experiments/restore", {"experiment_id": str(experiment_id)})

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        body = {"experiment_id": str(experiment_id), "key": key, "value": str(value)}
        self._post("experiments/set-experiment-tag", body)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        body = {"experiment_id": str(experiment_id), "key": key}
        self._post("experiments/delete-experiment-tag", body, repeatable=False)

    # ================================================================ runs
    def create_run(
        self,
        experiment_id: str,
        user_id: str,
        start_time: int,
        tags: dict[str, str],
        run_name: str,
        run_id: str | None = None,
    ) -> RunInfo:
        if run_id is not None:
            raise InvalidInputError(
                f"run_id {run_id!r}: a tracking server chooses the ids of the runs it creates"
            )
        body = {
            "experiment_id": str(experiment_id),
            "user_id": user_id,
            "start_time": start_time,
            "run_name": run_name,
            "tags": wire.key_values(tags),
        }
        answer = self._post("runs/create", body, repeatable=False)
        return wire.run_info_from_json(answer["run"]["info"])

    def get_run(self, run_id: str) -> Run:
        return wire.run_from_json(self._get("runs/get", run_id=run_id)["run"])

    def update_run_info(
        self,
        run_id: str,
        status: str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        body: dict[str, Any] = {"run_id": run_id, "run_uuid": run_id}
        if status is not None:
            body["status"] = status
        if end_time is not None:
            body["end_time"] = end_time
        if run_name is not None:
            body["run_name"] = run_name
        answer = self._post("runs/update", body)
        return wire.run_info_from_json(answer["run_info"])

    def delete_run(self, run_id: str) -> None:
        self._post("runs/delete", {"run_id": run_id})

    def restore_run(self, run_id: str) -> None:
        self._post("runs/restore", {"run_id": run_id})

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        """Send in as few requests as MLflow's limits allow, params and tags first.

        A batch within the limits of one request (1,000 entities, 100 params, 100 tags,
        1 MB) is stored all or nothing, as on any store. A larger one is split; when a
        request fails after others were stored, PartialWriteError says how much was,
        so the batcher re-sends only the rest.
        """
        stored = [0, 0, 0]  # params, tags, metrics
        for body in batch_chunks(run_id, metrics, params, tags):
            try:
                self.http.call("POST", f"{API}/runs/log-batch", body=body, repeatable=True)
            except StorageError as exc:
                if not any(stored):
                    raise
                raise PartialWriteError(
                    f"{exc.message} (the batch was split to fit the server's limits; "
                    f"{stored[0]} params, {stored[1]} tags and {stored[2]} metric points of "
                    "it were stored before this request failed)",
                    *stored,
                ) from exc
            stored[0] += len(body["params"])
            stored[1] += len(body["tags"])
            stored[2] += len(body["metrics"])

    def delete_tag(self, run_id: str, key: str) -> None:
        self._post("runs/delete-tag", {"run_id": run_id, "key": key}, repeatable=False)

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        if not datasets:
            return
        body = {"run_id": run_id, "datasets": [wire.dataset_input_json(d) for d in datasets]}
        self._post("runs/log-inputs", body)

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[Metric]:
        if max_results is not None:
            size = check.max_results(max_results, 10**9)
            return self._history_page(run_id, key, size, page_token)
        points = all_pages(
            lambda token: self._history_page(run_id, key, HISTORY_PAGE, token), page_token
        )
        if page_token is None:
            points.sort(key=lambda m: (m.step, m.timestamp))  # stable: equal keys keep order
        return PagedList(points, None)

    def _history_page(
        self, run_id: str, key: str, size: int, token: str | None
    ) -> PagedList[Metric]:
        answer = self._get(
            "metrics/get-history",
            run_id=run_id,
            metric_key=key,
            max_results=size,
            page_token=token,
        )
        points = [wire.metric_from_json(m, run_id) for m in answer.get("metrics") or ()]
        return PagedList(points, answer.get("next_page_token") or None)

    def get_metric_histories_downsampled(
        self,
        run_ids: Sequence[str],
        keys: Sequence[str],
        max_points: int = 2000,
        x_axis: str = "step",
    ) -> dict[str, dict[str, list[Metric]]]:
        """One request to runlab's batch endpoint (a runlab server's own)."""
        return _series.downsampled(self.http, run_ids, keys, max_points, x_axis)

    def get_metric_updates(
        self,
        run_ids: Sequence[str],
        keys: Sequence[str],
        after_step: Mapping[str, Mapping[str, int]] | None = None,
        max_points: int = 2000,
    ) -> MetricUpdates:
        return _series.updates(self.http, run_ids, keys, after_step, max_points)

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        if not experiment_ids:
            return PagedList([], None)
        body = self._search_body(
            experiment_ids, filter_string, run_view_type, max_results, order_by, page_token
        )
        answer = self._post("runs/search", body)
        found = [wire.run_from_json(r) for r in answer.get("runs") or ()]
        return PagedList(found, answer.get("next_page_token") or None)

    @staticmethod
    def _search_body(
        experiment_ids: Sequence[str],
        filter_string: str | None,
        run_view_type: ViewType,
        max_results: int,
        order_by: Sequence[str] | None,
        page_token: str | None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "experiment_ids": wire.strings(experiment_ids),
            "run_view_type": ViewType.parse(run_view_type).name,
            "max_results": check.max_results(max_results, check.MAX_RESULTS_SEARCH_RUNS),
            "order_by": wire.strings(order_by),
        }
        if filter_string:
            body["filter"] = filter_string
        if page_token:
            body["page_token"] = page_token
        return body

    def search_run_table(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> RunTable:
        """The page :meth:`search_runs` returns, read from the JSON into columns."""
        from runlab.store.rest._run_table import table_from_answer

        if not experiment_ids:
            return RunTable()
        body = self._search_body(
            experiment_ids, filter_string, run_view_type, max_results, order_by, page_token
        )
        return table_from_answer(self._post("runs/search", body))

    # ================================================================ imports
    def import_experiment(self, experiment: Experiment) -> str:
        """A runlab server keeps the name, tags, stage and times and numbers it; see
        :mod:`runlab.store.rest._import`."""
        return _import.import_experiment(self, experiment)

    def import_runs(self, experiment_id: str, runs: Sequence[RunRecord]) -> list[RunInfo]:
        """A runlab server keeps each run's id (unless another experiment has it) and
        every field; an MLflow server gives new ids. See :mod:`runlab.store.rest._import`."""
        return _import.import_runs(self, experiment_id, runs)

    def record_heartbeat(self, run_id: str, time_ms: int | None = None) -> None:
        """runlab's own endpoint; without ``time_ms`` the server's clock stamps it."""
        body: dict[str, Any] = {"run_id": run_id}
        if time_ms is not None:
            body["time_ms"] = time_ms
        self.http.call("POST", "/api/2.0/runlab/runs/heartbeat", body=body, repeatable=True)

    # ================================================================ housekeeping
    def deleted_run_ids(self, older_than_ms: int | None = None) -> list[str]:
        raise self._database_only("listing runs for permanent removal")

    def purge_run(self, run_id: str) -> None:
        raise self._database_only(f"permanently removing run {run_id!r}")

    def _database_only(self, what: str) -> InvalidInputError:
        return InvalidInputError(
            f"{what} is not part of the tracking server's REST API ({self.tracking_uri}): "
            "run `runlab gc` on the server's machine, with the tracking URI set to its "
            "database (--backend-store-uri)"
        )


# ==================================================================== log-batch chunks
def batch_chunks(
    run_id: str,
    metrics: Sequence[Metric],
    params: Sequence[Param],
    tags: Sequence[RunTag],
) -> Iterator[dict[str, Any]]:
    """log-batch bodies within MLflow's limits: 1,000 metrics, 100 params, 100 tags,
    1,000 entities and 1 MB each. Params and tags go first (a changed param is refused
    before any point of the batch is stored); metrics fill the room they leave."""
    body = _empty(run_id)
    size = _BODY_OVERHEAD + len(run_id)
    count = 0
    items: list[tuple[str, dict[str, Any], int]] = []
    items += [("params", wire.param_json(p), check.MAX_PARAMS_PER_BATCH) for p in params]
    items += [("tags", wire.tag_json(t), check.MAX_TAGS_PER_BATCH) for t in tags]
    for field, item, limit in items:
        item_size = len(json.dumps(item, separators=(",", ":")).encode()) + 1
        if (
            len(body[field]) >= limit
            or count >= check.MAX_ENTITIES_PER_BATCH
            or size + item_size > MAX_REQUEST_BYTES
        ):
            yield body
            body, size, count = _empty(run_id), _BODY_OVERHEAD + len(run_id), 0
        body[field].append(item)
        size += item_size
        count += 1
    for m in metrics:
        item = wire.metric_json(m)
        # The rest of a point is under 100 bytes; JSON escapes a non-ASCII character as 6.
        item_size = (len(m.key) if m.key.isascii() else 6 * len(m.key)) + 100
        if (
            len(body["metrics"]) >= check.MAX_METRICS_PER_BATCH
            or count >= check.MAX_ENTITIES_PER_BATCH
            or size + item_size > MAX_REQUEST_BYTES
        ):
            yield body
            body, size, count = _empty(run_id), _BODY_OVERHEAD + len(run_id), 0
        body["metrics"].append(item)
        size += item_size
        count += 1
    if count:
        yield body


def _empty(run_id: str) -> dict[str, Any]:
    return {"run_id": run_id, "metrics": [], "params": [], "tags": []}
