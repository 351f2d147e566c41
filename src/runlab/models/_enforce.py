"""Check model input against a signature before ``predict`` sees it.

Column schemas turn the input into a DataFrame holding the schema's columns in the
schema's order (extra columns are dropped), each converted to the declared type when
the conversion cannot lose information. Integers widen to floats, float64 narrows to
float32 (JSON has no float32), and strings parse as datetimes. Anything else fails
with an :class:`~runlab.errors.InvalidInputError` naming the column and the problem.
Tensor schemas check dtype and shape the same way.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from runlab.errors import InvalidInputError
from runlab.models._warnings import RunlabModelWarning

if TYPE_CHECKING:
    import pandas as pd

    from runlab.models.signature import ColSpec, ParamSchema, ParamSpec, Schema, TensorSpec

__all__ = ["enforce_input", "enforce_params"]


def enforce_input(data: Any, schema: Schema) -> Any:
    """``data`` shaped and typed as ``schema`` says, or InvalidInputError."""
    if hasattr(data, "detach") and hasattr(data, "numpy"):  # a torch tensor
        data = data.detach().cpu().numpy()
    if schema.is_tensor_spec():
        return _enforce_tensors(data, schema)
    return _enforce_columns(_as_frame(data, schema), schema)


# ============================================================================ columns
def _as_frame(data: Any, schema: Schema) -> pd.DataFrame:
    import pandas as pd

    specs = schema.inputs
    names = [s.name for s in specs]
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pd.Series):
        if len(specs) == 1:
            return pd.DataFrame({names[0] if names[0] is not None else 0: data})
        return pd.DataFrame([data])  # one row, labelled by the series index
    try:
        if isinstance(data, dict):
            if all(_is_scalar(v) for v in data.values()):
                return pd.DataFrame([data])
            return pd.DataFrame(data)
        if isinstance(data, (list, tuple)):
            if data and all(isinstance(v, dict) for v in data):
                return pd.DataFrame(list(data))
            if len(specs) == 1 and all(_is_scalar(v) for v in data):
                return pd.DataFrame({names[0] if names[0] is not None else 0: list(data)})
            data = np.asarray(data, dtype=object)
        if _is_scalar(data) and len(specs) == 1:
            return pd.DataFrame({names[0] if names[0] is not None else 0: [data]})
    except ValueError as exc:
        raise InvalidInputError(f"input cannot be read as a table: {exc}") from None
    if isinstance(data, np.ndarray):
        if data.ndim == 1 and len(specs) == 1:
            data = data.reshape(-1, 1)
        if data.ndim != 2 or data.shape[1] != len(specs):
            raise InvalidInputError(
                f"input is an array of shape {list(data.shape)}, but the model takes "
                f"{len(specs)} column(s): {_names(schema)}; send rows of {len(specs)} values "
                "or a table with named columns"
            )
        frame = pd.DataFrame(data, columns=[n if n is not None else i for i, n in enumerate(names)])
        return frame.infer_objects()
    raise InvalidInputError(
        f"input of type {type(data).__name__} cannot be read as a table; pass a pandas "
        "DataFrame, a dict of columns, a list of records or a 2-D array"
    )


def _enforce_columns(frame: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    import pandas as pd

    specs: list[ColSpec] = schema.inputs  # type: ignore[assignment]
    if not schema.has_input_names():
        if frame.shape[1] != len(specs):
            raise InvalidInputError(
                f"input has {frame.shape[1]} column(s) but the model takes {len(specs)}"
            )
        by_position = {
            i: _convert_column(frame.iloc[:, i], spec, f"#{i}") for i, spec in enumerate(specs)
        }
        return pd.DataFrame(by_position, index=frame.index)
    columns = {str(c): c for c in frame.columns}
    missing = [s.name for s in specs if s.required and s.name not in columns]
    if missing:
        have = sorted(columns)
        raise InvalidInputError(
            f"input is missing required column(s) {missing}; the model takes {_names(schema)}, "
            f"the input has {have}"
        )
    out: dict[str, Any] = {}
    for spec in specs:
        assert spec.name is not None
        if spec.name in columns:
            out[spec.name] = _convert_column(frame[columns[spec.name]], spec, spec.name)
    return pd.DataFrame(out, index=frame.index)


def _convert_column(series: pd.Series, spec: ColSpec, label: str) -> pd.Series:
    import pandas as pd

    from runlab.models.signature import DataType

    want = spec.type
    if want == DataType.any:
        return series
    dtype = series.dtype
    kind = getattr(dtype, "kind", "O")
    if kind == "O" or isinstance(dtype, pd.StringDtype):
        if want in (DataType.string, DataType.binary, DataType.datetime):
            return _convert_objects(series, spec, label)
        converted = series.infer_objects()
        if converted.dtype.kind == "O":
            sample = _first_bad(series, (int, float, bool, np.number, np.bool_))
            raise InvalidInputError(
                f"column {label!r}: expected {want.value}, got {_describe(sample)}"
            )
        series, dtype, kind = converted, converted.dtype, converted.dtype.kind
    if want == DataType.boolean:
        if kind == "b":
            return series
    elif want in (DataType.integer, DataType.long):
        target = want.to_numpy()
        if kind in "iu" and np.can_cast(dtype, target, "safe"):
            return series.astype(target)
        if kind == "f":
            raise InvalidInputError(
                f"column {label!r}: expected {want.value} (integers), got {dtype} values; an "
                "integer column with missing values arrives as floats, so declare it double "
                "in the signature if it can be missing"
            )
    elif want in (DataType.float, DataType.double):
        if kind in "iuf":
            return series.astype(want.to_numpy())
    elif want == DataType.datetime:
        if kind == "M":
            return series
    elif want in (DataType.string, DataType.binary):
        pass
    raise InvalidInputError(
        f"column {label!r}: expected {want.value}, got {dtype} values, which cannot be "
        "converted without losing information"
    )


def _convert_objects(series: pd.Series, spec: ColSpec, label: str) -> pd.Series:
    import pandas as pd

    from runlab.models.signature import DataType

    want = spec.type
    present = series[series.notna()]
    if want == DataType.string:
        bad = _first_bad(present, (str,))
        if bad is not _NONE:
            raise InvalidInputError(f"column {label!r}: expected string, got {_describe(bad)}")
        return series.astype(object)
    if want == DataType.binary:

        def to_bytes(v: Any) -> Any:
            if isinstance(v, (bytes, bytearray)) or v is None:
                return v
            if isinstance(v, str):
                try:
                    return base64.b64decode(v, validate=True)
                except (binascii.Error, ValueError):
                    raise InvalidInputError(
                        f"column {label!r}: expected binary (bytes or base64 text), got text "
                        "that is not valid base64"
                    ) from None
            raise InvalidInputError(f"column {label!r}: expected binary, got {_describe(v)}")

        return series.map(to_bytes)
    try:
        return pd.to_datetime(series)
    except (ValueError, TypeError) as exc:
        raise InvalidInputError(
            f"column {label!r}: expected datetime, got values that do not parse as dates ({exc})"
        ) from None


_NONE = object()


def _first_bad(values: Any, ok: tuple[type, ...]) -> Any:
    for v in values:
        if v is None or (isinstance(v, float) and v != v):
            continue
        if isinstance(v, (bool, np.bool_)) and bool not in ok:
            return v  # bool is an int subclass: not a number here
        if not isinstance(v, ok):
            return v
    return _NONE


def _describe(value: Any) -> str:
    if value is _NONE:
        return "mixed values"
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{type(value).__name__} value {text}"


def _names(schema: Schema) -> list[Any]:
    return [s.name for s in schema.inputs]


def _is_scalar(v: Any) -> bool:
    return isinstance(v, (str, bytes, bool, int, float, np.generic, _dt.datetime, _dt.date))


# ============================================================================ tensors
def _enforce_tensors(data: Any, schema: Schema) -> Any:
    import pandas as pd

    specs: list[TensorSpec] = schema.inputs  # type: ignore[assignment]
    if not schema.has_input_names() or (len(specs) == 1 and not isinstance(data, dict)):
        if isinstance(data, dict) and len(data) == 1:
            data = next(iter(data.values()))
        if isinstance(data, pd.DataFrame):
            data = data.to_numpy()
        elif isinstance(data, pd.Series):
            data = data.to_numpy()
        return _check_tensor(data, specs[0], "input")
    if isinstance(data, pd.DataFrame):
        data = {c: data[c].to_numpy() for c in data.columns}
    if not isinstance(data, dict):
        raise InvalidInputError(
            f"the model takes named tensors {_names(schema)}: send a dict of arrays"
        )
    missing = [s.name for s in specs if s.name not in data]
    if missing:
        raise InvalidInputError(
            f"input is missing tensor(s) {missing}; the model takes {_names(schema)}"
        )
    return {s.name: _check_tensor(data[s.name], s, f"tensor {s.name!r}") for s in specs}


def _check_tensor(value: Any, spec: TensorSpec, label: str) -> np.ndarray[Any, Any]:
    try:
        arr = np.asarray(value)
    except ValueError as exc:  # ragged nested lists
        raise InvalidInputError(f"{label}: not a rectangular array ({exc})") from None
    want = spec.dtype
    if arr.dtype != want:
        widening = np.can_cast(arr.dtype, want, "safe")
        json_float = arr.dtype == np.float64 and want == np.float32
        json_int = arr.dtype.kind in "iu" and want.kind == "f"
        if not (widening or json_float or json_int):
            raise InvalidInputError(
                f"{label}: expected dtype {want}, got {arr.dtype}, which cannot be converted "
                "without losing information"
            )
        arr = arr.astype(want)
    shape = spec.shape
    if len(arr.shape) != len(shape) or any(
        w != -1 and w != g for w, g in zip(shape, arr.shape, strict=True)
    ):
        raise InvalidInputError(
            f"{label}: expected shape {list(shape)} (-1 = any size), got {list(arr.shape)}"
        )
    return arr


# ============================================================================ params
def enforce_params(params: dict[str, Any] | None, schema: ParamSchema | None) -> dict[str, Any]:
    """The params ``predict`` receives: the schema's defaults overlaid with ``params``,
    each converted to its declared type. Params the schema does not declare are dropped
    with a warning, as MLflow does."""
    given = dict(params or {})
    if not isinstance(params, (dict, type(None))):
        raise InvalidInputError(f"params must be a dict, got {type(params).__name__}")
    if schema is None:
        if given:
            warnings.warn(
                f"params {sorted(given)} were ignored: the model's signature declares no params",
                RunlabModelWarning,
                stacklevel=3,
            )
        return {}
    declared = {p.name: p for p in schema.params}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        warnings.warn(
            f"params {unknown} were ignored: the model's signature declares {sorted(declared)}",
            RunlabModelWarning,
            stacklevel=3,
        )
    out = {}
    for name, spec in declared.items():
        out[name] = convert_param(spec, given[name], "value") if name in given else spec.default
    return out


def convert_param(spec: ParamSpec, value: Any, what: str) -> Any:
    if value is None:
        return None
    if spec.shape is not None:
        if not isinstance(value, (list, tuple, np.ndarray)):
            raise InvalidInputError(
                f"param {spec.name!r}: {what} must be a list of {spec.dtype.value}, "
                f"got {_describe(value)}"
            )
        return [_convert_scalar(spec, v, what) for v in value]
    return _convert_scalar(spec, value, what)


def _convert_scalar(spec: ParamSpec, value: Any, what: str) -> Any:
    from runlab.models.signature import DataType

    t = spec.dtype
    is_bool = isinstance(value, (bool, np.bool_))
    ok: Any = _NONE
    if t == DataType.boolean and is_bool:
        ok = bool(value)
    elif t in (DataType.integer, DataType.long) and not is_bool:
        if isinstance(value, (int, np.integer)):
            ok = int(value)
        elif isinstance(value, (float, np.floating)) and float(value).is_integer():
            ok = int(value)
    elif t in (DataType.float, DataType.double) and not is_bool:
        if isinstance(value, (int, float, np.integer, np.floating)):
            ok = float(value)
    elif t == DataType.string and isinstance(value, str):
        ok = value
    elif t == DataType.binary and isinstance(value, (bytes, str)):
        ok = value
    elif t == DataType.datetime:
        if isinstance(value, _dt.datetime):
            ok = value
        elif isinstance(value, str):
            try:
                ok = _dt.datetime.fromisoformat(value)
            except ValueError:
                pass
    if ok is _NONE:
        raise InvalidInputError(
            f"param {spec.name!r}: {what} must be {t.value}, got {_describe(value)}"
        )
    return ok
