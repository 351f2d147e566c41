"""The formats line up: MLflow loads runlab models and runlab loads MLflow models."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import runlab


@pytest.fixture(scope="module")
def mlflow() -> Any:
    # Importing mlflow warns about its own type hints and pandas 3 deprecations: not ours.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import mlflow.pyfunc
        import mlflow.sklearn
    return mlflow


def test_mlflow_pyfunc_loads_a_runlab_model(
    tmp_path: Path, iris: tuple[Any, Any], iris_pipeline: Any, mlflow: Any
) -> None:
    X, _ = iris
    runlab.sklearn.save_model(iris_pipeline, tmp_path / "m", input_example=X.head(2))
    model = mlflow.pyfunc.load_model(str(tmp_path / "m"))
    assert model.metadata.get_input_schema().input_names() == list(X.columns)
    np.testing.assert_array_equal(model.predict(X), iris_pipeline.predict(X))


def test_runlab_loads_an_mlflow_model(
    tmp_path: Path, iris: tuple[Any, Any], iris_pipeline: Any, mlflow: Any
) -> None:
    X, _ = iris
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mlflow's own pandas 3 deprecations
        mlflow.sklearn.save_model(
            iris_pipeline,
            str(tmp_path / "m"),
            input_example=X.head(2),
            pip_requirements=["scikit-learn"],  # skips mlflow's slow requirement inference
        )
    model = runlab.pyfunc.load_model(tmp_path / "m")
    assert model.metadata.runlab_version == mlflow.__version__  # read from mlflow_version
    schema = model.metadata.get_input_schema()
    assert schema is not None
    assert schema.input_names() == list(X.columns)
    np.testing.assert_array_equal(model.predict(X), iris_pipeline.predict(X))
