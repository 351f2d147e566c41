"""The flavours' MLflow keywords: skops and extra files for scikit-learn, the pickle
module, extra files and torch.export for PyTorch, loader modules and inferred code
paths for custom python models."""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import runlab
from runlab.errors import InvalidInputError


def _mlmodel(path: Path) -> dict[str, Any]:
    return dict(yaml.safe_load((path / "MLmodel").read_text()))


# ============================================================================ scikit-learn
def test_skops_format_saves_and_loads_without_pickle(
    tmp_path: Path, iris: tuple[Any, Any], iris_pipeline: Any
) -> None:
    X, _ = iris
    runlab.sklearn.save_model(iris_pipeline, tmp_path / "m", serialization_format="skops")
    conf = _mlmodel(tmp_path / "m")["flavors"]["sklearn"]
    assert conf["serialization_format"] == "skops"
    assert (tmp_path / "m" / "model.skops").is_file()
    assert not (tmp_path / "m" / "model.pkl").exists()
    requirements = (tmp_path / "m" / "requirements.txt").read_text()
    assert "skops==" in requirements
    assert "cloudpickle" not in requirements
    loaded = runlab.sklearn.load_model(tmp_path / "m")
    assert (loaded.predict(X) == iris_pipeline.predict(X)).all()
    assert (runlab.pyfunc.load_model(tmp_path / "m").predict(X) == iris_pipeline.predict(X)).all()


def test_skops_refuses_untrusted_types_unless_the_model_lists_them(
    tmp_path: Path, iris: tuple[Any, Any]
) -> None:
    import operator

    from sklearn.preprocessing import FunctionTransformer

    X, _ = iris
    model = FunctionTransformer(operator.neg).fit(X)
    runlab.sklearn.save_model(
        model, tmp_path / "plain", serialization_format="skops", pyfunc_predict_fn="transform"
    )
    with pytest.raises(InvalidInputError, match="skops_trusted_types"):
        runlab.sklearn.load_model(tmp_path / "plain")

    runlab.sklearn.save_model(
        model,
        tmp_path / "trusted",
        serialization_format="skops",
        pyfunc_predict_fn="transform",
        skops_trusted_types=["_operator.neg"],
    )
    conf = _mlmodel(tmp_path / "trusted")["flavors"]["sklearn"]
    assert conf["skops_trusted_types"] == ["_operator.neg"]
    loaded = runlab.sklearn.load_model(tmp_path / "trusted")
    np.testing.assert_allclose(loaded.transform(X), -X)


def test_skops_trusted_types_without_skops_is_refused(tmp_path: Path, iris_pipeline: Any) -> None:
    with pytest.raises(InvalidInputError, match="skops_trusted_types"):
        runlab.sklearn.save_model(iris_pipeline, tmp_path / "m", skops_trusted_types=["x.Y"])
    assert not (tmp_path / "m").exists()


def test_sklearn_extra_files_travel_with_the_model(
    tracking: str, tmp_path: Path, iris_pipeline: Any
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("trained on iris")
    with runlab.start_run() as run:
        runlab.sklearn.log_model(iris_pipeline, name="model", extra_files=[str(notes)])
    local = Path(runlab.download_artifacts("model", run_id=run.info.run_id))
    assert (local / "extra_files" / "notes.txt").read_text() == "trained on iris"
    conf = _mlmodel(local)["flavors"]["sklearn"]
    assert conf["extra_files"] == [{"path": "extra_files/notes.txt"}]


@pytest.mark.parametrize(
    ("value", "message"),
    [("one.txt", "list"), (["/does/not/exist.txt"], "cannot fetch")],
)
def test_bad_extra_files_name_the_field(
    tmp_path: Path, iris_pipeline: Any, value: Any, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=f"extra_files.*{message}"):
        runlab.sklearn.save_model(iris_pipeline, tmp_path / "m", extra_files=value)
    assert not (tmp_path / "m").exists()


def test_sklearn_default_pip_requirements_pin_what_is_installed() -> None:
    from importlib import metadata

    pins = runlab.sklearn.get_default_pip_requirements(include_cloudpickle=True, include_skops=True)
    assert pins == [
        f"scikit-learn=={metadata.version('scikit-learn')}",
        f"cloudpickle=={metadata.version('cloudpickle')}",
        f"skops=={metadata.version('skops')}",
    ]
    assert runlab.sklearn.get_default_pip_requirements() == pins[:1]


# ============================================================================ PyTorch
def _net() -> Any:
    import torch

    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))


def _out(net: Any, x: np.ndarray) -> np.ndarray:
    import torch

    with torch.no_grad():
        return np.asarray(net(torch.from_numpy(x)).numpy())


def test_pytorch_pickle_module_is_used_both_ways(tmp_path: Path) -> None:
    net = _net()
    x = np.ones((3, 4), dtype=np.float32)
    runlab.pytorch.save_model(net, tmp_path / "m", pickle_module=pickle, extra_files=[])
    conf = _mlmodel(tmp_path / "m")["flavors"]["pytorch"]
    assert conf["pickle_module_name"] == "pickle"
    assert conf["serialization_format"] == "pickle"
    np.testing.assert_allclose(_out(runlab.pytorch.load_model(tmp_path / "m"), x), _out(net, x))
    with pytest.raises(InvalidInputError, match="pickle_module"):
        runlab.pytorch.save_model(net, tmp_path / "n", pickle_module="pickle")  # type: ignore[arg-type]


