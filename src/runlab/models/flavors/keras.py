"""The Keras 3 flavour: a ``keras.Model`` in Keras' own ``.keras`` format, on any backend.

The folder holds ``data/model.keras`` (architecture, weights, compile state) and
``data/keras_module.txt`` (``keras``), as MLflow writes them. The MLmodel entry records
the backend the model was saved with (``keras_backend``); keras picks its backend once,
when it is first imported, so loading sets ``KERAS_BACKEND`` to the saved one when keras
is not imported yet and the variable is unset (a process that chose a backend keeps it:
a ``.keras`` file loads on any backend the layers support). The ``python_function``
entry predicts with ``model.predict`` and returns numpy arrays; a DataFrame is passed as
its values.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

from runlab.errors import InvalidInputError
from runlab.models import _flavor
from runlab.models._flavor import Written, save_model_dir
from runlab.models.model import Model, ModelInfo
from runlab.models.requirements import installed_version
from runlab.models.signature import ModelSignature

__all__ = ["FLAVOR_NAME", "load_model", "log_model", "save_model"]

FLAVOR_NAME = "keras"
LOADER_MODULE = "runlab.keras"
DATA_DIR = "data"
MODEL_FILE = "model.keras"
MODULE_FILE = "keras_module.txt"
# The package each backend needs beside keras, for requirements.txt: the first of its
# distributions that is installed (TensorFlow's CPU-only build is its own distribution).
BACKEND_PACKAGES = {
    "torch": ("torch",),
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-macos"),
    "jax": ("jax",),
}


def save_model(
    keras_model: Any,
    path: str | os.PathLike[str],
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    code_paths: Sequence[str | os.PathLike[str]] | None = None,
    metadata: dict[str, Any] | None = None,
    mlflow_model: Model | None = None,
) -> Model:
    """Save ``keras_model`` (a Keras 3 ``keras.Model``, ``Sequential`` or functional) at
    ``path`` (a new or empty folder) as ``data/model.keras``.

    Without a ``signature``, one is inferred from ``input_example`` (an array, a dict of
    arrays or a DataFrame) and the model's prediction on it.
    """
    import keras

    if int(str(keras.__version__).split(".")[0]) < 3:
        raise InvalidInputError(
            f"runlab.keras saves Keras 3 models; keras {keras.__version__} is installed"
        )
    if not isinstance(keras_model, keras.Model):
        raise InvalidInputError(
            f"keras_model must be a keras.Model, got {type(keras_model).__name__}"
        )
    backend = str(keras.backend.backend())

    def write(model_dir: str) -> Written:
        data_dir = os.path.join(model_dir, DATA_DIR)
        os.makedirs(data_dir)
        with open(os.path.join(data_dir, MODULE_FILE), "w", encoding="utf-8") as f:
            f.write("keras")
        keras_model.save(os.path.join(data_dir, MODEL_FILE))
        return Written(
            flavor={
                "data": DATA_DIR,
                "keras_version": str(keras.__version__),
                "keras_backend": backend,
                "save_exported_model": False,
            },
            predict=_Predictor(keras_model).predict,
        )

    defaults = ["runlab", "keras", "numpy", "pandas"]
    candidates = BACKEND_PACKAGES.get(backend, ())
    installed = [name for name in candidates if installed_version(name) is not None]
    defaults.extend(installed[:1] or candidates[:1])
    return save_model_dir(
        path,
        write,
        flavor=FLAVOR_NAME,
        loader_module=LOADER_MODULE,
        default_requirements=defaults,
        code_paths=code_paths,
        signature=signature,
        input_example=input_example,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
        mlflow_model=mlflow_model,
    )


def log_model(
    keras_model: Any,
    artifact_path: str | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    registered_model_name: str | None = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    code_paths: Sequence[str | os.PathLike[str]] | None = None,
    metadata: dict[str, Any] | None = None,
    *,
    name: str | None = None,
    await_registration_for: int | None = 300,
    params: dict[str, Any] | None = None,
    tags: dict[str, Any] | None = None,
    model_type: str | None = None,
    step: int = 0,
    model_id: str | None = None,
) -> ModelInfo:
    """Save ``keras_model`` into the active run's artifacts at ``artifact_path`` (or
    ``name``; default ``model``) and return its :class:`ModelInfo`; registers it under
    ``registered_model_name`` when given."""
    return _flavor.log_with(save_model, locals())


def load_model(
    model_uri: str | os.PathLike[str],
    dst_path: str | None = None,
    custom_objects: dict[str, Any] | None = None,
    load_model_kwargs: dict[str, Any] | None = None,
) -> Any:
    """The ``keras.Model`` saved at ``model_uri``. ``custom_objects`` and
    ``load_model_kwargs`` go to ``keras.saving.load_model``."""
    local, _meta, conf = _flavor.open_flavor(model_uri, FLAVOR_NAME, dst_path)
    return _load(local, conf, custom_objects, **(load_model_kwargs or {}))


def _load(model_dir: str, conf: dict[str, Any], custom_objects: Any = None, **kwargs: Any) -> Any:
    if conf.get("save_exported_model"):
        raise InvalidInputError(
            "this Keras model was saved as a TensorFlow SavedModel export "
            "(save_exported_model: true), which runlab.keras does not load; load it with "
            "tensorflow.saved_model.load"
        )
    backend = conf.get("keras_backend")
    if "keras" not in sys.modules and "KERAS_BACKEND" not in os.environ and backend:
        os.environ["KERAS_BACKEND"] = str(backend)  # read by keras once, at import
    import keras

    target = os.path.join(model_dir, str(conf.get("data") or DATA_DIR))
    if os.path.isdir(target):
        target = os.path.join(target, MODEL_FILE)
    if not os.path.isfile(target):
        raise InvalidInputError(f"the keras flavour's model file {target!r} is missing")
    return keras.saving.load_model(target, custom_objects=custom_objects, **kwargs)


class _Predictor:
    def __init__(self, model: Any) -> None:
        self.raw_model = model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        import numpy as np
        import pandas as pd

        if isinstance(data, (pd.DataFrame, pd.Series)):
            data = data.to_numpy()
        elif isinstance(data, (list, tuple)):
            data = np.asarray(data)
        elif not isinstance(data, (np.ndarray, dict)):
            raise InvalidInputError(
                f"keras models take an array, a dict of arrays or a DataFrame; "
                f"got {type(data).__name__}"
            )
        return self.raw_model.predict(data, verbose=0)


def _load_pyfunc(path: str) -> _Predictor:
    model_dir = path if os.path.isfile(os.path.join(path, "MLmodel")) else os.path.dirname(path)
    conf = Model.load(model_dir).flavors.get(FLAVOR_NAME) or {}
    return _Predictor(_load(model_dir, conf))
