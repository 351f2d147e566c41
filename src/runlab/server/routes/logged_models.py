"""``/logged-models/*``: the part of MLflow 3's logged-model API that clients call implicitly.

runlab's tracking store keeps no logged models (MLflow 3's ``LoggedModel`` entity), so
a search answers an empty page and a lookup answers RESOURCE_DOES_NOT_EXIST. MLflow
clients search logged models from ``MlflowClient.list_artifacts`` (to merge a model's
files into a run's listing), where an empty answer is exactly right. Creating logged
models (``mlflow.<flavor>.log_model`` in MLflow 3) is not supported by this server.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from runlab.errors import NotFoundError
from runlab.server import _schemas
from runlab.server._deps import Store
from runlab.server._routing import JsonRoute
from runlab.server._wire import Id, Int64, WireModel

router = APIRouter(tags=["logged models"], route_class=JsonRoute)


class SearchLoggedModels(WireModel):
    experiment_ids: list[Id] = []
    filter: str | None = None
    max_results: Int64 | None = None
    page_token: str | None = None


@router.post("/logged-models/search", response_model=_schemas.SearchLoggedModelsOut)
def search_logged_models(body: SearchLoggedModels, store: Store) -> dict[str, Any]:
    for experiment_id in body.experiment_ids:
        store.get_experiment(experiment_id)  # an unknown experiment is still an error
    return {"models": []}


@router.get("/logged-models/{model_id}")
def get_logged_model(model_id: str) -> dict[str, Any]:
    raise NotFoundError(f"logged model {model_id!r} does not exist")
