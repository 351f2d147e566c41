"""LightGBM models: Boosters in LightGBM's text format, scikit-learn-API models pickled."""

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

SMALL = {"n_estimators": 5, "num_leaves": 4, "min_child_samples": 5, "verbose": -1, "n_jobs": 1}


@pytest.fixture(scope="module")
def mlflow() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mlflow's own import-time deprecations
        import mlflow.lightgbm
        import mlflow.pyfunc
    return mlflow


@pytest.fixture
def classifier(iris: tuple[Any, Any]) -> Any:
    import lightgbm as lgb

    X, y = iris
    return lgb.LGBMClassifier(**SMALL).fit(X, y)


@pytest.fixture
def booster(iris: tuple[Any, Any]) -> Any:
    import lightgbm as lgb

    X, y = iris
    params = {"objective": "multiclass", "num_class": 3, "num_leaves": 4, "verbose": -1}
    return lgb.train({**params, "num_threads": 1}, lgb.Dataset(X, label=y), num_boost_round=5)


def test_classifier_logs_registers_and_loads_back(
    tracking: str, iris: tuple[Any, Any], classifier: Any, fresh_process: Any
) -> None:
    import lightgbm as lgb

    X, _ = iris
    with runlab.start_run() as run:
        info = runlab.lightgbm.log_model(
            classifier, name="clf", input_example=X.head(3), registered_model_name="iris-lgb"
        )
    assert info.registered_model_version == 1
    assert info.signature is not None
    assert info.signature.inputs is not None
    assert info.signature.inputs.inputs == [ColSpec(DataType.double, c) for c in X.columns]
    assert info.signature.outputs is not None
    assert info.signature.outputs.inputs == [TensorSpec(np.dtype("int64"), (-1,))]

    local = runlab.download_artifacts("clf", run_id=run.info.run_id)
    mlmodel = yaml.safe_load(Path(local, "MLmodel").read_text())
    assert mlmodel["flavors"]["lightgbm"] == {
        "code": None,
        "data": "model.pkl",
        "lgb_version": lgb.__version__,
        "model_class": "lightgbm.sklearn.LGBMClassifier",
        "serialization_format": "cloudpickle",
    }
    assert mlmodel["flavors"]["python_function"]["loader_module"] == "runlab.lightgbm"
    reqs = Path(local, "requirements.txt").read_text().splitlines()
    for package in ("lightgbm", "scikit-learn", "cloudpickle"):
        assert f"{package}=={metadata.version(package)}" in reqs

    expected = classifier.predict(X)
    loaded = runlab.lightgbm.load_model(info.model_uri)
    assert isinstance(loaded, lgb.LGBMClassifier)
    np.testing.assert_allclose(loaded.predict_proba(X), classifier.predict_proba(X))
    for uri in (info.model_uri, "models:/iris-lgb/1"):
        np.testing.assert_array_equal(runlab.pyfunc.load_model(uri).predict(X), expected)

    runlab.flush()
    out = fresh_process(
        """
        import json, runlab.pyfunc
        model = runlab.pyfunc.load_model("models:/iris-lgb/1")
        print(json.dumps(model.predict([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]).tolist()))
        """,
        RUNLAB_TRACKING_URI=tracking,
    )
    assert out == [expected[0], expected[-1]]


def test_booster_in_text_format(tmp_path: Path, iris: tuple[Any, Any], booster: Any) -> None:
    import lightgbm as lgb

    X, _ = iris
    runlab.lightgbm.save_model(booster, tmp_path / "m", input_example=X[:2])
    assert (tmp_path / "m" / "model.lgb").read_text().startswith("tree")
    conf = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())["flavors"]["lightgbm"]
    assert conf["model_class"] == "lightgbm.basic.Booster"
    assert "serialization_format" not in conf
    reqs = (tmp_path / "m" / "requirements.txt").read_text()
    assert "scikit-learn" not in reqs
    assert "cloudpickle" not in reqs

    expected = booster.predict(X)
    loaded = runlab.lightgbm.load_model(tmp_path / "m")
    assert isinstance(loaded, lgb.Booster)
    np.testing.assert_allclose(loaded.predict(X), expected)
    model = runlab.pyfunc.load_model(tmp_path / "m")
    np.testing.assert_allclose(model.predict(X), expected)  # per-class probabilities
    sig = model.metadata.signature
    assert sig is not None
    assert sig.outputs is not None
    assert sig.outputs.inputs == [TensorSpec(np.dtype("float64"), (-1, 3))]


def test_regressor_with_the_standard_pickler(tmp_path: Path) -> None:
    import lightgbm as lgb
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    reg = lgb.LGBMRegressor(**SMALL).fit(X, y)
    runlab.lightgbm.save_model(reg, tmp_path / "m", serialization_format="pickle")
    assert "cloudpickle" not in (tmp_path / "m" / "requirements.txt").read_text()
    loaded = runlab.lightgbm.load_model(tmp_path / "m")
    assert isinstance(loaded, lgb.LGBMRegressor)
    np.testing.assert_allclose(runlab.pyfunc.load_model(tmp_path / "m").predict(X), reg.predict(X))


def test_bad_input_is_refused_with_the_rule(tmp_path: Path, classifier: Any) -> None:
    with pytest.raises(InvalidInputError, match="serialization_format 'skops' is not supported"):
        runlab.lightgbm.save_model(classifier, tmp_path / "a", serialization_format="skops")
    with pytest.raises(InvalidInputError, match="must be a lightgbm.Booster .* got list"):
        runlab.lightgbm.save_model([], tmp_path / "b")


def test_mlflow_loads_a_runlab_model(
    tmp_path: Path, iris: tuple[Any, Any], classifier: Any, booster: Any, mlflow: Any
) -> None:
    X, _ = iris
    runlab.lightgbm.save_model(classifier, tmp_path / "clf", input_example=X.head(2))
    runlab.lightgbm.save_model(booster, tmp_path / "booster")
    loaded = mlflow.lightgbm.load_model(str(tmp_path / "clf"))
    np.testing.assert_allclose(loaded.predict_proba(X), classifier.predict_proba(X))
    model = mlflow.pyfunc.load_model(str(tmp_path / "clf"))
    assert model.metadata.get_input_schema().input_names() == list(X.columns)
    np.testing.assert_array_equal(model.predict(X), classifier.predict(X))
    raw = mlflow.lightgbm.load_model(str(tmp_path / "booster"))
    np.testing.assert_allclose(raw.predict(X), booster.predict(X))


def test_runlab_loads_an_mlflow_model(
    tmp_path: Path, iris: tuple[Any, Any], classifier: Any, booster: Any, mlflow: Any
) -> None:
    X, _ = iris
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mlflow's own deprecations and pickle warning
        mlflow.lightgbm.save_model(
            classifier,
            str(tmp_path / "clf"),
            serialization_format="cloudpickle",
            pip_requirements=["lightgbm"],
        )
        mlflow.lightgbm.save_model(
            booster, str(tmp_path / "booster"), pip_requirements=["lightgbm"]
        )
    loaded = runlab.lightgbm.load_model(tmp_path / "clf")
    np.testing.assert_allclose(loaded.predict_proba(X), classifier.predict_proba(X))
    np.testing.assert_allclose(
        runlab.lightgbm.load_model(tmp_path / "booster").predict(X), booster.predict(X)
    )
    model = runlab.pyfunc.load_model(tmp_path / "booster")
    np.testing.assert_allclose(model.predict(X), booster.predict(X))