def test_pytorch_export_model_saves_a_program_that_takes_any_batch_size(tmp_path: Path) -> None:
    net = _net()
    example = np.zeros((2, 4), dtype=np.float32)
    runlab.pytorch.save_model(net, tmp_path / "m", input_example=example, export_model=True)
    conf = _mlmodel(tmp_path / "m")["flavors"]["pytorch"]
    assert conf["serialization_format"] == "pt2"
    assert (tmp_path / "m" / "data" / "model.pt2").is_file()
    assert not (tmp_path / "m" / "data" / "model.pth").exists()
    x = np.random.default_rng(1).normal(size=(5, 4)).astype(np.float32)
    pyfunc = runlab.pyfunc.load_model(tmp_path / "m")
    np.testing.assert_allclose(pyfunc.predict(x), _out(net, x), rtol=1e-5, atol=1e-6)
    module = runlab.pytorch.load_model(tmp_path / "m")
    np.testing.assert_allclose(_out(module, x), _out(net, x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"export_model": True}, "input_example"),
        ({"serialization_format": "onnx"}, "serialization_format"),
        ({"export_model": True, "serialization_format": "pickle"}, "contradicts"),
    ],
)
def test_pytorch_bad_export_keywords_are_refused(
    tmp_path: Path, keywords: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        runlab.pytorch.save_model(_net(), tmp_path / "m", **keywords)


def test_pytorch_extra_files_and_default_requirements(tmp_path: Path) -> None:
    from importlib import metadata

    vocab = tmp_path / "vocab.json"
    vocab.write_text("{}")
    runlab.pytorch.save_model(_net(), tmp_path / "m", extra_files=[str(vocab)])
    assert (tmp_path / "m" / "extra_files" / "vocab.json").is_file()
    assert _mlmodel(tmp_path / "m")["flavors"]["pytorch"]["extra_files"] == [
        {"path": "extra_files/vocab.json"}
    ]
    pins = runlab.pytorch.get_default_pip_requirements()
    torch_version = metadata.version("torch").split("+")[0]
    assert pins == [f"torch=={torch_version}", f"cloudpickle=={metadata.version('cloudpickle')}"]


# ============================================================================ custom models
LOADER = """
import os

class _Doubler:
    def __init__(self, factor):
        self.factor = factor

    def predict(self, data, params=None):
        return [v * self.factor for v in data]

def _load_pyfunc(path):
    with open(os.path.join(path, "factor.txt")) as f:
        return _Doubler(int(f.read()))
"""


def test_loader_module_and_data_path_load_in_a_fresh_process(
    tmp_path: Path, subprocess_env: Callable[..., dict[str, str]]
) -> None:
    code = tmp_path / "src"
    code.mkdir()
    (code / "my_loader.py").write_text(textwrap.dedent(LOADER))
    data = tmp_path / "weights"
    data.mkdir()
    (data / "factor.txt").write_text("3")
    sys.path.insert(0, str(code))
    try:
        runlab.pyfunc.save_model(
            tmp_path / "m", loader_module="my_loader", data_path=data, infer_code_paths=True
        )
    finally:
        sys.path.remove(str(code))
        sys.modules.pop("my_loader", None)
    conf = _mlmodel(tmp_path / "m")["flavors"]["python_function"]
    assert conf["loader_module"] == "my_loader"
    assert conf["data"] == "weights"
    assert (tmp_path / "m" / "code" / "my_loader.py").is_file()  # inferred
    script = (
        f"import runlab; print(runlab.pyfunc.load_model({str(tmp_path / 'm')!r}).predict([1, 2]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        cwd=tmp_path,
        check=True,
    )
    assert done.stdout.strip() == "[3, 6]"


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"loader_module": "x", "python_model": lambda v: v}, "not both"),
        ({"data_path": "x", "python_model": lambda v: v}, "data_path"),
        ({"loader_module": "x", "data_path": "/does/not/exist"}, "data_path"),
        ({}, "python_model"),
    ],
)
def test_custom_model_keyword_mistakes_are_named(
    tmp_path: Path, keywords: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        runlab.pyfunc.save_model(tmp_path / "m", **keywords)


def test_infer_code_paths_copies_the_module_of_a_python_model(
    tmp_path: Path, subprocess_env: Callable[..., dict[str, str]]
) -> None:
    code = tmp_path / "src"
    code.mkdir()
    (code / "plus_one.py").write_text(
        "import runlab\n\nclass PlusOne(runlab.pyfunc.PythonModel):\n"
        "    def predict(self, context, model_input, params=None):\n"
        "        return [v + 1 for v in model_input]\n"
    )
    sys.path.insert(0, str(code))
    try:
        import plus_one  # type: ignore[import-not-found]

        runlab.pyfunc.save_model(
            tmp_path / "m", python_model=plus_one.PlusOne(), infer_code_paths=True
        )
    finally:
        sys.path.remove(str(code))
        sys.modules.pop("plus_one", None)
    assert (tmp_path / "m" / "code" / "plus_one.py").is_file()
    script = f"import runlab; print(runlab.pyfunc.load_model({str(tmp_path / 'm')!r}).predict([1]))"
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        cwd=tmp_path,
        check=True,
    )
    assert done.stdout.strip() == "[2]"
