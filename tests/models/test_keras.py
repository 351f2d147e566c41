"""Keras 3 models on the torch backend, saved as ``.keras`` files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

import runlab
from runlab.errors import InvalidInputError
from runlab.models import TensorSpec

os.environ["KERAS_BACKEND"] = "torch"  # before keras is first imported

# Keras 3.15 converts torch tensors with np.array(tensor), which numpy 2 flags: not ours.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)


@pytest.fixture(scope="module")
def mlflow() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mlflow's own import-time deprecations
        import mlflow.keras
        import mlflow.pyfunc
    return mlflow


@pytest.fixture
def data() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32)


@pytest.fixture
def net(data: np.ndarray) -> Any:
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(data, np.arange(8) % 3, epochs=2, verbose=0)
    return model


def test_log_register_and_load_back(
    tracking: str, data: np.ndarray, net: Any, subprocess_env: Any, tmp_path: Path
) -> None:
    import keras

    with runlab.start_run() as run:
        info = runlab.keras.log_model(
            net, name="net", input_example=data[:2], registered_model_name="tiny-keras"
        )
    assert info.registered_model_version == 1
    sig = info.signature
    assert sig is not None
    assert sig.inputs is not None
    assert sig.inputs.inputs == [TensorSpec(np.dtype("float32"), (-1, 4))]
    assert sig.outputs is not None
    assert sig.outputs.inputs == [TensorSpec(np.dtype("float32"), (-1, 3))]

    local = runlab.download_artifacts("net", run_id=run.info.run_id)
    assert Path(local, "data", "model.keras").is_file()
    assert Path(local, "data", "keras_module.txt").read_text() == "keras"
    mlmodel = yaml.safe_load(Path(local, "MLmodel").read_text())
    assert mlmodel["flavors"]["keras"] == {
        "code": None,
        "data": "data",
        "keras_backend": "torch",
        "keras_version": keras.__version__,
        "save_exported_model": False,
    }
    assert mlmodel["flavors"]["python_function"]["loader_module"] == "runlab.keras"
    reqs = Path(local, "requirements.txt").read_text().splitlines()
    assert f"keras=={keras.__version__}" in reqs
    assert f"torch=={metadata.version('torch').split('+')[0]}" in reqs

    expected = net.predict(data, verbose=0)
    loaded = runlab.keras.load_model(info.model_uri)
    assert isinstance(loaded, keras.Sequential)
    np.testing.assert_allclose(loaded.predict(data, verbose=0), expected, rtol=1e-6)
    for uri in (info.model_uri, "models:/tiny-keras/1"):
        model = runlab.pyfunc.load_model(uri)
        np.testing.assert_allclose(model.predict(data), expected, rtol=1e-6)
    np.testing.assert_allclose(model.predict(data.astype(np.float64)), expected, rtol=1e-6)
    with pytest.raises(InvalidInputError, match=r"expected shape \[-1, 4\]"):
        model.predict(data[:, :3])

    # A fresh process without KERAS_BACKEND gets the backend the model was saved with.
    runlab.flush()
    env = subprocess_env(RUNLAB_TRACKING_URI=tracking)
    env.pop("KERAS_BACKEND", None)
    code = f"""
        import json, os, numpy as np, runlab.pyfunc
        model = runlab.pyfunc.load_model("models:/tiny-keras/1")
        import keras
        out = model.predict(np.array({data.tolist()!r}, dtype="float32")).tolist()
        print(json.dumps([keras.backend.backend(), out]))
        """
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    backend, out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert backend == "torch"
    np.testing.assert_allclose(np.array(out), expected, rtol=1e-5)


def test_dataframe_input(tmp_path: Path, data: np.ndarray, net: Any) -> None:
    runlab.keras.save_model(net, tmp_path / "m")
    model = runlab.pyfunc.load_model(tmp_path / "m")
    frame = pd.DataFrame(data, columns=list("abcd"))
    np.testing.assert_allclose(model.predict(frame), net.predict(data, verbose=0), rtol=1e-6)


def test_bad_input_is_refused_with_the_rule(tmp_path: Path, net: Any) -> None:
    with pytest.raises(InvalidInputError, match="must be a keras.Model, got str"):
        runlab.keras.save_model("net", tmp_path / "a")
    runlab.keras.save_model(net, tmp_path / "m")
    mlmodel = tmp_path / "m" / "MLmodel"
    mlmodel.write_text(
        mlmodel.read_text().replace("save_exported_model: false", "save_exported_model: true")
    )
    with pytest.raises(InvalidInputError, match="TensorFlow SavedModel export"):
        runlab.keras.load_model(tmp_path / "m")


def test_mlflow_loads_a_runlab_model(
    tmp_path: Path, data: np.ndarray, net: Any, mlflow: Any
) -> None:
    runlab.keras.save_model(net, tmp_path / "m", input_example=data[:2])
    expected = net.predict(data, verbose=0)
    loaded = mlflow.keras.load_model(str(tmp_path / "m"))
    np.testing.assert_allclose(loaded.predict(data, verbose=0), expected, rtol=1e-6)
    model = mlflow.pyfunc.load_model(str(tmp_path / "m"))
    np.testing.assert_allclose(model.predict(data), expected, rtol=1e-6)


def test_runlab_loads_an_mlflow_model(
    tmp_path: Path, data: np.ndarray, net: Any, mlflow: Any
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mlflow's own deprecations
        # (mlflow.keras writes an input example before it creates the folder: none here)
        mlflow.keras.save_model(net, str(tmp_path / "m"), pip_requirements=["keras"])
    expected = net.predict(data, verbose=0)
    loaded = runlab.keras.load_model(tmp_path / "m")
    np.testing.assert_allclose(loaded.predict(data, verbose=0), expected, rtol=1e-6)
    model = runlab.pyfunc.load_model(tmp_path / "m")
    np.testing.assert_allclose(model.predict(data), expected, rtol=1e-6)
