"""Custom python models: code_paths, artifacts, params, and loading in a fresh process."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import runlab
from runlab.errors import InvalidInputError
from runlab.models import ColSpec, ModelSignature, ParamSchema, ParamSpec, Schema

MODEL_CODE = '''
import json

import pandas as pd

from runlab.pyfunc import PythonModel


class ScaledSum(PythonModel):
    """Adds each row's columns, times a factor read from an artifact at load time."""

    def __init__(self, offset):
        self.offset = offset
        self.factor = None

    def load_context(self, context):
        with open(context.artifacts["config"]) as f:
            self.factor = json.load(f)["factor"]

    def predict(self, context, model_input, params=None):
        scale = (params or {}).get("scale", 1.0)
        total = model_input.sum(axis=1) * self.factor * scale + self.offset
        return pd.DataFrame({"total": total})
'''


@pytest.fixture
def code_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A module in its own folder, importable in this process only."""
    folder = tmp_path / "src_code"
    folder.mkdir()
    (folder / "scaled_sum.py").write_text(textwrap.dedent(MODEL_CODE))
    monkeypatch.syspath_prepend(str(folder))
    return folder


def _save(tmp_path: Path, code_dir: Path, path: Path) -> Any:
    import scaled_sum

    config = tmp_path / "config.json"
    config.write_text('{"factor": 10}')
    sig = ModelSignature(
        Schema([ColSpec("double", "a"), ColSpec("double", "b")]),
        params=ParamSchema([ParamSpec("scale", "double", 1.0)]),
    )
    return runlab.pyfunc.save_model(
        path,
        python_model=scaled_sum.ScaledSum(offset=1),
        artifacts={"config": str(config)},
        code_paths=[str(code_dir / "scaled_sum.py")],
        signature=sig,
    )


def test_custom_model_loads_in_a_fresh_process_without_its_code(
    tmp_path: Path, code_dir: Path, fresh_process: Any
) -> None:
    path = tmp_path / "model"
    _save(tmp_path, code_dir, path)
    assert (path / "code" / "scaled_sum.py").is_file()
    assert (path / "artifacts" / "config" / "config.json").is_file()
    (tmp_path / "config.json").unlink()  # the model carries its own copy

    here = runlab.pyfunc.load_model(path)
    frame = pd.DataFrame({"a": [1, 2], "b": [3.0, 4.0]})
    assert here.predict(frame)["total"].tolist() == [41.0, 61.0]
    assert here.predict(frame, params={"scale": 2})["total"].tolist() == [81.0, 121.0]

    out = fresh_process(
        f"""
        import importlib.util, json
        assert importlib.util.find_spec("scaled_sum") is None  # not importable before the load
        import runlab.pyfunc
        model = runlab.pyfunc.load_model({str(path)!r})
        result = model.predict({{"a": [1, 2], "b": [3, 4]}}, params={{"scale": 0.5}})
        print(json.dumps({{"totals": result["total"].tolist(),
                           "cls": type(model.unwrap_python_model()).__module__}}))
        """
    )
    assert out == {"totals": [21.0, 31.0], "cls": "scaled_sum"}


def test_logged_custom_model_with_a_package_folder_loads_from_the_run(
    tracking: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_process: Any
) -> None:
    package = tmp_path / "pkgsrc" / "scalers"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(textwrap.dedent(MODEL_CODE))
    monkeypatch.syspath_prepend(str(package.parent))
    import scalers

    config = tmp_path / "config.json"
    config.write_text('{"factor": 2}')
    with runlab.start_run():
        info = runlab.pyfunc.log_model(
            name="custom",
            python_model=scalers.ScaledSum(offset=0),
            artifacts={"config": str(config)},
            code_paths=[str(package)],  # a folder lands as code/scalers
            input_example=pd.DataFrame({"a": [1.0], "b": [2.0]}),
        )
    assert info.signature is not None
    assert info.signature.outputs is not None
    assert [s.name for s in info.signature.outputs.inputs] == ["total"]
    runlab.flush()
    out = fresh_process(
        f"""
        import json, runlab.pyfunc
        model = runlab.pyfunc.load_model({info.model_uri!r})
        print(json.dumps(model.predict([{{"a": 1.0, "b": 1.0}}])["total"].tolist()))
        """,
        RUNLAB_TRACKING_URI=tracking,
    )
    assert out == [4.0]


def test_function_models_and_predict_without_context(tmp_path: Path) -> None:
    runlab.pyfunc.save_model(tmp_path / "f", python_model=lambda df: df["x"] * 3)
    assert runlab.pyfunc.load_model(tmp_path / "f").predict(
        pd.DataFrame({"x": [1, 2]})
    ).tolist() == [3, 6]

    class NoContext(runlab.pyfunc.PythonModel):
        def predict(self, model_input, params=None):  # type: ignore[override]
            return np.asarray(model_input) + (params or {}).get("add", 0)

    sig = ModelSignature(params=ParamSchema([ParamSpec("add", "long", 1)]))
    runlab.pyfunc.save_model(tmp_path / "n", python_model=NoContext(), signature=sig)
    model = runlab.pyfunc.load_model(tmp_path / "n")
    assert model.predict([1, 2]).tolist() == [2, 3]
    assert model.predict([1, 2], params={"add": 10}).tolist() == [11, 12]
    with pytest.raises(InvalidInputError, match="param 'add': value must be long"):
        model.predict([1], params={"add": "x"})


def test_save_model_checks_its_arguments(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="needs python_model"):
        runlab.pyfunc.save_model(tmp_path / "a")
    with pytest.raises(
        InvalidInputError, match="must be a runlab.pyfunc.PythonModel or a function"
    ):
        runlab.pyfunc.save_model(tmp_path / "b", python_model=42)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="code_paths: .* does not exist"):
        runlab.pyfunc.save_model(
            tmp_path / "c", python_model=len, code_paths=[str(tmp_path / "nope.py")]
        )
    assert not (tmp_path / "c").exists()  # a failed save leaves nothing behind
    with pytest.raises(InvalidInputError, match=r"artifacts\['cfg'\]: cannot fetch"):
        runlab.pyfunc.save_model(
            tmp_path / "d", python_model=len, artifacts={"cfg": str(tmp_path / "x")}
        )


def test_models_without_a_pyfunc_flavour_are_refused(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "MLmodel").write_text("flavors:\n  exotic: {}\n")
    with pytest.raises(InvalidInputError, match="has no python_function flavour"):
        runlab.pyfunc.load_model(tmp_path / "m")
    with pytest.raises(InvalidInputError, match="is not a sklearn model"):
        runlab.sklearn.load_model(tmp_path / "m")
