"""MLflow 3's logged models (``mlflow.sklearn.log_model``, ``models:/m-<id>``, registering
them and loading by alias) with MLflow's own client against a live runlab server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import mlflow
import pytest
import sklearn  # noqa: F401  (the sklearn flavour is tested here)
from mlflow.exceptions import MlflowException

# MLflow's own code trips these while saving a model with an input example.
pytestmark = [
    pytest.mark.filterwarnings("ignore::UserWarning"),
    pytest.mark.filterwarnings("ignore:Operation with range is deprecated"),
]


def _pipeline_and_data():
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_iris(return_X_y=True, as_frame=True)
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=200))
    pipe.fit(X, y)
    return pipe, X


@pytest.fixture
def experiment(mlflow_client) -> str:
    return mlflow.set_experiment(f"lm-{uuid.uuid4().hex[:8]}").experiment_id


def test_log_model_and_load_it_back(mlflow_client, experiment: str) -> None:
    pipe, X = _pipeline_and_data()
    with mlflow.start_run() as run:
        info = mlflow.sklearn.log_model(pipe, name="model", input_example=X[:5])
    assert info.model_uri == f"models:/{info.model_id}"
    assert info.model_id.startswith("m-")
    assert len(info.model_id) == 34

    model = mlflow_client.get_logged_model(info.model_id)
    assert model.name == "model"
    assert model.source_run_id == run.info.run_id
    assert model.experiment_id == experiment
    assert str(model.status) == "READY"
    assert model.artifact_location == (
        f"mlflow-artifacts:/{experiment}/models/{info.model_id}/artifacts"
    )

    expected = pipe.predict(X)
    loaded = mlflow.sklearn.load_model(info.model_uri)
    assert (loaded.predict(X) == expected).all()
    pyfunc = mlflow.pyfunc.load_model(info.model_uri)
    assert (pyfunc.predict(X) == expected).all()
    by_run = mlflow.sklearn.load_model(f"runs:/{run.info.run_id}/model")
    assert (by_run.predict(X) == expected).all()

    files = {f.path for f in mlflow_client.list_logged_model_artifacts(info.model_id)}
    assert {"MLmodel", "requirements.txt", "input_example.json"} <= files


def test_search_tags_and_params(mlflow_client, experiment: str) -> None:
    a = mlflow.initialize_logged_model(name="alpha", params={"lr": "0.1"}, tags={"t": "1"})
    b = mlflow.initialize_logged_model(name="beta", model_type="agent")
    mlflow_client.set_logged_model_tags(b.model_id, {"t": "2", "team": "risk"})
    mlflow_client.delete_logged_model_tag(b.model_id, "team")
    mlflow_client.log_model_params(b.model_id, {"lr": "0.5", "depth": "3"})
    mlflow_client.finalize_logged_model(a.model_id, "READY")

    got = mlflow_client.get_logged_model(b.model_id)
    assert {k: v for k, v in got.tags.items() if not k.startswith("mlflow.")} == {"t": "2"}
    assert got.tags["mlflow.user"]  # the client adds its system tags
    assert got.params == {"depth": "3", "lr": "0.5"}
    assert got.model_type == "agent"
    assert str(got.status) == "PENDING"

    def ids(filter_string=None, order_by=None):
        found = mlflow_client.search_logged_models(
            experiment_ids=[experiment], filter_string=filter_string, order_by=order_by
        )
        return [m.model_id for m in found]

    assert set(ids()) == {a.model_id, b.model_id}
    assert ids("name = 'alpha'") == [a.model_id]
    assert ids("tags.t = '2'") == [b.model_id]
    assert ids("params.lr = '0.1'") == [a.model_id]
    assert ids(order_by=[{"field_name": "name", "ascending": False}]) == [b.model_id, a.model_id]

    page = mlflow_client.search_logged_models(experiment_ids=[experiment], max_results=1)
    assert len(page) == 1
    assert page.token
    rest = mlflow_client.search_logged_models(
        experiment_ids=[experiment], max_results=1, page_token=page.token
    )
    assert {page[0].model_id, rest[0].model_id} == {a.model_id, b.model_id}

    as_frame = mlflow.search_logged_models(experiment_ids=[experiment], filter_string="name='beta'")
    assert list(as_frame["model_id"]) == [b.model_id]

    mlflow_client.delete_logged_model(a.model_id)
    assert ids() == [b.model_id]


def test_errors_carry_mlflow_codes(mlflow_client, experiment: str) -> None:
    with pytest.raises(MlflowException) as err:
        mlflow_client.get_logged_model("m-" + "0" * 32)
    assert err.value.error_code == "RESOURCE_DOES_NOT_EXIST"

    import requests

    base = mlflow.get_tracking_uri()
    model = mlflow.initialize_logged_model(name="x")
    r = requests.patch(
        f"{base}/api/2.0/mlflow/logged-models/{model.model_id}",
        json={"model_id": model.model_id, "status": "SHINY"},
        timeout=10,
    )
    assert r.status_code == 400
    assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "status" in r.json()["message"]

    with pytest.raises(MlflowException) as err:
        mlflow_client.search_logged_models(
            experiment_ids=[experiment], filter_string="colour = 'red'"
        )
    assert err.value.error_code == "INVALID_PARAMETER_VALUE"


_LOAD_BY_ALIAS = """
import json, sys
import mlflow.pyfunc
from sklearn.datasets import load_iris

