"""``runlab.models`` and ``runlab.pyfunc`` helpers over model URIs: reading the
descriptor, changing the signature and requirements where the model is, checking input,
one-off predictions, inferred requirements and dependency files."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

import runlab
from runlab.errors import InvalidInputError, NotFoundError, NotSupportedError
from runlab.models import ColSpec, DataType, ModelSignature, Schema


@pytest.fixture
def logged(tracking: str, iris: tuple[Any, Any], iris_pipeline: Any) -> Any:
    X, _ = iris
    with runlab.start_run():
        return runlab.sklearn.log_model(
            iris_pipeline, name="clf", input_example=X.head(2), registered_model_name="iris"
        )


def test_get_model_info_reads_the_descriptor_of_every_uri_form(logged: Any) -> None:
    uris = [
        logged.model_uri,
        f"models:/{logged.model_id}",
        "models:/iris/1",
        runlab.download_artifacts("clf", run_id=logged.run_id),
    ]
    for uri in uris:
        info = runlab.models.get_model_info(uri)
        assert info.model_uri == uri
        assert info.run_id == logged.run_id
        assert info.model_id == logged.model_id
        assert info.model_uuid == logged.model_uuid
        assert set(info.flavors) == {"sklearn", "python_function"}
        assert info.signature == logged.signature
    with pytest.raises(NotFoundError):
        runlab.models.get_model_info(f"runs:/{logged.run_id}/nothing-here")


def test_set_signature_changes_the_logged_files(logged: Any) -> None:
    new = ModelSignature(Schema([ColSpec(DataType.double, "only")]))
    runlab.models.set_signature(logged.model_uri, new)
    assert runlab.models.get_model_info(logged.model_uri).signature == new
    runlab.models.set_signature(f"models:/{logged.model_id}", new)
    assert runlab.models.get_model_info(f"models:/{logged.model_id}").signature == new
    with pytest.raises(InvalidInputError, match="registered model version"):
        runlab.models.set_signature("models:/iris/1", new)
    with pytest.raises(InvalidInputError, match="signature"):
        runlab.models.set_signature(logged.model_uri, {"inputs": "[]"})  # type: ignore[arg-type]


def test_update_model_requirements_adds_replaces_and_removes(logged: Any) -> None:
    uri = logged.model_uri
    runlab.models.update_model_requirements(uri, "add", ["six>=1.0", "numpy==1.0"])
    files = Path(runlab.pyfunc.get_model_dependencies(uri)).read_text().splitlines()
    assert "six>=1.0" in files
    assert "numpy==1.0" in files
    assert len([ln for ln in files if ln.startswith("numpy")]) == 1  # the old pin replaced
    conda = yaml.safe_load(Path(runlab.pyfunc.get_model_dependencies(uri, "conda")).read_text())
    pip_deps = next(d["pip"] for d in conda["dependencies"] if isinstance(d, dict))
    assert "six>=1.0" in pip_deps

    runlab.models.update_model_requirements(uri, "remove", ["six", "NumPy"])
    files = Path(runlab.pyfunc.get_model_dependencies(uri)).read_text().splitlines()
    assert not [ln for ln in files if ln.startswith(("six", "numpy"))]
    assert any(ln.startswith("scikit-learn==") for ln in files)

    with pytest.raises(InvalidInputError, match="operation"):
        runlab.models.update_model_requirements(uri, "replace", ["six"])  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="requirement_list"):
        runlab.models.update_model_requirements(uri, "add", ["not a requirement!"])
    with pytest.raises(InvalidInputError, match="registered model version"):
        runlab.models.update_model_requirements("models:/iris/1", "add", ["six"])
    with pytest.raises(InvalidInputError, match="format"):
        runlab.pyfunc.get_model_dependencies(uri, format="docker")


def test_validate_schema_names_the_column(iris: tuple[Any, Any]) -> None:
    X, _ = iris
    schema = Schema([ColSpec(DataType.double, c) for c in X.columns])
    runlab.models.validate_schema(X, schema)
    with pytest.raises(InvalidInputError, match="petal_width"):
        runlab.models.validate_schema(X.drop(columns=["petal_width"]), schema)
    with pytest.raises(InvalidInputError, match="expected_schema"):
        runlab.models.validate_schema(X, "double")  # type: ignore[arg-type]


def test_convert_input_example_to_serving_input_is_what_the_model_saved(logged: Any) -> None:
    local = Path(runlab.download_artifacts("clf", run_id=logged.run_id))
    example = runlab.models.Model.load(local).load_input_example(str(local))
    body = runlab.models.convert_input_example_to_serving_input(example)
    assert body is not None
    assert json.loads(body) == json.loads((local / "serving_input_example.json").read_text())
    assert json.loads(runlab.models.convert_input_example_to_serving_input(np.eye(2)) or "") == {
        "inputs": [[1.0, 0.0], [0.0, 1.0]]
    }
    assert runlab.models.convert_input_example_to_serving_input(None) is None


def test_predict_locally_from_data_a_serving_body_or_a_file(
    logged: Any, tmp_path: Path, iris: tuple[Any, Any], iris_pipeline: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    X, _ = iris
    expected = iris_pipeline.predict(X.head(5)).tolist()
    out = tmp_path / "out.json"
    runlab.models.predict(logged.model_uri, X.head(5), output_path=out, env_manager="local")
    assert json.loads(out.read_text()) == {"predictions": expected}

    body = runlab.models.convert_input_example_to_serving_input(X.head(5))
    runlab.models.predict(logged.model_uri, input_data=body, env_manager="local")
    assert json.loads(capsys.readouterr().out) == {"predictions": expected}

    csv = tmp_path / "in.csv"
    X.head(5).to_csv(csv, index=False)
    runlab.models.predict(
        "models:/iris/1", input_path=csv, content_type="csv", output_path=out, env_manager="local"
    )
    assert json.loads(out.read_text()) == {"predictions": expected}


@pytest.mark.parametrize(
    ("keywords", "error", "message"),
    [
        ({}, NotSupportedError, "env_manager='local'"),
        ({"env_manager": "uv"}, NotSupportedError, "env_manager='local'"),
        ({"env_manager": "docker"}, InvalidInputError, "env_manager"),
        ({"env_manager": "local", "content_type": "xml"}, InvalidInputError, "content_type"),
        ({"env_manager": "local", "input_path": "x.json"}, InvalidInputError, "exactly one"),
        ({"env_manager": "local", "install_mlflow": True}, NotSupportedError, "install_mlflow"),
    ],
)
def test_predict_mistakes_are_named(
    logged: Any, iris: tuple[Any, Any], keywords: dict[str, Any], error: type, message: str
) -> None:
    X, _ = iris
    with pytest.raises(error, match=message):
        runlab.models.predict(logged.model_uri, X.head(1), **keywords)


def test_predict_sets_extra_envs_while_the_model_runs(tracking: str, tmp_path: Path) -> None:
    import os

    def read_env(model_input: Any) -> Any:
        return [os.environ.get("RUNLAB_TEST_PREDICT_FLAG", "unset")] * len(model_input)

    runlab.pyfunc.save_model(tmp_path / "m", python_model=read_env)
    out = tmp_path / "out.json"
    runlab.models.predict(
        str(tmp_path / "m"), pd.DataFrame({"a": [1, 2]}), output_path=out,
        env_manager="local", extra_envs={"RUNLAB_TEST_PREDICT_FLAG": "on"},
    )  # fmt: skip
    assert json.loads(out.read_text()) == {"predictions": ["on", "on"]}
    assert "RUNLAB_TEST_PREDICT_FLAG" not in os.environ


def test_validate_serving_input_predicts_on_the_body(
    logged: Any, iris: tuple[Any, Any], iris_pipeline: Any
) -> None:
    X, _ = iris
    body = runlab.models.convert_input_example_to_serving_input(X.head(3))
    assert body is not None
    with pytest.warns(FutureWarning, match="deprecated"):
        result = runlab.models.validate_serving_input(logged.model_uri, body)
    assert list(result) == list(iris_pipeline.predict(X.head(3)))
    with pytest.warns(FutureWarning), pytest.raises(InvalidInputError, match="serving input"):
        runlab.models.validate_serving_input(logged.model_uri, {"rows": []})
    with pytest.warns(FutureWarning), pytest.raises(InvalidInputError, match="petal_width"):
        runlab.models.validate_serving_input(
            logged.model_uri, {"dataframe_records": [{"sepal_length": 1.0}]}
        )


def test_infer_pip_requirements_pins_what_loading_imports(logged: Any) -> None:
    pins = runlab.models.infer_pip_requirements(logged.model_uri, "sklearn")
    assert f"scikit-learn=={metadata.version('scikit-learn')}" in pins
    assert any(p.startswith("runlab==") for p in pins)
    # numpy and scipy come with scikit-learn: they are left out, as are pip and setuptools.
    assert not [p for p in pins if p.startswith(("numpy==", "scipy==", "pip==", "setuptools=="))]


def test_infer_pip_requirements_falls_back_when_the_model_does_not_load(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "MLmodel").write_text(
        "flavors:\n  python_function:\n    loader_module: no_such_module_anywhere\n"
    )
    with pytest.warns(runlab.models.RunlabModelWarning, match="fallback"):
        assert runlab.models.infer_pip_requirements(
            str(tmp_path / "m"), "python_function", fallback=["numpy"]
        ) == ["numpy"]
    with pytest.raises(InvalidInputError, match="does not load"):
        runlab.models.infer_pip_requirements(str(tmp_path / "m"), "python_function")


def test_add_libraries_to_model_bundles_wheels(
    tracking: str, tmp_path: Path, iris: tuple[Any, Any], iris_pipeline: Any
) -> None:
    project = tmp_path / "tinylib"
    (project / "tinylib").mkdir(parents=True)
    (project / "tinylib" / "__init__.py").write_text("VALUE = 1\n")
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "tinylib"\nversion = "0.1"\n'
    )
    with runlab.start_run():
        info = runlab.sklearn.log_model(
            iris_pipeline, name="clf", pip_requirements=[str(project)],
            registered_model_name="bundled",
        )  # fmt: skip
    new = runlab.models.add_libraries_to_model("models:/bundled/1")
    assert new.registered_model_version == 2
    assert new.run_id != info.run_id
    local = Path(runlab.pyfunc.get_model_dependencies("models:/bundled/2")).parent
    lines = (local / "requirements.txt").read_text().splitlines()
    assert lines == ["wheels/tinylib-0.1-py3-none-any.whl"]
    assert (local / "wheels" / "tinylib-0.1-py3-none-any.whl").is_file()
    X, _ = iris
    bundled = runlab.pyfunc.load_model("models:/bundled/2")
    assert list(bundled.predict(X.head(3))) == list(iris_pipeline.predict(X.head(3)))


def test_pyfunc_helpers(tmp_path: Path, tracking: str) -> None:
    meta = runlab.models.Model()
    runlab.pyfunc.add_to_model(
        meta, loader_module="my.loader", data="weights", code="code", python_env="python_env.yaml",
        predict_fn="score",
    )  # fmt: skip
    conf = meta.flavors["python_function"]
    assert conf["loader_module"] == "my.loader"
    assert conf["data"] == "weights"
    assert conf["env"] == {"virtualenv": "python_env.yaml"}
    assert conf["predict_fn"] == "score"
    with pytest.raises(InvalidInputError, match="loader_module"):
        runlab.pyfunc.add_to_model(meta, loader_module="")

    assert runlab.pyfunc.get_default_pip_requirements() == [
        f"cloudpickle=={metadata.version('cloudpickle')}"
    ]

    runlab.pyfunc.save_model(tmp_path / "m", python_model=lambda x: x)
    with pytest.warns(FutureWarning, match="load_model"):
        model = runlab.pyfunc.load_pyfunc(str(tmp_path / "m"))
    assert model.predict([1, 2]) == [1, 2]

    signature = ModelSignature(Schema([ColSpec(DataType.long, "a")]))
    runlab.pyfunc.update_signature_for_type_hint_from_example(pd.DataFrame({"a": [1]}), signature)
    assert signature.is_type_hint_from_example
    other = ModelSignature(Schema([ColSpec(DataType.long, "a")]))
    with pytest.warns(runlab.models.RunlabModelWarning, match="DataFrame"):
        runlab.pyfunc.update_signature_for_type_hint_from_example(np.ones(2), other)
    assert not other.is_type_hint_from_example


def test_load_model_overrides_model_config(tmp_path: Path) -> None:
    class Configured(runlab.pyfunc.PythonModel):
        def load_context(self, context: Any) -> None:
            self.config = dict(context.model_config)

        def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
            return [self.config] * len(model_input)

    runlab.pyfunc.save_model(
        tmp_path / "m", python_model=Configured(), model_config={"a": 1, "b": 2}
    )
    assert runlab.pyfunc.load_model(tmp_path / "m").predict([0]) == [{"a": 1, "b": 2}]
    model = runlab.pyfunc.load_model(tmp_path / "m", model_config={"b": 3})
    assert model.predict([0]) == [{"a": 1, "b": 3}]
