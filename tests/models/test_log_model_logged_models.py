"""MLflow 3's log_model keywords: every flavour's log_model makes a logged model that
carries params, tags and model_type, records the run's output at a step, and can fill
an existing logged model instead. One helper forwards the save keywords for all."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import runlab
from runlab.entities_logged_models import LoggedModelStatus
from runlab.errors import InvalidInputError, NotFoundError
from runlab.models import _flavor

FLAVOURS = ["pyfunc", "sklearn", "pytorch", "xgboost", "lightgbm", "keras", "transformers"]


def test_log_model_creates_a_ready_logged_model_with_params_tags_and_type(
    tracking: str, iris: tuple[Any, Any], iris_pipeline: Any
) -> None:
    X, _ = iris
    with runlab.start_run() as run:
        runlab.log_param("C", 1.0)
        info = runlab.sklearn.log_model(
            iris_pipeline,
            name="clf",
            input_example=X.head(2),
            params={"penalty": "l2", "max_iter": 1000},
            tags={"team": "fraud"},
            model_type="classifier",
            step=7,
        )
    assert info.model_id is not None
    logged = runlab.get_logged_model(info.model_id)
    assert logged.status == LoggedModelStatus.READY
    assert logged.name == "clf"
    assert logged.source_run_id == run.info.run_id
    assert logged.model_type == "classifier"
    assert logged.tags["team"] == "fraud"
    # The model's own params, and the run's beside them (as MLflow does).
    assert logged.params == {"penalty": "l2", "max_iter": "1000", "C": "1.0"}
    assert info.params == logged.params
    assert info.tags == logged.tags
    assert info.model_type == "classifier"
    assert runlab.last_logged_model().model_id == info.model_id  # type: ignore[union-attr]

    # The files are in the logged model as well as in the run, and the MLmodel names both.
    client = runlab.MlflowClient()
    files = {f.path for f in client.list_logged_model_artifacts(info.model_id)}
    assert {"MLmodel", "model.pkl", "requirements.txt"} <= files
    local = runlab.download_artifacts("clf", run_id=run.info.run_id)
    mlmodel = yaml.safe_load(Path(local, "MLmodel").read_text())
    assert mlmodel["model_id"] == info.model_id
    assert mlmodel["run_id"] == run.info.run_id
    loaded = runlab.sklearn.load_model(logged.artifact_location)
    assert (loaded.predict(X) == iris_pipeline.predict(X)).all()


def test_log_model_fills_a_given_logged_model(tracking: str, iris_pipeline: Any) -> None:
    with runlab.start_run():
        pending = runlab.initialize_logged_model(name="planned", params={"lr": "0.1"})
        info = runlab.sklearn.log_model(iris_pipeline, name="model", model_id=pending.model_id)
    assert info.model_id == pending.model_id
    logged = runlab.get_logged_model(pending.model_id)
    assert logged.status == LoggedModelStatus.READY
    assert logged.name == "planned"
    assert logged.params == {"lr": "0.1"}
    files = {f.path for f in runlab.MlflowClient().list_logged_model_artifacts(logged.model_id)}
    assert "MLmodel" in files


def test_an_unknown_model_id_is_refused_before_anything_is_logged(
    tracking: str, iris_pipeline: Any
) -> None:
    with runlab.start_run() as run:
        with pytest.raises(NotFoundError):
            runlab.sklearn.log_model(iris_pipeline, name="model", model_id="m-" + "0" * 32)
    assert runlab.MlflowClient().list_artifacts(run.info.run_id) == []


@pytest.mark.parametrize(
    ("keyword", "value", "named"),
    [
        ("params", ["a"], "params"),
        ("tags", "x", "tags"),
        ("model_type", 3, "model_type"),
        ("step", 1.5, "step"),
        ("await_registration_for", -1, "await_registration_for"),
    ],
)
def test_bad_logged_model_keywords_name_the_field(
    tracking: str, iris_pipeline: Any, keyword: str, value: Any, named: str
) -> None:
    with runlab.start_run(), pytest.raises(InvalidInputError, match=named):
        runlab.sklearn.log_model(iris_pipeline, name="model", **{keyword: value})


def test_a_failed_save_marks_the_new_logged_model_failed(tracking: str) -> None:
    def broken(model_input: Any) -> Any:
        raise RuntimeError("no")

    with runlab.start_run():
        with pytest.raises(InvalidInputError):
            runlab.pyfunc.log_model(
                name="m", python_model=broken, input_example=[[1]], data_path="x"
            )
        pending = runlab.initialize_logged_model(name="other")
    # The keyword error comes from save_model, after the logged model was made: it is FAILED.
    models = runlab.search_logged_models(output_format="list")
    failed = [m for m in models if m.name == "m"]
    assert [m.status for m in failed] == [LoggedModelStatus.FAILED]
    assert pending.status == LoggedModelStatus.PENDING


def test_registering_keeps_working_with_await_registration_for(
    tracking: str, iris_pipeline: Any
) -> None:
    with runlab.start_run():
        info = runlab.sklearn.log_model(
            iris_pipeline, name="model", registered_model_name="iris", await_registration_for=0
        )
    assert info.registered_model_version == 1
    version = runlab.MlflowClient().get_model_version("iris", "1")
    assert version.run_id == info.run_id


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_every_flavour_forwards_its_save_keywords_through_the_shared_helper(flavour: str) -> None:
    """log_model = save_model's keywords + the logged-model ones, and its body is log_with."""
    module = importlib.import_module(f"runlab.models.flavors.{flavour}")
    log = inspect.signature(module.log_model).parameters
    save = inspect.signature(module.save_model).parameters
    assert "_flavor.log_with(save_model, locals())" in inspect.getsource(module.log_model)
    assert set(save) - {"path", "mlflow_model"} <= set(log)
    assert set(log) - set(save) <= set(_flavor.LOG_KEYWORDS)
    assert {"params", "tags", "model_type", "step", "model_id", "await_registration_for"} <= set(
        log
    )


