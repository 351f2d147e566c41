from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests._imports import loaded_after

import runlab.data
from runlab.data import Dataset, dataset, digest_of_file, from_numpy, from_pandas
from runlab.errors import InvalidInputError

HEX8 = "0123456789abcdef"


def is_hex8(value: str) -> bool:
    return len(value) == 8 and all(c in HEX8 for c in value)


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"x": [1, 2, 3], "y": [0.5, 1.5, 2.5], "label": ["a", "b", "c"]},
    )


# -- dataset() ---------------------------------------------------------------------------------


def test_plain_dataset():
    ds = dataset("train", source="s3://bucket/train.csv")
    assert isinstance(ds, Dataset)
    assert ds.name == "train"
    assert ds.source == "s3://bucket/train.csv"
    assert ds.source_type == "local"
    assert ds.schema is None
    assert ds.profile is None
    assert is_hex8(ds.digest)
    assert dataset("train", source="s3://bucket/train.csv").digest == ds.digest


def test_dataset_digest_is_sha256_of_canonical_json():
    expected = hashlib.sha256(b'["train","src",null]').hexdigest()[:8]
    assert dataset("train", "src").digest == expected


@pytest.mark.parametrize(
    "changed",
    [
        {"name": "test"},
        {"source": "other"},
        {"schema": {"cols": ["a"]}},
    ],
)
def test_dataset_digest_changes(changed: dict):
    base = {"name": "train", "source": "src"}
    assert dataset(**{**base, **changed}).digest != dataset(**base).digest


def test_dataset_digest_ignores_key_order_and_schema_form():
    a = dataset("d", schema={"a": 1, "b": 2})
    b = dataset("d", schema={"b": 2, "a": 1})
    c = dataset("d", schema='{"a": 1, "b": 2}')
    assert a.digest == b.digest == c.digest


def test_dataset_profile_does_not_change_digest():
    assert dataset("d", profile={"num_rows": 1}).digest == dataset("d").digest


def test_dataset_dicts_stored_as_json():
    ds = dataset("d", schema={"cols": ["a"]}, profile={"num_rows": 3}, source_type="s3")
    assert json.loads(ds.schema) == {"cols": ["a"]}
    assert json.loads(ds.profile) == {"num_rows": 3}
    assert ds.source_type == "s3"


def test_dataset_strings_kept_as_given():
    ds = dataset("d", schema="free text", profile='{"n": 1}', digest="abc123")
    assert ds.schema == "free text"
    assert ds.profile == '{"n": 1}'
    assert ds.digest == "abc123"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": ""}, "name: must not be empty"),
        ({"name": 3}, "name: must be a string"),
        ({"name": "x" * 501}, "limit is 500"),
        ({"name": "d", "digest": "f" * 37}, "limit is 36"),
        ({"name": "d", "source_type": ""}, "source_type: must not be empty"),
        ({"name": "d", "schema": [1, 2]}, "schema: must be a dict or a JSON string"),
        ({"name": "d", "profile": {"x": object()}}, "profile: is not JSON-serializable"),
    ],
)
def test_dataset_rejects(kwargs: dict, message: str):
    with pytest.raises(InvalidInputError, match=message):
        dataset(**kwargs)


# -- from_pandas -------------------------------------------------------------------------------


def test_pandas_same_content_same_digest():
    assert from_pandas(frame()).digest == from_pandas(frame()).digest
    assert is_hex8(from_pandas(frame()).digest)


@pytest.mark.parametrize(
    "change",
    [
        lambda df: df.assign(x=[1, 2, 4]),
        lambda df: df.assign(label=["a", "b", "d"]),
        lambda df: df.rename(columns={"x": "z"}),
        lambda df: df.astype({"x": "float64"}),
        lambda df: df.iloc[:2],
        lambda df: df[["y", "x", "label"]],
        lambda df: df.set_axis([10, 11, 12]),
    ],
)
def test_pandas_changed_content_changes_digest(change):
    assert from_pandas(change(frame())).digest != from_pandas(frame()).digest


def test_pandas_rows_beyond_limit_change_shape_part_of_digest():
    big = pd.DataFrame({"a": np.arange(20_000)})
    longer = pd.DataFrame({"a": np.arange(20_001)})
    same_head = big.copy()
    same_head.loc[15_000, "a"] = -1  # past the hashed rows, same shape
    assert from_pandas(big).digest != from_pandas(longer).digest
    assert from_pandas(big).digest == from_pandas(same_head).digest


def test_pandas_schema_and_profile():
    ds = from_pandas(frame(), source="data/train.csv", name="train", targets="label")
    assert ds.name == "train"
    assert ds.source == "data/train.csv"
    schema = json.loads(ds.schema)
    assert [c["name"] for c in schema] == ["x", "y", "label"]
    assert schema[0] == {"name": "x", "type": "int64"}
    assert schema[1] == {"name": "y", "type": "float64"}
    assert set(schema[2]) == {"name", "type"}
    assert json.loads(ds.profile) == {"num_rows": 3, "num_elements": 9, "targets": "label"}


def test_pandas_defaults():
    ds = from_pandas(frame())
    assert ds.name == "dataset"
    assert ds.source == ""
    assert json.loads(ds.profile) == {"num_rows": 3, "num_elements": 9}


