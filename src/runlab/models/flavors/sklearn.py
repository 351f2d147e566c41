"""The scikit-learn flavour: any estimator or pipeline, pickled with cloudpickle."""

from __future__ import annotations

import os
import pickle
from collections.abc import Sequence
from typing import Any

from runlab.errors import InvalidInputError
from runlab.models import _flavor
from runlab.models._flavor import Written, save_model_dir
from runlab.models.model import PYFUNC, Model, ModelInfo
from runlab.models.signature import ModelSignature

__all__ = ["FLAVOR_NAME", "load_model", "log_model", "save_model"]

FLAVOR_NAME = "sklearn"
LOADER_MODULE = "runlab.sklearn"
MODEL_FILE = "model.pkl"
SERIALIZATION_FORMATS = ("cloudpickle", "pickle")
DEFAULT_REQUIREMENTS = ("runlab", "scikit-learn", "cloudpickle", "numpy", "pandas", "scipy")


def save_model(
    sk_model: Any,
    path: str | os.PathLike[str],
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    code_paths: Sequence[str | os.PathLike[str]] | None = None,
    serialization_format: str = "cloudpickle",
    pyfunc_predict_fn: str = "predict",
    metadata: dict[str, Any] | None = None,
) -> Model:
    """Save ``sk_model`` in the runlab model format at ``path`` (a new or empty folder).

    Without a ``signature``, one is inferred from ``input_example`` and the model's
    prediction on it. ``pyfunc_predict_fn`` names the method ``runlab.pyfunc`` calls
    (``predict``, ``predict_proba``, ``transform``...).
    """
    import sklearn

    from runlab.models import _pickling

    if serialization_format not in SERIALIZATION_FORMATS:
        raise InvalidInputError(
            f"serialization_format {serialization_format!r} is not supported "
            f"(one of: {', '.join(SERIALIZATION_FORMATS)})"
        )
    predict_fn = getattr(sk_model, pyfunc_predict_fn, None)
    if not callable(predict_fn):
        raise InvalidInputError(
            f"pyfunc_predict_fn: {type(sk_model).__name__} has no method {pyfunc_predict_fn!r}"
        )

    def write(model_dir: str) -> Written:
        target = os.path.join(model_dir, MODEL_FILE)
        if serialization_format == "cloudpickle":
            classes = _pickling.estimator_classes(sk_model)
            _pickling.dump(sk_model, target, classes, code_paths)
        else:
            with open(target, "wb") as f:
                pickle.dump(sk_model, f, protocol=pickle.DEFAULT_PROTOCOL)
        return Written(
            flavor={
                "pickled_model": MODEL_FILE,
                "sklearn_version": str(sklearn.__version__),
                "serialization_format": serialization_format,
            },
            pyfunc={"model_path": MODEL_FILE, "predict_fn": pyfunc_predict_fn},
            predict=predict_fn,
        )

    defaults: tuple[str, ...] = DEFAULT_REQUIREMENTS
    if serialization_format == "pickle":
        defaults = tuple(r for r in defaults if r != "cloudpickle")
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
    )


def log_model(
    sk_model: Any,
    artifact_path: str | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    registered_model_name: str | None = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    code_paths: Sequence[str | os.PathLike[str]] | None = None,
    serialization_format: str = "cloudpickle",
    pyfunc_predict_fn: str = "predict",
    metadata: dict[str, Any] | None = None,
    *,
    name: str | None = None,
) -> ModelInfo:
    """Save ``sk_model`` into the active run's artifacts at ``artifact_path`` (or ``name``,
    MLflow 3's spelling; default ``model``) and return its :class:`ModelInfo`.

    Starts a run when none is active. With ``registered_model_name``, the model is
    also registered under that name.
    """
    return _flavor.log_model(
        lambda path: save_model(
            sk_model,
            path,
            signature=signature,
            input_example=input_example,
            pip_requirements=pip_requirements,
            extra_pip_requirements=extra_pip_requirements,
            code_paths=code_paths,
            serialization_format=serialization_format,
            pyfunc_predict_fn=pyfunc_predict_fn,
            metadata=metadata,
        ),
        artifact_path=artifact_path,
        name=name,
        registered_model_name=registered_model_name,
    )


def load_model(model_uri: str | os.PathLike[str], dst_path: str | None = None) -> Any:
    """The scikit-learn estimator saved at ``model_uri`` (see runlab.pyfunc.load_model for
    the URIs accepted)."""
    local, _meta, conf = _flavor.open_flavor(model_uri, FLAVOR_NAME, dst_path)
    return _load_estimator(os.path.join(local, conf.get("pickled_model", MODEL_FILE)), conf)


def _load_estimator(path: str, conf: dict[str, Any]) -> Any:
    fmt = conf.get("serialization_format", "cloudpickle")
    if fmt not in SERIALIZATION_FORMATS:
        raise InvalidInputError(
            f"this model was serialized as {fmt!r}, which runlab cannot read "
            f"(it reads: {', '.join(SERIALIZATION_FORMATS)})"
        )
    with open(path, "rb") as f:
        return pickle.load(f)  # cloudpickle output is read by the standard unpickler


class _SklearnPredictor:
    def __init__(self, estimator: Any, predict_fn: str) -> None:
        self.raw_model = estimator
        self._predict = getattr(estimator, predict_fn)

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self._predict(data)


def _load_pyfunc(path: str) -> _SklearnPredictor:
    meta = Model.load(path)
    conf = meta.flavors.get(FLAVOR_NAME, {})
    pyfunc_conf = meta.flavors.get(PYFUNC, {})
    file = pyfunc_conf.get("model_path") or conf.get("pickled_model", MODEL_FILE)
    estimator = _load_estimator(os.path.join(path, file), conf)
    return _SklearnPredictor(estimator, pyfunc_conf.get("predict_fn", "predict"))
