"""scikit-learn models: save, log, load here and in a fresh process."""

from __future__ import annotations

import json
import os
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

import runlab
from runlab.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from runlab.models import ColSpec, DataType, Model, RequirementsMismatchWarning, TensorSpec


def test_log_model_records_everything_and_loads_back(
    tracking: str, iris: tuple[Any, Any], iris_pipeline: Any
) -> None:
    X, _ = iris
    with runlab.start_run() as run:
        info = runlab.sklearn.log_model(iris_pipeline, name="clf", input_example=X.head(3))

    assert info.model_uri == f"models:/{info.model_id}"  # as MLflow 3 answers
    assert info.run_id == run.info.run_id
    assert info.artifact_path == "clf"
    assert info.signature is not None
    assert info.signature.inputs is not None
    assert info.signature.inputs.inputs == [ColSpec(DataType.double, c) for c in X.columns]
    assert info.signature.outputs is not None
    assert info.signature.outputs.inputs == [TensorSpec(np.dtype("int64"), (-1,))]

    files = {f.path for f in runlab.list_artifacts("clf", run_id=run.info.run_id)}
    assert {
        "clf/MLmodel",
        "clf/model.pkl",
        "clf/input_example.json",
        "clf/serving_input_example.json",
        "clf/requirements.txt",
        "clf/python_env.yaml",
        "clf/conda.yaml",
    } <= files

    local = runlab.download_artifacts("clf", run_id=run.info.run_id)
    mlmodel = yaml.safe_load(Path(local, "MLmodel").read_text())
    assert mlmodel["run_id"] == run.info.run_id
    assert mlmodel["artifact_path"] == "clf"
    assert mlmodel["runlab_version"] == runlab.__version__
    assert len(mlmodel["model_uuid"]) == 32
    assert mlmodel["flavors"]["python_function"]["loader_module"] == "runlab.sklearn"
    assert mlmodel["flavors"]["sklearn"]["sklearn_version"] == metadata.version("scikit-learn")
    assert json.loads(mlmodel["signature"]["inputs"])[0] == {
        "type": "double",
        "name": "sepal_length",
        "required": True,
    }
    assert mlmodel["saved_input_example_info"]["pandas_orient"] == "split"
    example = json.loads(Path(local, "input_example.json").read_text())
    assert example["columns"] == list(X.columns)
    assert example["data"] == X.head(3).to_numpy().tolist()

    model = runlab.pyfunc.load_model(info.model_uri)
    np.testing.assert_array_equal(model.predict(X), iris_pipeline.predict(X))
    assert model.metadata.run_id == run.info.run_id
    estimator = runlab.sklearn.load_model(info.model_uri)
    np.testing.assert_array_equal(estimator.predict_proba(X), iris_pipeline.predict_proba(X))
    pd.testing.assert_frame_equal(model.metadata.load_input_example(model.model_dir), X.head(3))


def test_requirements_are_pinned_to_installed_versions(tmp_path: Path, iris_pipeline: Any) -> None:
    runlab.sklearn.save_model(iris_pipeline, tmp_path / "m")
    lines = (tmp_path / "m" / "requirements.txt").read_text().splitlines()
    for package in ("scikit-learn", "cloudpickle", "numpy", "pandas"):
        assert f"{package}=={metadata.version(package)}" in lines
    assert f"runlab=={runlab.__version__}" in lines
    env = yaml.safe_load((tmp_path / "m" / "python_env.yaml").read_text())
    assert env["dependencies"] == ["-r requirements.txt"]


def test_extra_and_replaced_requirements(tmp_path: Path, iris_pipeline: Any) -> None:
    runlab.sklearn.save_model(
        iris_pipeline, tmp_path / "a", extra_pip_requirements=["requests>=2", "pyyaml"]
    )
    lines = (tmp_path / "a" / "requirements.txt").read_text().splitlines()
    assert "requests>=2" in lines
    assert f"pyyaml=={metadata.version('pyyaml')}" in lines
    assert any(line.startswith("scikit-learn==") for line in lines)

    runlab.sklearn.save_model(iris_pipeline, tmp_path / "b", pip_requirements=["scikit-learn"])
    lines = (tmp_path / "b" / "requirements.txt").read_text().splitlines()
    assert lines == [f"scikit-learn=={metadata.version('scikit-learn')}"]

    with pytest.raises(InvalidInputError, match="not both"):
        runlab.sklearn.save_model(
            iris_pipeline, tmp_path / "c", pip_requirements=["x"], extra_pip_requirements=["y"]
        )


