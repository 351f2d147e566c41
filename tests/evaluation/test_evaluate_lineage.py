"""evaluate's MLflow 3 keywords: dataset_path and model_id go into the manifest (the
logged model's id by default), model_config reaches a custom model loaded by URI."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

import runlab
from runlab.errors import InvalidInputError, NotFoundError


def _manifest(result: Any) -> dict[str, Any]:
    text = runlab.artifacts.load_text(f"runs:/{result.run_id}/{result.manifest_path}")
    return dict(json.loads(text))


@pytest.fixture
def regression() -> tuple[Any, Any]:
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    return Ridge().fit(X, y), X.assign(y=y.values)


def test_model_id_comes_from_the_logged_model_and_dataset_path_is_kept(
    tracking: str, regression: tuple[Any, Any]
) -> None:
    model, data = regression
    with runlab.start_run():
        info = runlab.sklearn.log_model(model, name="model")
    with runlab.start_run():
        result = runlab.evaluate(
            info.model_uri, data, targets="y", model_type="regressor",
            dataset_path="s3://bucket/diabetes.parquet",
        )  # fmt: skip
    manifest = _manifest(result)
    assert manifest["model_id"] == info.model_id
    assert manifest["dataset"]["path"] == "s3://bucket/diabetes.parquet"

    other = runlab.create_external_model(name="elsewhere")
    with runlab.start_run():
        named = runlab.evaluate(
            model, data, targets="y", model_type="regressor", model_id=other.model_id
        )
    assert _manifest(named)["model_id"] == other.model_id
    assert "path" not in _manifest(named)["dataset"]
    with runlab.start_run():
        plain = runlab.evaluate(model, data, targets="y", model_type="regressor")
    assert _manifest(plain)["model_id"] is None


def test_lineage_mistakes_are_named(tracking: str, regression: tuple[Any, Any]) -> None:
    model, data = regression
    with pytest.raises(NotFoundError):
        runlab.evaluate(model, data, targets="y", model_type="regressor", model_id="m-" + "0" * 32)
    with pytest.raises(InvalidInputError, match="dataset_path"):
        runlab.evaluate(model, data, targets="y", model_type="regressor", dataset_path='a"b')
    with pytest.raises(InvalidInputError, match="model_config"):
        runlab.evaluate(model, data, targets="y", model_type="regressor", model_config={"a": 1})


def test_model_config_reaches_a_custom_model(tracking: str) -> None:
    class Shifted(runlab.pyfunc.PythonModel):
        def load_context(self, context: Any) -> None:
            self.shift = float(context.model_config.get("shift", 0.0))

        def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
            return np.asarray(model_input["x"], float) + self.shift

    with runlab.start_run():
        info = runlab.pyfunc.log_model(
            name="shifted", python_model=Shifted(), model_config={"shift": 5.0}
        )
    data = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [1.0, 2.0, 3.0, 4.0]})
    with runlab.start_run():
        saved = runlab.evaluate(info.model_uri, data, targets="y", model_type="regressor")
        exact = runlab.evaluate(
            info.model_uri, data, targets="y", model_type="regressor", model_config={"shift": 0}
        )
    assert saved.metrics["mean_absolute_error"] == pytest.approx(5.0)
    assert exact.metrics["mean_absolute_error"] == pytest.approx(0.0)
