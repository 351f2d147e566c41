"""XGBoost models: Boosters and scikit-learn-API models saved in xgboost's own format."""

from __future__ import annotations

import warnings
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import runlab
from runlab.errors import InvalidInputError
from runlab.models import ColSpec, DataType, TensorSpec


@pytest.fixture(scope="module")
def mlflow() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mlflow's own import-time deprecations
        import mlflow.pyfunc
        import mlflow.xgboost
    return mlflow


@pytest.fixture
def classifier(iris: tuple[Any, Any]) -> Any:
    import xgboost as xgb

    X, y = iris
    return xgb.XGBClassifier(n_estimators=5, max_depth=2, n_jobs=1).fit(X, y)


@pytest.fixture
def booster(iris: tuple[Any, Any]) -> Any:
    import xgboost as xgb

    X, y = iris
    params = {"objective": "multi:softprob", "num_class": 3, "max_depth": 2, "nthread": 1}
    return xgb.train(params, xgb.DMatrix(X, label=y), num_boost_round=5)


def test_classifier_logs_registers_and_loads_back(
    tracking: str, iris: tuple[Any, Any], classifier: Any, fresh_process: Any
) -> None:
    import xgboost as xgb

    X, _ = iris
    with runlab.start_run() as run:
        info = runlab.xgboost.log_model(
            classifier, name="clf", input_example=X.head(3), registered_model_name="iris-xgb"
        )
    assert info.model_uri == f"models:/{info.model_id}"  # as MLflow 3 answers
    assert info.registered_model_version == 1
    assert info.signature is not None
    assert info.signature.inputs is not None
    assert info.signature.inputs.inputs == [ColSpec(DataType.double, c) for c in X.columns]
    assert info.signature.outputs is not None
    assert info.signature.outputs.inputs == [TensorSpec(np.dtype("int64"), (-1,))]

    local = runlab.download_artifacts("clf", run_id=run.info.run_id)
    assert Path(local, "model.ubj").is_file()
    mlmodel = yaml.safe_load(Path(local, "MLmodel").read_text())
    assert mlmodel["flavors"]["xgboost"] == {
        "code": None,
        "data": "model.ubj",
        "model_class": "xgboost.sklearn.XGBClassifier",
        "model_format": "ubj",
        "xgb_version": xgb.__version__,
    }
    assert mlmodel["flavors"]["python_function"]["loader_module"] == "runlab.xgboost"
    assert mlmodel["flavors"]["python_function"]["data"] == "model.ubj"
    reqs = Path(local, "requirements.txt").read_text().splitlines()
    # the distribution that is installed (xgboost or xgboost-cpu) is the one pinned
    dist = metadata.packages_distributions()["xgboost"][0]
    assert f"{dist}=={metadata.version(dist)}" in reqs

    expected = classifier.predict(X)
    loaded = runlab.xgboost.load_model(info.model_uri)
    assert isinstance(loaded, xgb.XGBClassifier)
    np.testing.assert_allclose(loaded.predict_proba(X), classifier.predict_proba(X))
    for uri in (info.model_uri, "models:/iris-xgb/1"):
        model = runlab.pyfunc.load_model(uri)
        np.testing.assert_array_equal(model.predict(X), expected)  # classes
    np.testing.assert_array_equal(
        model.metadata.load_input_example(model.model_dir).to_numpy(), X.head(3).to_numpy()
    )

    runlab.flush()
    out = fresh_process(
        """
        import json, runlab.pyfunc
        model = runlab.pyfunc.load_model("models:/iris-xgb/1")
        print(json.dumps(model.predict([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]).tolist()))
        """,
        RUNLAB_TRACKING_URI=tracking,
    )
    assert out == [expected[0], expected[-1]]


def test_booster_in_json_format(tmp_path: Path, iris: tuple[Any, Any], booster: Any) -> None:
    import xgboost as xgb

    X, _ = iris
    runlab.xgboost.save_model(booster, tmp_path / "m", model_format="json", input_example=X[:2])
    assert (tmp_path / "m" / "model.json").is_file()
    conf = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())["flavors"]["xgboost"]
    assert conf["model_class"] == "xgboost.core.Booster"
    assert conf["model_format"] == "json"

    expected = booster.predict(xgb.DMatrix(X))
    loaded = runlab.xgboost.load_model(tmp_path / "m")
    assert isinstance(loaded, xgb.Booster)
    np.testing.assert_allclose(loaded.predict(xgb.DMatrix(X)), expected)
    model = runlab.pyfunc.load_model(tmp_path / "m")
    np.testing.assert_allclose(model.predict(X), expected)  # per-class probabilities
    sig = model.metadata.signature
    assert sig is not None
    assert sig.outputs is not None
    assert sig.outputs.inputs == [TensorSpec(np.dtype("float32"), (-1, 3))]


def test_regressor_round_trip(tmp_path: Path) -> None:
    import xgboost as xgb
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    reg = xgb.XGBRegressor(n_estimators=5, max_depth=2, n_jobs=1).fit(X, y)
    runlab.xgboost.save_model(reg, tmp_path / "m")
    loaded = runlab.xgboost.load_model(tmp_path / "m")
    assert isinstance(loaded, xgb.XGBRegressor)
    np.testing.assert_allclose(runlab.pyfunc.load_model(tmp_path / "m").predict(X), reg.predict(X))


def test_bad_input_is_refused_with_the_rule(tmp_path: Path, booster: Any) -> None:
    with pytest.raises(InvalidInputError, match=r"model_format 'bin' is not supported"):
        runlab.xgboost.save_model(booster, tmp_path / "a", model_format="bin")
    assert not (tmp_path / "a").exists()
    with pytest.raises(InvalidInputError, match="must be an xgboost.Booster .* got dict"):
        runlab.xgboost.save_model({}, tmp_path / "b")
    runlab.xgboost.save_model(booster, tmp_path / "c")
    mlmodel = tmp_path / "c" / "MLmodel"
    mlmodel.write_text(mlmodel.read_text().replace("xgboost.core.Booster", "os.system"))
    with pytest.raises(InvalidInputError, match="model_class 'os.system' is not an importable"):
        runlab.xgboost.load_model(tmp_path / "c")


def test_mlflow_loads_a_runlab_model(
    tmp_path: Path, iris: tuple[Any, Any], classifier: Any, mlflow: Any
) -> None:
    X, _ = iris
    runlab.xgboost.save_model(classifier, tmp_path / "m", input_example=X.head(2))
    loaded = mlflow.xgboost.load_model(str(tmp_path / "m"))
    np.testing.assert_allclose(loaded.predict_proba(X), classifier.predict_proba(X))
    model = mlflow.pyfunc.load_model(str(tmp_path / "m"))
    assert model.metadata.get_input_schema().input_names() == list(X.columns)
    np.testing.assert_array_equal(model.predict(X), classifier.predict(X))


def test_runlab_loads_an_mlflow_model(
    tmp_path: Path, iris: tuple[Any, Any], booster: Any, mlflow: Any
) -> None:
    import xgboost as xgb

    X, _ = iris
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mlflow's own deprecations
        mlflow.xgboost.save_model(
            booster, str(tmp_path / "m"), input_example=X.head(2), pip_requirements=["xgboost"]
        )
    expected = booster.predict(xgb.DMatrix(X))
    np.testing.assert_allclose(
        runlab.xgboost.load_model(tmp_path / "m").predict(xgb.DMatrix(X)), expected
    )
    model = runlab.pyfunc.load_model(tmp_path / "m", suppress_warnings=True)
    np.testing.assert_allclose(model.predict(X), expected)
