"""RestLoggedModelStore: MLflow 3 logged models kept by a tracking server.

Each method is one request to MLflow's ``/api/2.0/mlflow/logged-models`` endpoints,
which ``runlab server`` and ``mlflow server`` both serve; the JSON goes through
:mod:`runlab.wire`, and the server's errors come back as runlab's classes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from runlab import wire
from runlab.entities import Metric, PagedList
from runlab.entities_logged_models import LoggedModel, LoggedModelStatus
from runlab.errors import InvalidInputError, NotFoundError
from runlab.store.logged_models_base import LoggedModelStore, OrderBy
from runlab.store.rest._http import HttpSession

__all__ = ["IMPORTED_FROM_TAG", "RestLoggedModelStore"]

API = "/api/2.0/mlflow"
# A server chooses a new model's id itself: an imported model records the id it had at
# its source under this tag, which is how a second import finds it.
IMPORTED_FROM_TAG = "runlab.imported_from_model_id"


class RestLoggedModelStore(LoggedModelStore):
    """The logged models of the server at ``tracking_uri``."""

    def __init__(self, tracking_uri: str) -> None:
        self.tracking_uri = tracking_uri.rstrip("/")
        self.http = HttpSession(self.tracking_uri)

    def __repr__(self) -> str:
        return f"RestLoggedModelStore({self.tracking_uri!r})"

    def _model(self, answer: dict[str, Any]) -> LoggedModel:
        return wire.logged_model_from_json(answer["model"])

    def _path(self, model_id: str, *rest: str) -> str:
        if not model_id:
            raise InvalidInputError("model_id: must be a non-empty string")
        return "/".join([f"{API}/logged-models/{quote(model_id, safe='')}", *rest])

    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        model_type: str | None = None,
    ) -> LoggedModel:
        body: dict[str, Any] = {
            "experiment_id": str(experiment_id),
            "tags": wire.key_values(dict(tags or {})),
            "params": wire.key_values(dict(params or {})),
        }
        for key, value in (("name", name), ("source_run_id", source_run_id)):
            if value:
                body[key] = value
        if model_type:
            body["model_type"] = model_type
        answer = self.http.call("POST", f"{API}/logged-models", body=body, repeatable=False)
        return self._model(answer)

    def get_logged_model(self, model_id: str) -> LoggedModel:
        return self._model(self.http.call("GET", self._path(model_id), repeatable=True))

    def import_logged_model(self, model: LoggedModel) -> LoggedModel:
        """The server picks the id (the source's is kept in :data:`IMPORTED_FROM_TAG`);
        name, source run, type, tags, params and status are carried. A model already on
        this server under its id, or imported before, is left as it is."""
        try:
            return self.get_logged_model(model.model_id)
        except NotFoundError:
            pass
        quoted = model.model_id.replace("'", "\\'")
        earlier = self.search_logged_models(
            [model.experiment_id], f"tags.`{IMPORTED_FROM_TAG}` = '{quoted}'", max_results=1
        )
        if earlier:
            return earlier[0]
        made = self.create_logged_model(
            model.experiment_id,
            model.name,
            model.source_run_id,
            {**model.tags, IMPORTED_FROM_TAG: model.model_id},
            model.params,
            model.model_type,
        )
        if model.status != made.status and LoggedModelStatus.parse(model.status):
            made = self.finalize_logged_model(made.model_id, model.status)
        return made

    def finalize_logged_model(self, model_id: str, status: str) -> LoggedModel:
        canonical = LoggedModelStatus.parse(status)
        if canonical is None:
            raise InvalidInputError(
                f"status: must be one of {', '.join(LoggedModelStatus.ALL)}, got {status!r}"
            )
        answer = self.http.call(
            "PATCH", self._path(model_id), body={"status": canonical}, repeatable=True
        )
        return self._model(answer)

    def delete_logged_model(self, model_id: str) -> None:
        self.http.call("DELETE", self._path(model_id), repeatable=False)

    def set_logged_model_tags(self, model_id: str, tags: Mapping[str, str]) -> None:
        body = {"tags": wire.key_values(dict(tags))}
        self.http.call("PATCH", self._path(model_id, "tags"), body=body, repeatable=True)

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        path = self._path(model_id, "tags", quote(key, safe=""))
        self.http.call("DELETE", path, repeatable=False)

    def log_logged_model_params(self, model_id: str, params: Mapping[str, str]) -> None:
        body = {"params": wire.key_values(dict(params))}
        self.http.call("POST", self._path(model_id, "params"), body=body, repeatable=True)

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: Sequence[OrderBy] | None = None,
        page_token: str | None = None,
    ) -> PagedList[LoggedModel]:
        body: dict[str, Any] = {"experiment_ids": [str(e) for e in experiment_ids]}
        if filter_string:
            body["filter"] = filter_string
        if max_results is not None:
            body["max_results"] = max_results
        if order_by:
            body["order_by"] = [{"field_name": f, "ascending": asc} for f, asc in order_by]
        if page_token:
            body["page_token"] = page_token
        answer = self.http.call("POST", f"{API}/logged-models/search", body=body, repeatable=True)
        found = [wire.logged_model_from_json(m) for m in answer.get("models") or ()]
        return PagedList(found, answer.get("next_page_token") or None)

    def log_logged_model_metrics(self, run_id: str, metrics: Sequence[Metric]) -> None:
        """One ``runs/log-metric`` per point with its ``model_id`` (and dataset): the
        request MLflow's client sends, after which both servers keep the point on the run
        (once: an identical point is stored once) and on the model."""
        for point in metrics:
            body = wire.metric_json(point, run_id)
            body["run_uuid"] = run_id
            self.http.call("POST", f"{API}/runs/log-metric", body=body, repeatable=True)

    def link_run_models(
        self,
        run_id: str,
        inputs: Sequence[str] = (),
        outputs: Sequence[tuple[str, int]] = (),
    ) -> None:
        """MLflow's requests: ``runs/log-inputs`` with ``models`` for the inputs,
        ``runs/outputs`` for the outputs."""
        if inputs:
            body = {"run_id": run_id, "models": [{"model_id": m} for m in inputs]}
            self.http.call("POST", f"{API}/runs/log-inputs", body=body, repeatable=True)
        if outputs:
            self.log_outputs(run_id, outputs)

    def log_outputs(self, run_id: str, outputs: Sequence[tuple[str, int]]) -> None:
        """Link ``(model_id, step)`` outputs to ``run_id`` (MLflow's ``runs/outputs``)."""
        models = [{"model_id": m, "step": step} for m, step in outputs]
        self.http.call(
            "POST",
            f"{API}/runs/outputs",
            body={"run_id": run_id, "models": models},
            repeatable=True,
        )
