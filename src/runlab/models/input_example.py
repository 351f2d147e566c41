"""Save and load a model's input example.

Two files are written, as MLflow does: ``input_example.json`` (a DataFrame in pandas'
``split`` orient without the index, or ``{"inputs": ...}`` for arrays) and
``serving_input_example.json``, a request body ``POST /invocations`` accepts as is.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import math
import os
from typing import Any

import numpy as np

from runlab.errors import InvalidInputError

__all__ = ["load_input_example", "save_input_example", "serving_payload", "to_jsonable"]

EXAMPLE_FILE = "input_example.json"
SERVING_FILE = "serving_input_example.json"


def to_jsonable(value: Any) -> Any:
    """``value`` with numpy scalars and arrays, datetimes, bytes (base64) and NaN (null)
    turned into plain JSON values."""
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return [to_jsonable(r) for r in value.to_dict(orient="records")]
    if isinstance(value, pd.Series):
        return to_jsonable(value.tolist())
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if hasattr(value, "detach") and hasattr(value, "numpy"):
        return to_jsonable(value.detach().cpu().numpy())
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if value is pd.NaT:
        return None
    return value


def save_input_example(model_dir: str, example: Any) -> dict[str, Any]:
    """Write the example; returns MLmodel's ``saved_input_example_info``."""
    body, serving, info = _payloads(example)
    _write_json(os.path.join(model_dir, EXAMPLE_FILE), body)
    _write_json(os.path.join(model_dir, SERVING_FILE), serving)
    return {"artifact_path": EXAMPLE_FILE, **info, "serving_input_path": SERVING_FILE}


def serving_payload(example: Any) -> Any:
    """The ``POST /invocations`` body of ``example`` (what ``serving_input_example.json``
    holds)."""
    return _payloads(example)[1]


def _payloads(example: Any) -> tuple[Any, Any, dict[str, Any]]:
    """(the input_example.json body, the serving body, the example's type info)."""
    import pandas as pd

    if hasattr(example, "detach") and hasattr(example, "numpy"):
        example = example.detach().cpu().numpy()
    if isinstance(example, (list, tuple)) and example and all(isinstance(v, dict) for v in example):
        example = pd.DataFrame(list(example))
    elif isinstance(example, dict) and all(_is_scalar(v) for v in example.values()):
        example = pd.DataFrame([example])
    elif isinstance(example, pd.Series):
        example = example.to_frame()
    if isinstance(example, pd.DataFrame):
        split = {
            "columns": [str(c) for c in example.columns],
            "data": to_jsonable(example.to_numpy(dtype=object).tolist()),
        }
        info = {"type": "dataframe", "pandas_orient": "split"}
        body, serving = split, {"dataframe_split": split}
    elif isinstance(example, np.ndarray) or (
        isinstance(example, dict) and all(isinstance(v, np.ndarray) for v in example.values())
    ):
        body = serving = {"inputs": to_jsonable(example)}
        info = {"type": "ndarray", "format": "tf-serving"}
    elif isinstance(example, (list, dict, str, int, float, bool)):
        body = to_jsonable(example)
        serving = {"inputs": body}
        info = {"type": "json_object"}
    else:
        raise InvalidInputError(
            f"input_example of type {type(example).__name__} cannot be saved; pass a pandas "
            "DataFrame, a numpy array, a dict or a list"
        )
    return body, serving, info


def load_input_example(model_dir: str, info: dict[str, Any] | None) -> Any:
    """The saved example (a DataFrame, an array, or JSON data), or None when there is none."""
    if not info:
        return None
    with open(os.path.join(model_dir, info["artifact_path"]), encoding="utf-8") as f:
        body = json.load(f)
    kind = info.get("type")
    if kind == "dataframe":
        import pandas as pd

        return pd.DataFrame(body["data"], columns=body["columns"])
    if kind == "ndarray":
        inputs = body["inputs"]
        if isinstance(inputs, dict):
            return {k: np.asarray(v) for k, v in inputs.items()}
        return np.asarray(inputs)
    return body


def _is_scalar(v: Any) -> bool:
    return isinstance(v, (str, bytes, bool, int, float, np.generic, _dt.datetime, _dt.date))


def _write_json(path: str, value: Any) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2, allow_nan=False)
