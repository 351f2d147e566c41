"""The XGBoost flavour: a ``Booster`` or a scikit-learn-API model, in xgboost's own format.

The model is written with its own ``save_model`` (UBJSON by default, or JSON), not
pickled, so any xgboost of a compatible version reads it; the MLmodel entry names the
class (``model_class``) so ``load_model`` gives back the same kind of object. The
``python_function`` entry predicts with ``predict``: class labels for a classifier,
values for a regressor, and for a ``Booster`` whatever its objective returns (a DataFrame
or array becomes a ``DMatrix`` first).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from runlab.errors import InvalidInputError
from runlab.models import _flavor
from runlab.models._flavor import Written, save_model_dir
from runlab.models.flavors._common import class_path, distribution, import_class
from runlab.models.model import Model, ModelInfo
from runlab.models.signature import ModelSignature

__all__ = ["FLAVOR_NAME", "load_model", "log_model", "save_model"]

FLAVOR_NAME = "xgboost"
LOADER_MODULE = "runlab.xgboost"
MODEL_FORMATS = ("ubj", "json")
BOOSTER_CLASS = "xgboost.core.Booster"


def _requirements() -> tuple[str, ...]:
    return ("runlab", distribution("xgboost"), "numpy", "pandas", "scipy")


def save_model(
    xgb_model: Any,
    path: str | os.PathLike[str],
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    code_paths: Sequence[str | os.PathLike[str]] | None = None,
    model_format: str = "ubj",
    metadata: dict[str, Any] | None = None,
    mlflow_model: Model | None = None,
) -> Model:
    """Save ``xgb_model`` (an ``xgboost.Booster`` or ``XGBModel`` such as ``XGBClassifier``)
    at ``path`` (a new or empty folder) as ``model.<model_format>``.

    Without a ``signature``, one is inferred from ``input_example`` and the model's
    prediction on it.
    """
    import xgboost as xgb

    if not isinstance(xgb_model, (xgb.Booster, xgb.XGBModel)):
        raise InvalidInputError(
            f"xgb_model must be an xgboost.Booster or an xgboost scikit-learn model "
            f"(XGBClassifier, XGBRegressor...), got {type(xgb_model).__name__}"
        )
    if model_format not in MODEL_FORMATS:
        raise InvalidInputError(
            f"model_format {model_format!r} is not supported (one of: {', '.join(MODEL_FORMATS)})"
        )
    data = f"model.{model_format}"

    def write(model_dir: str) -> Written:
        xgb_model.save_model(os.path.join(model_dir, data))
        return Written(
            flavor={
                "xgb_version": str(xgb.__version__),
                "data": data,
                "model_class": class_path(xgb_model),
                "model_format": model_format,
            },
            pyfunc={"data": data},
            predict=_Predictor(xgb_model).predict,
        )

    return save_model_dir(
        path,
        write,
        flavor=FLAVOR_NAME,
        loader_module=LOADER_MODULE,
        default_requirements=_requirements(),
        code_paths=code_paths,
        signature=signature,
        input_example=input_example,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
        mlflow_model=mlflow_model,
    )


def log_model(
    xgb_model: Any,
    artifact_path: str | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    registered_model_name: str | None = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    code_paths: Sequence[str | os.PathLike[str]] | None = None,
    model_format: str = "ubj",
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
    """Save ``xgb_model`` into the active run's artifacts at ``artifact_path`` (or ``name``;
    default ``model``) and return its :class:`ModelInfo`; registers it under
    ``registered_model_name`` when given."""
    return _flavor.log_with(save_model, locals())


def load_model(model_uri: str | os.PathLike[str], dst_path: str | None = None) -> Any:
    """The ``Booster`` or scikit-learn-API model saved at ``model_uri``, of its saved class."""
    local, _meta, conf = _flavor.open_flavor(model_uri, FLAVOR_NAME, dst_path)
    return _load(local, conf)


def _load(model_dir: str, conf: dict[str, Any]) -> Any:
    import xgboost as xgb

    data = conf.get("data")
    if not isinstance(data, str) or not data:
        raise InvalidInputError("the xgboost flavour's 'data' (the model file) is missing")
    cls = import_class(str(conf.get("model_class") or BOOSTER_CLASS), (xgb.Booster, xgb.XGBModel))
    model = cls()
    model.load_model(os.path.join(model_dir, data))
    return model


class _Predictor:
    def __init__(self, model: Any) -> None:
        self.raw_model = model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        import xgboost as xgb

        model = self.raw_model
        if isinstance(model, xgb.Booster):
            matrix = data if isinstance(data, xgb.DMatrix) else xgb.DMatrix(data)
            return model.predict(matrix)
        return model.predict(data)


def _load_pyfunc(path: str) -> _Predictor:
    # ``path`` is the model file (the python_function entry's ``data``).
    model_dir = os.path.dirname(path) if os.path.isfile(path) else path
    conf = Model.load(model_dir).flavors.get(FLAVOR_NAME) or {"data": os.path.basename(path)}
    return _Predictor(_load(model_dir, conf))