def test_pandas_unhashable_cells():
    df = pd.DataFrame({"a": [[1, 2], [3]], "b": [{"k": 1}, {"k": 2}]})
    digest = from_pandas(df).digest
    assert digest == from_pandas(df.copy()).digest
    changed = pd.DataFrame({"a": [[1, 2], [4]], "b": [{"k": 1}, {"k": 2}]})
    assert from_pandas(changed).digest != digest


def test_pandas_non_string_column_names():
    df = pd.DataFrame(np.zeros((2, 2)))
    assert [c["name"] for c in json.loads(from_pandas(df).schema)] == ["0", "1"]


def test_pandas_empty_frame():
    ds = from_pandas(pd.DataFrame())
    assert is_hex8(ds.digest)
    assert json.loads(ds.profile) == {"num_rows": 0, "num_elements": 0}


def test_pandas_rejects():
    with pytest.raises(InvalidInputError, match="targets: 'nope' is not a column"):
        from_pandas(frame(), targets="nope")
    with pytest.raises(InvalidInputError, match="expected a pandas DataFrame"):
        from_pandas([1, 2, 3])


# -- from_numpy --------------------------------------------------------------------------------


def test_numpy_same_content_same_digest():
    a = np.arange(12, dtype=np.float64).reshape(4, 3)
    assert from_numpy(a).digest == from_numpy(a.copy()).digest
    assert from_numpy(a).digest == from_numpy(np.asfortranarray(a)).digest
    assert from_numpy(a).digest == from_numpy(a.astype(">f8")).digest
    assert is_hex8(from_numpy(a).digest)


@pytest.mark.parametrize(
    "change",
    [
        lambda a: a + np.eye(4, 3),
        lambda a: a.astype(np.float32),
        lambda a: a.reshape(3, 4),
        lambda a: a[:3],
    ],
)
def test_numpy_changed_content_changes_digest(change):
    a = np.arange(12, dtype=np.float64).reshape(4, 3)
    assert from_numpy(change(a)).digest != from_numpy(a).digest


def test_numpy_targets_are_part_of_digest():
    x = np.ones((3, 2))
    assert from_numpy(x, targets=np.array([0, 1, 0])).digest != from_numpy(x).digest
    assert (
        from_numpy(x, targets=np.array([0, 1, 0])).digest
        != from_numpy(x, targets=np.array([0, 1, 1])).digest
    )


def test_numpy_schema_and_profile():
    x = np.zeros((5, 3), dtype=np.float32)
    y = np.zeros(5, dtype=np.int64)
    ds = from_numpy(x, source="mem", name="feat", targets=y)
    assert ds.name == "feat"
    assert ds.source == "mem"
    assert json.loads(ds.schema) == {
        "features": {"shape": [5, 3], "dtype": "float32"},
        "targets": {"shape": [5], "dtype": "int64"},
    }
    assert json.loads(ds.profile) == {
        "features_shape": [5, 3],
        "features_size": 15,
        "features_nbytes": 60,
        "targets_shape": [5],
        "targets_size": 5,
        "targets_nbytes": 40,
    }


def test_numpy_accepts_lists_scalars_and_objects():
    assert from_numpy([[1, 2], [3, 4]]).digest == from_numpy(np.array([[1, 2], [3, 4]])).digest
    assert is_hex8(from_numpy(np.float64(3.0)).digest)
    objs = np.array([{"a": 1}, "text"], dtype=object)
    assert from_numpy(objs).digest == from_numpy(objs.copy()).digest


def test_numpy_rejects_mapping():
    with pytest.raises(InvalidInputError, match="features: must be an array"):
        from_numpy({"a": np.ones(2)})


# -- files, imports ----------------------------------------------------------------------------


def test_digest_of_file(tmp_path: Path):
    data = b"x" * (3 * 1024 * 1024 + 17)  # more than one read chunk
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    assert digest_of_file(path) == hashlib.sha256(data).hexdigest()[:8]
    assert digest_of_file(str(path)) == digest_of_file(path)
    path.write_bytes(data + b"!")
    assert digest_of_file(path) != hashlib.sha256(data).hexdigest()[:8]


def test_digest_of_missing_file(tmp_path: Path):
    with pytest.raises(InvalidInputError, match="is not a readable file"):
        digest_of_file(tmp_path / "missing")
    with pytest.raises(InvalidInputError, match="is not a readable file"):
        digest_of_file(tmp_path)


@pytest.mark.parametrize(("function", "module"), [(from_pandas, "pandas"), (from_numpy, "numpy")])
def test_missing_extra_names_install_command(monkeypatch: pytest.MonkeyPatch, function, module):
    import importlib

    real_import_module = importlib.import_module

    def fake_import_module(name: str, *args, **kwargs):
        if name == module:
            raise ModuleNotFoundError(f"No module named {name!r}")
        return real_import_module(name, *args, **kwargs)

    monkeypatch.setattr(importlib, "import_module", fake_import_module)
    with pytest.raises(ImportError, match=r"pip install 'runlab\[pandas\]'"):
        function(np.ones(2))


def test_public_names():
    assert sorted(runlab.data.__all__) == [
        "Dataset",
        "DatasetSource",
        "dataset",
        "digest_of_file",
        "from_numpy",
        "from_pandas",
        "get_source",
    ]


def test_import_does_not_load_pandas_or_numpy():
    assert loaded_after("import runlab.data", ("numpy", "pandas")) == []
