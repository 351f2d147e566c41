"""MLflow's everyday snippets, run with ``import runlab as mlflow``: the wine quickstart
(locally and against a live ``runlab server``), the registry with
``mlflow.tracking.MlflowClient()`` and stage transitions, and MLflow 3's logged and
active models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import runlab as mlflow
from runlab.tracking import fluent


@pytest.fixture
def fresh() -> Iterator[None]:
    fluent._reset_for_tests()
    mlflow.set_registry_uri(None)
    yield
    while mlflow.active_run() is not None:
        mlflow.end_run()
    mlflow.set_registry_uri(None)
    fluent._reset_for_tests()


def _wine_quickstart() -> tuple[str, float]:
    """The quickstart's shape: train, log, then pick the best run from a search."""
    from sklearn.datasets import load_wine
    from sklearn.linear_model import ElasticNet
    from sklearn.metrics import mean_squared_error
    from sklearn.model_selection import train_test_split

    x, y = load_wine(return_X_y=True)
    train_x, test_x, train_y, test_y = train_test_split(x, y, random_state=42)
    mlflow.set_experiment("wine-quality")
    for alpha in (0.1, 0.9):
        with mlflow.start_run():
            model = ElasticNet(alpha=alpha, l1_ratio=0.5, random_state=42).fit(train_x, train_y)
            rmse = float(mean_squared_error(test_y, model.predict(test_x)) ** 0.5)
            mlflow.log_params({"alpha": alpha, "l1_ratio": 0.5})
            mlflow.log_metric("rmse", rmse)
            mlflow.sklearn.log_model(model, name="model", input_example=train_x[:3])
    best = mlflow.search_runs(order_by=["metrics.rmse ASC"]).iloc[0]
    return str(best.run_id), float(best["metrics.rmse"])


def _check_best(run_id: str, rmse: float) -> None:
    run = mlflow.get_run(run_id)
    assert run.data.metrics["rmse"] == pytest.approx(rmse)
    assert run.data.params["alpha"] == "0.1"  # the smaller penalty fits better
    loaded = mlflow.pyfunc.load_model(f"runs:/{run_id}/model")
    assert loaded.predict(__import__("numpy").zeros((1, 13))).shape == (1,)


def test_wine_quickstart_locally(fresh: None, tmp_path: Path) -> None:
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlruns.db'}")
    assert mlflow.is_tracking_uri_set()
    _check_best(*_wine_quickstart())


def test_wine_quickstart_against_a_server(fresh: None, server_url: str) -> None:
    mlflow.set_tracking_uri(server_url)
    run_id, rmse = _wine_quickstart()
    _check_best(run_id, rmse)
    assert mlflow.get_registry_uri() == server_url


def test_registry_with_mlflow_client_and_stages(fresh: None, server_url: str) -> None:
    mlflow.set_tracking_uri(server_url)
    mlflow.set_experiment("registry-snippet")
    with mlflow.start_run() as parent:
        with mlflow.start_run(nested=True) as child:
            from sklearn.dummy import DummyRegressor

            mlflow.log_metric("loss", 0.1)
            mlflow.sklearn.log_model(DummyRegressor().fit([[0.0]], [1.0]), name="model")
        mlflow.set_experiment_tags({"team": "ml", "stage": "dev"})
    assert mlflow.get_parent_run(child.info.run_id).info.run_id == parent.info.run_id
    assert mlflow.get_parent_run(parent.info.run_id) is None
    experiment = mlflow.get_experiment_by_name("registry-snippet")
    assert experiment is not None
    assert experiment.tags["team"] == "ml"

    client = mlflow.tracking.MlflowClient()
    name = "wine-regressor"
    client.create_registered_model(name)
    source = f"runs:/{child.info.run_id}/model"
    first = mlflow.register_model(source, name)
    second = mlflow.register_model(source, name)
    client.transition_model_version_stage(name, first.version, "Production")
    client.transition_model_version_stage(
        name, second.version, "Production", archive_existing_versions=True
    )
    assert client.get_model_version(name, first.version).current_stage == "Archived"
    assert [v.version for v in client.get_latest_versions(name, stages=["Production"])] == [
        second.version
    ]
    mlflow.set_model_version_tag(name, str(second.version), "validated", "yes")
    found = mlflow.search_model_versions(filter_string=f"name = '{name}'")
    assert sorted(int(v.version) for v in found) == [1, 2]
    assert [m.name for m in mlflow.search_registered_models(filter_string=f"name = '{name}'")] == [
        name
    ]
    with pytest.raises(mlflow.exceptions.MlflowException) as caught:
        client.get_model_version(name, "99")
    assert caught.value.error_code == "RESOURCE_DOES_NOT_EXIST"


@pytest.mark.parametrize("where", ["sqlite", "server"])
def test_logged_and_active_models(fresh: None, tmp_path: Path, server_url: str, where: str) -> None:
    mlflow.set_tracking_uri(server_url if where == "server" else f"sqlite:///{tmp_path}/m.db")
    mlflow.set_experiment(f"logged-models-{where}")
    with mlflow.start_run() as run:
        model = mlflow.initialize_logged_model(name="scorer", params={"depth": "3"})
        assert model.source_run_id == run.info.run_id
        mlflow.set_logged_model_tags(model.model_id, {"owner": "ana"})
        (tmp_path / "weights.txt").write_text("0.5")
        mlflow.MlflowClient().log_model_artifact(model.model_id, str(tmp_path / "weights.txt"))
        ready = mlflow.finalize_logged_model(model.model_id, "READY")
        mlflow.log_outputs([mlflow.entities.LoggedModelOutput(model.model_id, step=1)])
    assert ready.status == "LOGGED_MODEL_READY"
    got = mlflow.get_logged_model(model.model_id)
    assert got.tags["owner"] == "ana"
    assert got.params == {"depth": "3"}
    assert [f.path for f in mlflow.MlflowClient().list_logged_model_artifacts(got.model_id)] == [
        "weights.txt"
    ]
    assert mlflow.last_logged_model().model_id == model.model_id
    frame = mlflow.search_logged_models(filter_string="name = 'scorer'")
    assert list(frame["model_id"]) == [model.model_id]
    listed = mlflow.search_logged_models(output_format="list")
    assert [m.model_id for m in listed] == [model.model_id]

    with mlflow.set_active_model(name="scorer") as active:
        assert active.model_id == model.model_id
        assert mlflow.get_active_model_id() == model.model_id
        mlflow.log_model_params({"lr": "0.1"})
    assert mlflow.get_active_model_id() is None
    assert mlflow.get_logged_model(model.model_id).params["lr"] == "0.1"
    created = mlflow.set_active_model(name="new-one")
    assert created.model_id != model.model_id
    assert mlflow.get_active_model_id() == created.model_id
    mlflow.clear_active_model()
    assert mlflow.get_active_model_id() is None
    with pytest.raises(mlflow.exceptions.MlflowException, match="exactly one of name or model_id"):
        mlflow.set_active_model()
