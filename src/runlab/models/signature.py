"""What a model takes and returns: ``ModelSignature`` and the schemas inside it.

A signature has up to three parts, each stored in the ``MLmodel`` file as a JSON
string, the way MLflow writes them:

==========  ===========================================================================
part        holds
==========  ===========================================================================
inputs      a :class:`Schema` of named columns (:class:`ColSpec`) or tensors (:class:`TensorSpec`)
outputs     the same, for what ``predict`` returns
params      a :class:`ParamSchema`: inference parameters with a type and a default
==========  ===========================================================================

:func:`infer_signature` builds one from example data: pandas DataFrames give columns
with their types, numpy arrays give tensors with dtype and shape (``-1`` for the batch
dimension), dicts and lists are read as one of the two.
"""

from __future__ import annotations

import datetime as _dt
import enum
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from runlab.errors import InvalidInputError

__all__ = [
    "ColSpec",
    "DataType",
    "ModelSignature",
    "ParamSchema",
    "ParamSpec",
    "Schema",
    "TensorSpec",
    "infer_signature",
]


class DataType(str, enum.Enum):
    """Column types, named as in MLflow's schemas."""

    boolean = "boolean"
    integer = "integer"  # int32
    long = "long"  # int64
    float = "float"  # float32
    double = "double"  # float64
    string = "string"
    binary = "binary"
    datetime = "datetime"
    any = "any"  # MLflow's AnyType, and its array/object/map types: passed through unchecked

    def to_numpy(self) -> np.dtype[Any]:
        return np.dtype(_NUMPY[self])

    def __str__(self) -> str:
        return self.value


_NUMPY = {
    DataType.boolean: "bool",
    DataType.integer: "int32",
    DataType.long: "int64",
    DataType.float: "float32",
    DataType.double: "float64",
    DataType.string: "object",
    DataType.binary: "object",
    DataType.datetime: "datetime64[ns]",
    DataType.any: "object",
}


_KNOWN = frozenset(t.value for t in DataType)


def _data_type(value: DataType | str) -> DataType:
    try:
        return DataType(str(value))
    except ValueError:
        names = ", ".join(t.value for t in DataType)
        raise InvalidInputError(f"unknown column type {value!r} (one of: {names})") from None


@dataclass(frozen=True)
class ColSpec:
    """One column: its type, its name (None for a positional column) and whether it may be
    left out of the input."""

    type: DataType
    name: str | None = None
    required: bool = True
    # The stored form of a type runlab does not check (MLflow's array, object, map), kept so
    # the signature is written back unchanged.
    raw: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", _data_type(self.type))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.raw) if self.raw else {"type": self.type.value}
        if self.name is not None:
            out["name"] = self.name
        out["required"] = self.required
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ColSpec:
        name, required = d.get("name"), bool(d.get("required", True))
        if d.get("type") in _KNOWN:
            return cls(d["type"], name, required)
        raw = {k: v for k, v in d.items() if k not in ("name", "required")}
        return cls(DataType.any, name, required, raw)


@dataclass(frozen=True)
class TensorSpec:
    """One tensor: numpy dtype and shape, with ``-1`` where any size is accepted."""

    dtype: np.dtype[Any]
    shape: tuple[int, ...]
    name: str | None = None

    def __post_init__(self) -> None:
        try:
            dtype = np.dtype(self.dtype)
        except TypeError:
            raise InvalidInputError(f"tensor dtype {self.dtype!r} is not a numpy dtype") from None
        if dtype.kind == "O":
            raise InvalidInputError(
                "tensor dtype object is not supported: use a column schema for mixed values"
            )
        object.__setattr__(self, "dtype", dtype)
        object.__setattr__(self, "shape", tuple(int(d) for d in self.shape))

    @property
    def type(self) -> np.dtype[Any]:
        return self.dtype

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": "tensor",
            "tensor-spec": {"dtype": str(self.dtype), "shape": list(self.shape)},
        }
        if self.name is not None:
            out["name"] = self.name
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TensorSpec:
        spec = d["tensor-spec"]
        return cls(np.dtype(spec["dtype"]), tuple(spec["shape"]), d.get("name"))


Spec = ColSpec | TensorSpec