def test_mismatched_requirements_warn_once_and_still_load(
    tmp_path: Path, iris: tuple[Any, Any], iris_pipeline: Any
) -> None:
    X, _ = iris
    path = tmp_path / "m"
    runlab.sklearn.save_model(iris_pipeline, path)
    req = path / "requirements.txt"
    lines = [
        "scikit-learn==0.20.0" if line.startswith("scikit-learn==") else line
        for line in req.read_text().splitlines()
    ]
    req.write_text("\n".join([*lines, "no-such-package-xyz==1.2.3"]) + "\n")

    with pytest.warns(RequirementsMismatchWarning) as caught:
        model = runlab.pyfunc.load_model(path)
    assert len(caught) == 1
    message = str(caught[0].message)
    installed = metadata.version("scikit-learn")
    assert f"scikit-learn: recorded 0.20.0, installed {installed}" in message
    assert "no-such-package-xyz: recorded 1.2.3, installed not installed" in message
    assert "numpy" not in message
    np.testing.assert_array_equal(model.predict(X), iris_pipeline.predict(X))


def test_loads_in_a_fresh_process_from_a_run(
    tracking: str, iris: tuple[Any, Any], iris_pipeline: Any, fresh_process: Any
) -> None:
    X, _ = iris
    with runlab.start_run():
        info = runlab.sklearn.log_model(iris_pipeline, artifact_path="model", input_example=X[:2])
    runlab.flush()
    out = fresh_process(
        f"""
        import json, warnings
        warnings.simplefilter("error")
        import runlab, runlab.pyfunc
        from sklearn.datasets import load_iris
        X, _ = load_iris(return_X_y=True, as_frame=True)
        X.columns = {list(X.columns)!r}
        model = runlab.pyfunc.load_model({info.model_uri!r})
        print(json.dumps(model.predict(X).tolist()))
        """,
        RUNLAB_TRACKING_URI=tracking,
    )
    assert out == iris_pipeline.predict(X).tolist()


class Doubler:
    """A custom transformer from outside any installed package: stored by value."""

    def fit(self, X: Any, y: Any = None) -> Doubler:
        return self

    def transform(self, X: Any) -> Any:
        return X * 2

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {}

    def set_params(self, **params: Any) -> Doubler:
        return self


def test_custom_estimator_classes_load_where_their_module_is_missing(
    tmp_path: Path, iris: tuple[Any, Any], fresh_process: Any
) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    X, y = iris
    pipe = make_pipeline(Doubler(), LogisticRegression(max_iter=1000)).fit(X, y)
    runlab.sklearn.save_model(pipe, tmp_path / "m")
    out = fresh_process(
        f"""
        import json, runlab.sklearn
        from sklearn.datasets import load_iris
        X, _ = load_iris(return_X_y=True, as_frame=True)
        X.columns = {list(X.columns)!r}
        model = runlab.sklearn.load_model({str(tmp_path / "m")!r})
        print(json.dumps(model.predict(X).tolist()))
        """
    )
    assert out == pipe.predict(X).tolist()


def test_save_refuses_a_non_empty_folder(tmp_path: Path, iris_pipeline: Any) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "keep.txt").write_text("x")
    with pytest.raises(AlreadyExistsError, match="already exists"):
        runlab.sklearn.save_model(iris_pipeline, tmp_path / "m")
    assert os.listdir(tmp_path / "m") == ["keep.txt"]


def test_predict_fn_and_uri_forms(
    tmp_path: Path, iris: tuple[Any, Any], iris_pipeline: Any
) -> None:
    X, _ = iris
    runlab.sklearn.save_model(iris_pipeline, tmp_path / "m", pyfunc_predict_fn="predict_proba")
    model = runlab.pyfunc.load_model((tmp_path / "m").as_uri())
    np.testing.assert_allclose(model.predict(X), iris_pipeline.predict_proba(X))
    assert Model.load(tmp_path / "m").flavors["python_function"]["predict_fn"] == "predict_proba"
    with pytest.raises(InvalidInputError, match="no method 'predict_log_probz'"):
        runlab.sklearn.save_model(
            iris_pipeline, tmp_path / "n", pyfunc_predict_fn="predict_log_probz"
        )
    with pytest.raises(NotFoundError, match="does not exist"):
        runlab.pyfunc.load_model(tmp_path / "missing")
    with pytest.raises(NotFoundError, match="no MLmodel file"):
        runlab.pyfunc.load_model(tmp_path)


def test_name_and_artifact_path_must_agree(tracking: str, iris_pipeline: Any) -> None:
    with runlab.start_run(), pytest.raises(InvalidInputError, match="differ"):
        runlab.sklearn.log_model(iris_pipeline, artifact_path="a", name="b")
    with runlab.start_run(), pytest.raises(InvalidInputError, match="escapes"):
        runlab.sklearn.log_model(iris_pipeline, name="../outside")


def test_log_model_history_tag(tracking: str, iris_pipeline: Any) -> None:
    with runlab.start_run() as run:
        runlab.sklearn.log_model(iris_pipeline, name="one")
        runlab.sklearn.log_model(iris_pipeline, name="two")
    history = json.loads(runlab.get_run(run.info.run_id).data.tags["mlflow.log-model.history"])
    assert [h["artifact_path"] for h in history] == ["one", "two"]
