"""MLflow's own client registers MLflow 3 logged models on a live runlab server: the
versions carry the logged model's source run and id, over REST as MLflow's server sends
them; runlab's client against the same server sees the same."""

from __future__ import annotations

import json
import uuid

import mlflow
import pytest
import requests
import sklearn  # noqa: F401  (the sklearn flavour is tested here)

import runlab
from runlab.registry._fluent import register_model_with

pytestmark = [
    pytest.mark.filterwarnings("ignore::UserWarning"),
    pytest.mark.filterwarnings("ignore:Operation with range is deprecated"),
]


def _logged_model(name: str = "model") -> tuple[str, str, str]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    with mlflow.start_run() as run:
        info = mlflow.sklearn.log_model(model, name=name)
    return run.info.run_id, info.model_id, info.model_uri


def _raw_version(server_url: str, name: str, version: str) -> dict[str, object]:
    r = requests.get(
        f"{server_url}/api/2.0/mlflow/model-versions/get",
        params={"name": name, "version": version},
        timeout=10,
    )
    r.raise_for_status()
    return dict(r.json()["model_version"])


def test_register_model_from_models_uri(mlflow_client, server_url: str) -> None:
    mlflow.set_experiment(f"lineage-{uuid.uuid4().hex[:8]}")
    run_id, model_id, model_uri = _logged_model()
    name = f"iris-{uuid.uuid4().hex[:8]}"
    made = mlflow.register_model(model_uri, name)
    assert made.run_id == run_id
    assert mlflow_client.get_model_version(name, made.version).run_id == run_id
    (found,) = mlflow_client.search_model_versions(f"name = '{name}'")
    assert found.run_id == run_id
    raw = _raw_version(server_url, name, made.version)  # MLflow's client drops model_id
    assert (raw["run_id"], raw["model_id"], raw["source"]) == (run_id, model_id, model_uri)
    tag = mlflow_client.get_logged_model(model_id).tags["mlflow.modelVersions"]
    # MLflow's server and then its client each append the entry, so it shows twice,
    # as with mlflow server.
    assert json.loads(tag) == [{"name": name, "version": "1"}] * 2


def test_register_model_from_runs_uri_of_a_logged_model(mlflow_client, server_url: str) -> None:
    mlflow.set_experiment(f"lineage-{uuid.uuid4().hex[:8]}")
    run_id, model_id, model_uri = _logged_model()
    name = f"iris-{uuid.uuid4().hex[:8]}"
    made = mlflow.register_model(f"runs:/{run_id}/model", name)
    assert made.run_id == run_id
    raw = _raw_version(server_url, name, made.version)
    assert (raw["run_id"], raw["model_id"], raw["source"]) == (run_id, model_id, model_uri)


def test_runlab_client_sees_and_makes_the_lineage(mlflow_client, server_url: str) -> None:
    mlflow.set_experiment(f"lineage-{uuid.uuid4().hex[:8]}")
    run_id, model_id, model_uri = _logged_model()
    name = f"iris-{uuid.uuid4().hex[:8]}"
    client = runlab.RunlabClient(server_url)
    by_models = register_model_with(client, model_uri, name)
    by_runs = register_model_with(client, f"runs:/{run_id}/model", name)
    for mv in (by_models, by_runs):
        assert (mv.run_id, mv.model_id, mv.source) == (run_id, model_id, model_uri)
    seen = mlflow_client.get_model_version(name, "2")
    assert seen.run_id == run_id
    got = client.get_model_version(name, 1)
    assert (got.run_id, got.model_id) == (run_id, model_id)
    assert {v.model_id for v in client.search_model_versions(f"name = '{name}'")} == {model_id}