def test_save_model_fills_the_mlflow_model_it_is_given(tmp_path: Path, iris_pipeline: Any) -> None:
    meta = runlab.models.Model(run_id="r" * 32, model_id="m-abc", metadata={"owner": "me"})
    meta.add_flavor("other", key="kept")
    saved = runlab.sklearn.save_model(iris_pipeline, tmp_path / "m", mlflow_model=meta)
    assert saved is meta
    on_disk = runlab.models.Model.load(tmp_path / "m")
    assert on_disk.run_id == "r" * 32
    assert on_disk.model_id == "m-abc"
    assert on_disk.metadata == {"owner": "me"}
    assert set(on_disk.flavors) == {"other", "sklearn", "python_function"}
    with pytest.raises(InvalidInputError, match="mlflow_model"):
        runlab.sklearn.save_model(iris_pipeline, tmp_path / "n", mlflow_model={"x": 1})  # type: ignore[arg-type]


def test_pytorch_log_model_makes_a_logged_model_too(tracking: str) -> None:
    import torch

    net = torch.nn.Linear(3, 2)
    x = np.ones((2, 3), dtype=np.float32)
    with runlab.start_run():
        info = runlab.pytorch.log_model(net, name="net", input_example=x, model_type="regressor")
    logged = runlab.get_logged_model(info.model_id)  # type: ignore[arg-type]
    assert logged.model_type == "regressor"
    assert logged.status == LoggedModelStatus.READY
    out = runlab.pyfunc.load_model(logged.artifact_location).predict(x)
    np.testing.assert_allclose(out, net(torch.from_numpy(x)).detach().numpy(), rtol=1e-6)


def test_models_m_uris_load_directly_and_through_a_registered_version(
    tracking: str, iris: tuple[Any, Any], iris_pipeline: Any
) -> None:
    X, _ = iris
    with runlab.start_run():
        info = runlab.sklearn.log_model(iris_pipeline, name="clf")
    uri = f"models:/{info.model_id}"
    expected = list(iris_pipeline.predict(X.head(4)))
    assert list(runlab.sklearn.load_model(uri).predict(X.head(4))) == expected
    version = runlab.register_model(uri, "from-logged-model")
    assert version.model_id == info.model_id
    loaded = runlab.pyfunc.load_model("models:/from-logged-model/1")
    assert list(loaded.predict(X.head(4))) == expected
    with pytest.raises(NotFoundError, match="m-0000"):
        runlab.pyfunc.load_model("models:/m-" + "0" * 32)
