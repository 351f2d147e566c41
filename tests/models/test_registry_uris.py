"""Logging with registered_model_name, and loading models:/ URIs through the registry."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import runlab
from runlab.errors import NotFoundError


def test_log_model_registers_and_models_uris_load(
    tracking: str, iris: tuple[Any, Any], iris_pipeline: Any, fresh_process: Any
) -> None:
    X, _ = iris
    with runlab.start_run():
        first = runlab.sklearn.log_model(iris_pipeline, name="m", registered_model_name="iris")
        second = runlab.sklearn.log_model(
            iris_pipeline, name="m2", registered_model_name="iris", input_example=X.head(2)
        )
    assert first.registered_model_version == 1
    assert second.registered_model_version == 2
    client = runlab.RunlabClient()
    client.set_registered_model_alias("iris", "champion", 1)
    client.transition_model_version_stage("iris", 2, "Production")

    expected = iris_pipeline.predict(X)
    for uri, run_path in [
        ("models:/iris/1", "m"),
        ("models:/iris@champion", "m"),
        ("models:/iris/Production", "m2"),
        ("models:/iris/latest", "m2"),
    ]:
        model = runlab.pyfunc.load_model(uri)
        assert model.metadata.artifact_path == run_path, uri
        np.testing.assert_array_equal(model.predict(X), expected)
    assert runlab.sklearn.load_model("models:/iris/2").predict(X.head(3)).tolist() == (
        expected[:3].tolist()
    )
    with pytest.raises(NotFoundError):
        runlab.pyfunc.load_model("models:/iris/7")

    runlab.flush()
    out = fresh_process(
        """
        import json, runlab.pyfunc
        model = runlab.pyfunc.load_model("models:/iris@champion")
        print(json.dumps(model.predict([[5.1, 3.5, 1.4, 0.2]]).tolist()))  # iris row 0
        """,
        RUNLAB_TRACKING_URI=tracking,
    )
    assert out == iris_pipeline.predict(X.head(1)).tolist()
