"""Signatures: inference from data, the MLmodel JSON form, and enforcement on input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import runlab
from runlab.errors import InvalidInputError
from runlab.models import (
    ColSpec,
    DataType,
    ModelSignature,
    ParamSchema,
    ParamSpec,
    RunlabModelWarning,
    Schema,
    TensorSpec,
    infer_signature,
)
from runlab.models._enforce import enforce_input, enforce_params


def test_infer_from_a_dataframe_names_and_types_each_column() -> None:
    frame = pd.DataFrame(
        {
            "f64": [1.5, 2.0],
            "f32": np.array([1, 2], dtype=np.float32),
            "i64": [1, 2],
            "i32": np.array([1, 2], dtype=np.int32),
            "flag": [True, False],
            "text": ["a", "b"],
            "blob": [b"x", b"y"],
            "when": pd.to_datetime(["2024-01-01", "2024-01-02"]),
        }
    )
    sig = infer_signature(frame)
    assert sig.inputs is not None
    assert [(s.name, s.type) for s in sig.inputs.inputs] == [  # type: ignore[union-attr]
        ("f64", DataType.double),
        ("f32", DataType.float),
        ("i64", DataType.long),
        ("i32", DataType.integer),
        ("flag", DataType.boolean),
        ("text", DataType.string),
        ("blob", DataType.binary),
        ("when", DataType.datetime),
    ]
    assert sig.outputs is None
    assert sig.params is None


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (np.zeros((5, 3), dtype=np.float32), [TensorSpec(np.dtype("float32"), (-1, 3))]),
        (np.arange(4), [TensorSpec(np.dtype("int64"), (-1,))]),
        (
            {"a": np.zeros((2, 2)), "b": np.ones(2, dtype=np.int32)},
            [
                TensorSpec(np.dtype("float64"), (-1, 2), "a"),
                TensorSpec(np.dtype("int32"), (-1,), "b"),
            ],
        ),
        ({"x": 1.0, "name": "n"}, [ColSpec("double", "x"), ColSpec("string", "name")]),
        ({"x": [1, 2], "y": [0.5, 1.5]}, [ColSpec("long", "x"), ColSpec("double", "y")]),
        ([{"x": 1}, {"x": 2}], [ColSpec("long", "x")]),
        (["a", "b"], [ColSpec("string")]),
        ([[1.0, 2.0], [3.0, 4.0]], [TensorSpec(np.dtype("float64"), (-1, 2))]),
        (pd.Series([1, 2], name="n"), [ColSpec("long", "n")]),
    ],
)
def test_infer_from_arrays_dicts_and_lists(data: Any, expected: list[Any]) -> None:
    schema = infer_signature(data).inputs
    assert schema is not None
    assert schema.inputs == expected


def test_infer_rejects_what_has_no_type() -> None:
    with pytest.raises(InvalidInputError, match="'mixed' mixes value types"):
        infer_signature(pd.DataFrame({"mixed": ["a", 1]}))
    with pytest.raises(InvalidInputError, match="'empty' has only missing values"):
        infer_signature(pd.DataFrame({"empty": [None, None]}))
    with pytest.raises(InvalidInputError, match="cannot infer a schema from set"):
        infer_signature({1, 2})


def test_signature_round_trips_through_the_mlmodel_form() -> None:
    sig = ModelSignature(
        Schema([ColSpec("double", "x"), ColSpec("string", "tag", required=False)]),
        Schema([TensorSpec(np.dtype("float32"), (-1, 2))]),
        ParamSchema(
            [
                ParamSpec("k", "long", 3),
                ParamSpec("temps", "double", [0.1, 0.2], (-1,)),
                ParamSpec("since", "datetime", dt.datetime(2024, 1, 2, 3, 4)),
            ]
        ),
    )
    stored = sig.to_dict()
    assert stored["inputs"] == (
        '[{"type": "double", "name": "x", "required": true}, '
        '{"type": "string", "name": "tag", "required": false}]'
    )
    assert (
        stored["outputs"]
        == '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]}}]'
    )
    assert ModelSignature.from_dict(stored) == sig


def test_infer_params() -> None:
    sig = infer_signature(params={"k": 3, "temp": 0.5, "mode": "fast", "ids": [1, 2]})
    assert sig.params == ParamSchema(
        [
            ParamSpec("k", "long", 3),
            ParamSpec("temp", "double", 0.5),
            ParamSpec("mode", "string", "fast"),
            ParamSpec("ids", "long", [1, 2], (-1,)),
        ]
    )


COLUMNS = Schema([ColSpec("double", "x"), ColSpec("long", "n"), ColSpec("string", "s")])


def test_enforce_selects_orders_and_widens_columns() -> None:
    frame = pd.DataFrame({"s": ["a"], "extra": [0], "n": np.array([1], dtype=np.int32), "x": [2]})
    out = enforce_input(frame, COLUMNS)
    assert list(out.columns) == ["x", "n", "s"]
    assert out["x"].dtype == np.float64
    assert out["x"][0] == 2.0
    assert out["n"].dtype == np.int64


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"x": [1.0], "s": ["a"]}), r"missing required column\(s\) \['n'\]"),
        (pd.DataFrame({"x": ["a"], "n": [1], "s": ["a"]}), "column 'x': expected double, got str"),
        (pd.DataFrame({"x": [1.0], "n": [1.5], "s": ["a"]}), "column 'n': expected long"),
        (pd.DataFrame({"x": [1.0], "n": [1], "s": [3]}), "column 's': expected string, got int"),
        (
            pd.DataFrame({"x": [True], "n": [1], "s": ["a"]}),
            "column 'x': expected double, got bool",
        ),
    ],
)
def test_enforce_names_the_column_and_the_problem(frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        enforce_input(frame, COLUMNS)


def test_optional_columns_may_be_left_out() -> None:
    schema = Schema([ColSpec("double", "x"), ColSpec("double", "y", required=False)])
    out = enforce_input(pd.DataFrame({"x": [1.0]}), schema)
    assert list(out.columns) == ["x"]


def test_enforce_reads_records_dicts_and_rows() -> None:
    schema = Schema([ColSpec("double", "a"), ColSpec("double", "b")])
    for data in ([{"a": 1, "b": 2}], {"a": [1], "b": [2]}, {"a": 1, "b": 2}, [[1, 2]]):
        out = enforce_input(data, schema)
        assert out.to_dict(orient="records") == [{"a": 1.0, "b": 2.0}]
    with pytest.raises(InvalidInputError, match="takes 2 column"):
        enforce_input([[1, 2, 3]], schema)


def test_enforce_tensors_checks_dtype_and_shape() -> None:
    schema = Schema([TensorSpec(np.dtype("float32"), (-1, 2))])
    out = enforce_input([[1, 2], [3, 4]], schema)
    assert out.dtype == np.float32
    assert out.shape == (2, 2)
    with pytest.raises(
        InvalidInputError, match=r"expected shape \[-1, 2\] \(-1 = any size\), got \[1, 3\]"
    ):
        enforce_input([[1, 2, 3]], schema)
    with pytest.raises(InvalidInputError, match="expected dtype float32, got <U1"):
        enforce_input([["a", "b"]], schema)
    named = Schema(
        [TensorSpec(np.dtype("int64"), (-1,), "ids"), TensorSpec(np.dtype("float64"), (-1,), "w")]
    )
    with pytest.raises(InvalidInputError, match=r"missing tensor\(s\) \['w'\]"):
        enforce_input({"ids": [1]}, named)
    with pytest.raises(InvalidInputError, match="tensor 'ids': expected dtype int64, got float64"):
        enforce_input({"ids": [1.5], "w": [1.0]}, named)


def test_params_are_defaulted_converted_and_checked() -> None:
    schema = ParamSchema([ParamSpec("k", "long", 3), ParamSpec("t", "double", 0.5)])
    assert enforce_params(None, schema) == {"k": 3, "t": 0.5}
    assert enforce_params({"k": 5, "t": 1}, schema) == {"k": 5, "t": 1.0}
    with pytest.raises(InvalidInputError, match="param 'k': value must be long, got str"):
        enforce_params({"k": "five"}, schema)
    with pytest.warns(RunlabModelWarning, match=r"params \['zzz'\] were ignored"):
        assert enforce_params({"zzz": 1}, schema) == {"k": 3, "t": 0.5}


def test_load_model_enforces_the_saved_signature(
    tmp_path: Path, iris: tuple[Any, Any], iris_pipeline: Any
) -> None:
    X, _ = iris
    runlab.sklearn.save_model(iris_pipeline, tmp_path / "m", input_example=X.head(2))
    model = runlab.pyfunc.load_model(tmp_path / "m")
    with pytest.raises(InvalidInputError, match=r"missing required column\(s\) \['petal_width'\]"):
        model.predict(X.drop(columns=["petal_width"]))
    bad = X.head(2).astype({"sepal_length": object})
    bad.loc[bad.index[0], "sepal_length"] = "long"
    with pytest.raises(
        InvalidInputError, match="column 'sepal_length': expected double, got str value 'long'"
    ):
        model.predict(bad)
    as_ints = X.head(5).round().astype("int64")  # int -> double is a safe widening
    np.testing.assert_array_equal(
        model.predict(as_ints), iris_pipeline.predict(as_ints.astype(float))
    )


def test_types_runlab_does_not_check_round_trip_and_pass_through() -> None:
    stored = (
        '[{"type": "array", "items": {"type": "long"}, "name": "ids", "required": true}, '
        '{"type": "any", "name": "blob", "required": false}]'
    )
    schema = Schema.from_json(stored)
    assert [s.type for s in schema.inputs] == [DataType.any, DataType.any]  # type: ignore[union-attr]
    assert schema.to_json() == stored
    frame = pd.DataFrame({"ids": [[1, 2], [3]], "blob": [{"a": 1}, None]})
    out = enforce_input(frame, schema)
    assert out["ids"].tolist() == [[1, 2], [3]]
