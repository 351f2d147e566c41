"""The LightGBM flavour: a ``Booster`` in LightGBM's text format, or a scikit-learn-API
model (``LGBMClassifier``, ``LGBMRegressor``...) pickled with cloudpickle.

A ``Booster`` is written with its own ``save_model`` (``model.lgb``), readable by any
LightGBM; the scikit-learn wrappers hold more than the booster (label encoding, fitted
attributes), so they are pickled as the sklearn flavour pickles an estimator. The
``python_function`` entry predicts with ``predict``: classes for a classifier, values
for a regressor, and for a ``Booster`` what its objective returns (per-class
probabilities for ``multiclass``).
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Sequence
from typing import Any

from runlab.errors import InvalidInputError
from runlab.models import _flavor
from runlab.models._flavor import Written, save_model_dir
from runlab.models.flavors._common import class_path, import_class
from runlab.models.model import Model, ModelInfo
from runlab.models.signature import ModelSignature

__all__ = ["FLAVOR_NAME", "load_model", "log_model", "save_model"]

FLAVOR_NAME = "lightgbm"
LOADER_MODULE = "runlab.lightgbm"
BOOSTER_FILE = "model.lgb"
PICKLE_FILE = "model.pkl"
BOOSTER_CLASS = "lightgbm.basic.Booster"
SERIALIZATION_FORMATS = ("cloudpickle", "pickle")
_BASE_REQUIREMENTS = ("runlab", "lightgbm", "numpy", "pandas", "scipy")


def save_model(
    lgb_model: Any,
    path: str | os.PathLike[str],
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    code_paths: Sequence[str | os.PathLike[str]] | None = None,
    serialization_format: str = "cloudpickle",
    metadata: dict[str, Any] | None = None,
    mlflow_model: Model | None = None,
) -> Model:
    """Save ``lgb_model`` (a ``lightgbm.Booster`` or ``LGBMModel``) at ``path`` (a new or
    empty folder). ``serialization_format`` (``cloudpickle`` or ``pickle``) applies to the
    scikit-learn-API models; a ``Booster`` is always saved in LightGBM's text format."""
    import lightgbm as lgb

    from runlab.models import _pickling

    is_booster = isinstance(lgb_model, lgb.Booster)
    if not is_booster and not isinstance(lgb_model, lgb.LGBMModel):
        raise InvalidInputError(
            f"lgb_model must be a lightgbm.Booster or a lightgbm scikit-learn model "
            f"(LGBMClassifier, LGBMRegressor...), got {type(lgb_model).__name__}"
        )
    if serialization_format not in SERIALIZATION_FORMATS:
        raise InvalidInputError(
            f"serialization_format {serialization_format!r} is not supported "
            f"(one of: {', '.join(SERIALIZATION_FORMATS)})"
        )
    data = BOOSTER_FILE if is_booster else PICKLE_FILE

    def write(model_dir: str) -> Written:
        target = os.path.join(model_dir, data)
        flavor: dict[str, Any] = {
            "lgb_version": str(lgb.__version__),
            "data": data,
            "model_class": class_path(lgb_model),
        }
        if is_booster:
            lgb_model.save_model(target)
        else:
            if serialization_format == "cloudpickle":
                _pickling.dump(lgb_model, target, _pickling.estimator_classes(lgb_model))
            else:
                with open(target, "wb") as f:
                    pickle.dump(lgb_model, f, protocol=pickle.DEFAULT_PROTOCOL)
            flavor["serialization_format"] = serialization_format
        return Written(flavor=flavor, pyfunc={"data": data}, predict=_Predictor(lgb_model).predict)

    defaults: tuple[str, ...] = _BASE_REQUIREMENTS
    if not is_booster:
        defaults += ("scikit-learn",)
        if serialization_format == "cloudpickle":
            defaults += ("cloudpickle",)
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
    lgb_model: Any,
    artifact_path: str | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    registered_model_name: str | None = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    code_paths: Sequence[str | os.PathLike[str]] | None = None,
    serialization_format: str = "cloudpickle",
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
    """Save ``lgb_model`` into the active run's artifacts at ``artifact_path`` (or ``name``;
    default ``model``) and return its :class:`ModelInfo`; registers it under
    ``registered_model_name`` when given."""
    return _flavor.log_with(save_model, locals())


def load_model(model_uri: str | os.PathLike[str], dst_path: str | None = None) -> Any:
    """The ``Booster`` or scikit-learn-API model saved at ``model_uri``."""
    local, _meta, conf = _flavor.open_flavor(model_uri, FLAVOR_NAME, dst_path)
    return _load(local, conf)


def _load(model_dir: str, conf: dict[str, Any]) -> Any:
    import lightgbm as lgb

    data = conf.get("data")
    if not isinstance(data, str) or not data:
        raise InvalidInputError("the lightgbm flavour's 'data' (the model file) is missing")
    target = os.path.join(model_dir, data)
    cls = import_class(str(conf.get("model_class") or BOOSTER_CLASS), (lgb.Booster, lgb.LGBMModel))
    if issubclass(cls, lgb.Booster):
        return lgb.Booster(model_file=target)
    fmt = conf.get("serialization_format", "cloudpickle")
    if fmt not in SERIALIZATION_FORMATS:
        raise InvalidInputError(
            f"this model was serialized as {fmt!r}, which runlab cannot read "
            f"(it reads: {', '.join(SERIALIZATION_FORMATS)})"
        )
    with open(target, "rb") as f:
        return pickle.load(f)  # cloudpickle output is read by the standard unpickler


class _Predictor:
    def __init__(self, model: Any) -> None:
        self.raw_model = model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self.raw_model.predict(data)


def _load_pyfunc(path: str) -> _Predictor:
    # ``path`` is the model file (the python_function entry's ``data``).
    model_dir = os.path.dirname(path) if os.path.isfile(path) else path
    conf = Model.load(model_dir).flavors.get(FLAVOR_NAME) or {"data": os.path.basename(path)}
    return _Predictor(_load(model_dir, conf))