X, _ = load_iris(return_X_y=True, as_frame=True)
model = mlflow.pyfunc.load_model(sys.argv[1])
print(json.dumps([int(v) for v in model.predict(X)]))
"""


def test_register_versions_and_load_by_alias_in_a_fresh_process(
    mlflow_client, experiment: str, server_url: str, tmp_path
) -> None:
    pipe, X = _pipeline_and_data()
    name = f"iris-{uuid.uuid4().hex[:8]}"
    with mlflow.start_run():
        first = mlflow.sklearn.log_model(pipe, name="model", registered_model_name=name)
    with mlflow.start_run():
        second = mlflow.sklearn.log_model(pipe, name="model", input_example=X[:5])
    version = mlflow.register_model(second.model_uri, name)
    assert str(version.version) == "2"
    assert str(first.registered_model_version) == "1"

    mlflow_client.set_registered_model_alias(name, "champion", "2")
    got = mlflow_client.get_model_version_by_alias(name, "champion")
    assert str(got.version) == "2"

    expected = [int(v) for v in pipe.predict(X)]
    assert [int(v) for v in mlflow.pyfunc.load_model(f"models:/{name}/1").predict(X)] == expected

    env = {**os.environ, "MLFLOW_TRACKING_URI": server_url}
    out = subprocess.run(
        [sys.executable, "-c", _LOAD_BY_ALIAS, f"models:/{name}@champion"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == expected


def test_runlab_reads_a_model_mlflow_logged_by_its_run_path(
    mlflow_client, experiment: str, server_url: str, tmp_path
) -> None:
    """MLflow 3 keeps a model's files with the logged model only: runlab finds them from
    runs:/<run>/<name> too (load, download, register), as MLflow's own client does."""
    import runlab

    pipe, X = _pipeline_and_data()
    with mlflow.start_run() as run:
        info = mlflow.sklearn.log_model(pipe, name="model")
    run_id = run.info.run_id
    assert mlflow_client.list_artifacts(run_id) == []  # nothing among the run's own files

    runlab.set_tracking_uri(server_url)
    try:
        client = runlab.RunlabClient()
        loaded = runlab.sklearn.load_model(f"runs:/{run_id}/model")
        assert (loaded.predict(X) == pipe.predict(X)).all()
        local = client.download_artifacts(run_id, "model", str(tmp_path / "whole"))
        assert local == str(tmp_path / "whole" / "model")
        assert {"MLmodel", "requirements.txt"} <= set(os.listdir(local))
        one = runlab.artifacts.download_artifacts(
            f"runs:/{run_id}/model/MLmodel", dst_path=str(tmp_path / "one")
        )
        assert f"model_id: {info.model_id}" in open(one, encoding="utf-8").read()
        version = runlab.register_model(f"runs:/{run_id}/model", f"by-run-{uuid.uuid4().hex[:6]}")
        assert version.model_id == info.model_id
        # A path the run has no model by still names the run's own (missing) files.
        with pytest.raises(runlab.errors.NotFoundError):
            client.download_artifacts(run_id, "other", str(tmp_path / "none"))
    finally:
        runlab.set_tracking_uri(None)
