"""The inputs of ``evaluate`` made uniform: features as a DataFrame, targets and
predictions as arrays, the model as a predict function (and, when it has one, a
predict_proba)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from runlab.errors import InvalidInputError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

Predict = Callable[["pd.DataFrame"], "np.ndarray"]


@dataclass
class EvalData:
    features: pd.DataFrame
    targets: np.ndarray
    predictions: np.ndarray | None  # given by the caller (model=None)
    name: str
    from_array: bool  # data came as an array: a plain model is fed arrays, as it was fitted


def eval_data(
    data: Any, targets: Any, predictions: Any, feature_names: list[str] | None, has_model: bool
) -> EvalData:
    import numpy as np
    import pandas as pd

    if data is None:
        raise InvalidInputError("data: evaluate needs the evaluation data")
    if targets is None:
        raise InvalidInputError("targets: evaluate needs the true labels or values")
    if isinstance(data, pd.DataFrame):
        frame = data
    elif isinstance(data, (np.ndarray, list, tuple)):
        array = np.asarray(data)
        if array.ndim != 2:
            raise InvalidInputError(
                f"data: expected rows of features (2 dimensions), got an array of shape "
                f"{array.shape}"
            )
        columns = feature_names or [f"feature_{i + 1}" for i in range(array.shape[1])]
        if len(columns) != array.shape[1]:
            raise InvalidInputError(
                f"feature_names: {len(columns)} names for {array.shape[1]} feature columns"
            )
        frame = pd.DataFrame(array, columns=columns)
        feature_names = None  # used up as the column names
    else:
        raise InvalidInputError(
            "data: expected a pandas DataFrame, a numpy array or a list of rows, got "
            + type(data).__name__
        )
    if len(frame) == 0:
        raise InvalidInputError("data: the evaluation data has no rows")
    dropped = []
    y = _column_or_array(frame, "targets", targets)
    if isinstance(targets, str):
        dropped.append(targets)
    given = None
    if predictions is not None:
        if has_model:
            raise InvalidInputError(
                "predictions: give either a model or a predictions column, not both"
            )
        given = _column_or_array(frame, "predictions", predictions)
        if isinstance(predictions, str):
            dropped.append(predictions)
    elif not has_model:
        raise InvalidInputError("model: evaluate needs a model, or predictions= without one")
    features = frame.drop(columns=dropped)
    if feature_names is not None:
        missing = [c for c in feature_names if c not in features.columns]
        if missing:
            raise InvalidInputError(f"feature_names: no such column(s) in data: {missing}")
        features = features[list(feature_names)]
    from_array = not isinstance(data, pd.DataFrame)
    return EvalData(features, y, given, _name(frame), from_array)


def _column_or_array(frame: pd.DataFrame, field: str, value: Any) -> np.ndarray:
    import numpy as np

    if isinstance(value, str):
        if value not in frame.columns:
            raise InvalidInputError(
                f"{field}: no column {value!r} in data (columns: {list(frame.columns)})"
            )
        return np.asarray(frame[value])
    array = np.asarray(value)
    if array.ndim != 1 or len(array) != len(frame):
        raise InvalidInputError(
            f"{field}: expected a column name or one value per row ({len(frame)}), got shape "
            f"{array.shape}"
        )
    return array


def _name(frame: pd.DataFrame) -> str:
    """A stable name for unnamed data: a digest of its first rows and its columns."""
    import pandas as pd

    head = pd.util.hash_pandas_object(frame.head(1000), index=False).to_numpy().tobytes()
    digest = hashlib.sha256(head + repr(list(frame.columns)).encode()).hexdigest()[:8]
    return f"dataset_{digest}"


@dataclass
class Scorer:
    """A model behind ``predict`` and, when it can, ``predict_proba``."""

    predict: Predict
    predict_proba: Predict | None
    classes: list[Any] | None  # the column order of predict_proba


def scorer(
    model: Any, inference_params: dict[str, Any] | None, as_array: bool, field: str = "model"
) -> Scorer:
    """``model`` (a URI, a loaded pyfunc, an object with ``predict`` or a callable) as a
    Scorer; ``as_array`` feeds a plain model numpy arrays instead of the DataFrame (a
    pyfunc always gets the DataFrame its signature describes)."""
    if isinstance(model, (str, os.PathLike)):
        from runlab.models.flavors.pyfunc import load_model

        model = load_model(model)
    from runlab.models.flavors.pyfunc import PyFuncModel

    if isinstance(model, PyFuncModel):
        loaded = model
        raw = loaded.get_raw_model()

        def predict(x: pd.DataFrame) -> np.ndarray:
            return _one_column(loaded.predict(x, params=inference_params), field)
    elif hasattr(model, "predict"):
        raw = model

        def predict(x: pd.DataFrame) -> np.ndarray:
            return _one_column(raw.predict(_fed(x, as_array)), field)
    elif callable(model):
        raw, fn = None, model

        def predict(x: pd.DataFrame) -> np.ndarray:
            return _one_column(fn(_fed(x, as_array)), field)
    else:
        raise InvalidInputError(
            f"{field}: expected a model URI, a loaded model, an object with predict() or a "
            f"function, got {type(model).__name__}"
        )
    proba_fn = getattr(raw, "predict_proba", None)
    proba = None
    if callable(proba_fn):
        feed_array = as_array and not isinstance(model, PyFuncModel)

        def proba(x: pd.DataFrame) -> np.ndarray:
            import numpy as np

            return np.asarray(proba_fn(_fed(x, feed_array)))

    classes = getattr(raw, "classes_", None)
    return Scorer(predict, proba, list(classes) if classes is not None else None)


def _fed(x: pd.DataFrame, as_array: bool) -> Any:
    return x.to_numpy() if as_array else x


def _one_column(output: Any, field: str) -> np.ndarray:
    import numpy as np

    array = np.asarray(output)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise InvalidInputError(
            f"{field}: its predictions must be one value per row, got shape {array.shape}"
        )
    return array
