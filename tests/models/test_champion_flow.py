"""The registry's whole path, as a team uses it: train a scikit-learn pipeline, log it with
an input example, register two versions, point the ``champion`` alias at one, then load
``models:/NAME@champion`` in a fresh process and serve it over HTTP, with the same
predictions everywhere."""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
import pytest
from tests.models.test_serving import _serve

import runlab

pytestmark = pytest.mark.slow


def _pipeline(X: Any, y: Any, c: float) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=1000)).fit(X, y)


def test_champion_loads_in_a_fresh_process_and_serves_the_same_predictions(
    tracking: str, iris: tuple[Any, Any], fresh_process: Any, subprocess_env: Any, tmp_path: Any
) -> None:
    X, y = iris
    # Two candidates that disagree on some rows, so the alias visibly picks one.
    weak, strong = _pipeline(X, y, 0.01), _pipeline(X, y, 10.0)
    assert (weak.predict(X) != strong.predict(X)).any()
    with runlab.start_run():
        v1 = runlab.sklearn.log_model(
            strong, name="model", registered_model_name="fraud", input_example=X.head(3)
        )
    with runlab.start_run():
        v2 = runlab.sklearn.log_model(
            weak, name="model", registered_model_name="fraud", input_example=X.head(3)
        )
    assert (v1.registered_model_version, v2.registered_model_version) == (1, 2)
    client = runlab.RunlabClient()
    # The champion is version 1, not the latest: loading must go through the alias.
    client.set_registered_model_alias("fraud", "champion", "1")
    assert client.get_model_version_by_alias("fraud", "champion").version == 1
    expected = strong.predict(X).tolist()
    runlab.flush()

    loaded = fresh_process(
        """
        import json
        import pandas as pd
        import runlab.pyfunc
        from sklearn.datasets import load_iris

        X, _ = load_iris(return_X_y=True, as_frame=True)
        X.columns = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
        model = runlab.pyfunc.load_model("models:/fraud@champion")
        print(json.dumps([int(v) for v in model.predict(X)]))
        """,
        RUNLAB_TRACKING_URI=tracking,
    )
    assert loaded == expected

    args = ["--tracking-uri", tracking, "models", "serve", "-m", "models:/fraud@champion"]
    for url in _serve(args, tmp_path / "serve.log", subprocess_env()):
        split = {"columns": list(X.columns), "data": X.to_numpy().tolist()}
        answer = httpx.post(f"{url}/invocations", json={"dataframe_split": split}, timeout=60)
        assert answer.status_code == 200, answer.text
        served = answer.json()["predictions"]
        np.testing.assert_array_equal(served, expected)
        # The signature inferred from the input example guards the endpoint.
        missing = {"columns": list(X.columns[:3]), "data": X.iloc[:2, :3].to_numpy().tolist()}
        bad = httpx.post(f"{url}/invocations", json={"dataframe_split": missing}, timeout=60)
        assert bad.status_code == 400
        assert "petal_width" in bad.json()["message"]