class Schema:
    """An ordered list of column specs, or of tensor specs (never a mix)."""

    def __init__(self, inputs: Iterable[Spec]) -> None:
        self.inputs: list[Spec] = list(inputs)
        if not self.inputs:
            raise InvalidInputError("a schema needs at least one column or tensor")
        kinds = {isinstance(s, TensorSpec) for s in self.inputs}
        if len(kinds) > 1:
            raise InvalidInputError("a schema holds either columns or tensors, not both")
        names = [s.name for s in self.inputs]
        named = [n for n in names if n is not None]
        if named and len(named) != len(names):
            raise InvalidInputError("either every entry of a schema has a name or none has")
        if len(set(named)) != len(named):
            dupes = sorted({n for n in named if named.count(n) > 1})
            raise InvalidInputError(f"schema names must be unique; repeated: {dupes}")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schema) and self.inputs == other.inputs

    def __repr__(self) -> str:
        return f"Schema({self.inputs!r})"

    def __len__(self) -> int:
        return len(self.inputs)

    def is_tensor_spec(self) -> bool:
        return isinstance(self.inputs[0], TensorSpec)

    def has_input_names(self) -> bool:
        return self.inputs[0].name is not None

    def input_names(self) -> list[str | int]:
        return [s.name if s.name is not None else i for i, s in enumerate(self.inputs)]

    def required_input_names(self) -> list[str | int]:
        return [
            s.name if s.name is not None else i
            for i, s in enumerate(self.inputs)
            if not isinstance(s, ColSpec) or s.required
        ]

    def to_dict(self) -> list[dict[str, Any]]:
        return [s.to_dict() for s in self.inputs]

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> Schema:
        items = json.loads(text)
        return cls(
            TensorSpec.from_dict(d) if d.get("type") == "tensor" else ColSpec.from_dict(d)
            for d in items
        )


@dataclass(frozen=True)
class ParamSpec:
    """One inference parameter: name, type, default, and shape (None for a scalar, ``(-1,)``
    for a list)."""

    name: str
    dtype: DataType
    default: Any
    shape: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "dtype", _data_type(self.dtype))
        if self.shape is not None:
            object.__setattr__(self, "shape", tuple(self.shape))
            if self.shape != (-1,):
                raise InvalidInputError(
                    f"param {self.name!r}: shape must be None (a scalar) or (-1,) (a list)"
                )
        from runlab.models._enforce import convert_param

        object.__setattr__(self, "default", convert_param(self, self.default, "default"))

    def to_dict(self) -> dict[str, Any]:
        default = self.default
        if isinstance(default, _dt.datetime):
            default = default.isoformat()
        elif isinstance(default, list):
            default = [v.isoformat() if isinstance(v, _dt.datetime) else v for v in default]
        return {
            "name": self.name,
            "type": self.dtype.value,
            "default": default,
            "shape": list(self.shape) if self.shape is not None else None,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ParamSpec:
        shape = d.get("shape")
        return cls(d["name"], d["type"], d.get("default"), tuple(shape) if shape else None)


class ParamSchema:
    """The inference parameters a model accepts."""

    def __init__(self, params: Iterable[ParamSpec]) -> None:
        self.params: list[ParamSpec] = list(params)
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise InvalidInputError(f"param names must be unique: {names}")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ParamSchema) and self.params == other.params

    def __repr__(self) -> str:
        return f"ParamSchema({self.params!r})"

    def to_json(self) -> str:
        return json.dumps([p.to_dict() for p in self.params])

    @classmethod
    def from_json(cls, text: str) -> ParamSchema:
        return cls(ParamSpec.from_dict(d) for d in json.loads(text))


@dataclass
class ModelSignature:
    """The inputs, outputs and params schemas of a model; any may be None."""

    inputs: Schema | None = None
    outputs: Schema | None = None
    params: ParamSchema | None = field(default=None)
    # Set by runlab.pyfunc.update_signature_for_type_hint_from_example (MLflow's flag);
    # not part of the MLmodel file.
    is_type_hint_from_example: bool = field(default=False, compare=False)

    def to_dict(self) -> dict[str, str | None]:
        """The three parts as JSON strings, as stored under ``signature`` in ``MLmodel``."""
        return {
            "inputs": self.inputs.to_json() if self.inputs is not None else None,
            "outputs": self.outputs.to_json() if self.outputs is not None else None,
            "params": self.params.to_json() if self.params is not None else None,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelSignature:
        inputs, outputs, params = d.get("inputs"), d.get("outputs"), d.get("params")
        return cls(
            Schema.from_json(inputs) if inputs else None,
            Schema.from_json(outputs) if outputs else None,
            ParamSchema.from_json(params) if params else None,
        )


# ============================================================================ inference
def infer_signature(
    model_input: Any = None, model_output: Any = None, params: dict[str, Any] | None = None
) -> ModelSignature:
    """A signature describing ``model_input``, ``model_output`` and ``params`` (each optional).

    >>> infer_signature(pd.DataFrame({"x": [1.5], "n": [2]}), np.array([0]))
    ModelSignature(inputs=Schema([ColSpec(type=double, name='x'), ColSpec(type=long, name='n')]),
                   outputs=Schema([TensorSpec(dtype=int64, shape=(-1,))]), params=None)
    """
    return ModelSignature(
        infer_schema(model_input, "model_input") if model_input is not None else None,
        infer_schema(model_output, "model_output") if model_output is not None else None,
        infer_param_schema(params) if params else None,
    )


def infer_schema(data: Any, what: str = "data") -> Schema:
    """The schema of one example value (see :func:`infer_signature`)."""
    import pandas as pd

    data = _as_numpy_if_tensor(data)
    if isinstance(data, pd.DataFrame):
        return Schema(
            ColSpec(_column_type(data[col], str(col), what), str(col)) for col in data.columns
        )
    if isinstance(data, pd.Series):
        name = str(data.name) if data.name is not None else None
        return Schema([ColSpec(_column_type(data, name or "0", what), name)])
    if isinstance(data, np.ndarray):
        return Schema([_tensor_spec(data, None, what)])
    if isinstance(data, dict):
        if not data:
            raise InvalidInputError(f"{what}: cannot infer a schema from an empty dict")
        values = [_as_numpy_if_tensor(v) for v in data.values()]
        if all(isinstance(v, np.ndarray) for v in values):
            return Schema(_tensor_spec(v, str(k), what) for k, v in zip(data, values, strict=True))
        if all(_is_scalar(v) for v in values):
            return infer_schema(pd.DataFrame([data]), what)
        try:
            return infer_schema(pd.DataFrame(data), what)
        except ValueError as exc:
            raise InvalidInputError(f"{what}: cannot read the dict as columns: {exc}") from None
    if isinstance(data, (list, tuple)):
        if not data:
            raise InvalidInputError(f"{what}: cannot infer a schema from an empty list")
        if all(isinstance(v, dict) for v in data):
            return infer_schema(pd.DataFrame(list(data)), what)
        if all(isinstance(v, (str, bytes)) for v in data):
            return infer_schema(pd.Series(list(data)), what)
        return infer_schema(np.asarray(data), what)
    if _is_scalar(data):
        return infer_schema(pd.Series([data]), what)
    raise InvalidInputError(
        f"{what}: cannot infer a schema from {type(data).__name__}; pass a pandas DataFrame "
        "or Series, a numpy array, a dict or a list"
    )


def infer_param_schema(params: dict[str, Any]) -> ParamSchema:
    specs = []
    for name, value in params.items():
        if isinstance(value, (list, tuple)):
            if not value:
                raise InvalidInputError(f"param {name!r}: cannot infer a type from an empty list")
            specs.append(ParamSpec(name, _scalar_type(value[0], name), list(value), (-1,)))
        else:
            specs.append(ParamSpec(name, _scalar_type(value, name), value))
    return ParamSchema(specs)


def _as_numpy_if_tensor(data: Any) -> Any:
    # torch tensors (and alike) without importing torch
    if hasattr(data, "detach") and hasattr(data, "numpy"):
        return data.detach().cpu().numpy()
    return data


def _is_scalar(v: Any) -> bool:
    return isinstance(v, (str, bytes, bool, int, float, np.generic, _dt.datetime, _dt.date))


def _tensor_spec(arr: np.ndarray[Any, Any], name: str | None, what: str) -> TensorSpec:
    if arr.dtype.kind in "OUS":
        label = f"{what}[{name!r}]" if name else what
        raise InvalidInputError(
            f"{label}: arrays of strings or objects have no tensor type; pass a DataFrame or "
            "a list of strings for a column schema"
        )
    shape = (-1, *arr.shape[1:]) if arr.ndim else ()
    return TensorSpec(arr.dtype, shape, name)


def _column_type(series: Any, name: str, what: str) -> DataType:
    dtype = series.dtype
    kind = getattr(dtype, "kind", "O")
    if kind == "b":
        return DataType.boolean
    if kind in "iu":
        return DataType.integer if dtype.itemsize <= 4 and kind == "i" else DataType.long
    if kind == "f":
        return DataType.float if dtype.itemsize <= 4 else DataType.double
    if kind == "M":
        return DataType.datetime
    values = [v for v in series if v is not None and not (isinstance(v, float) and v != v)]
    if not values:
        raise InvalidInputError(
            f"{what}: column {name!r} has only missing values, so its type cannot be inferred"
        )
    types = {_scalar_type(v, name, what) for v in values}
    if types <= {DataType.long, DataType.double}:
        return DataType.double if DataType.double in types else DataType.long
    if len(types) == 1:
        return types.pop()
    found = ", ".join(sorted(t.value for t in types))
    raise InvalidInputError(f"{what}: column {name!r} mixes value types ({found})")


def _scalar_type(value: Any, name: str, what: str = "params") -> DataType:
    if isinstance(value, (bool, np.bool_)):
        return DataType.boolean
    if isinstance(value, (int, np.integer)):
        return DataType.long
    if isinstance(value, (float, np.floating)):
        return DataType.double
    if isinstance(value, str):
        return DataType.string
    if isinstance(value, bytes):
        return DataType.binary
    if isinstance(value, (_dt.datetime, _dt.date, np.datetime64)):
        return DataType.datetime
    raise InvalidInputError(
        f"{what}: {name!r} holds a {type(value).__name__}, which has no schema type "
        "(supported: bool, int, float, str, bytes, datetime)"
    )
