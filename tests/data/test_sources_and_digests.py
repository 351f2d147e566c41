"""``from_pandas``/``from_numpy`` with a given digest and a predictions column, and
``get_source`` on records, run inputs and MLflow's datasets."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import runlab
from runlab.data import DatasetSource, from_numpy, from_pandas, get_source
from runlab.entities import Dataset, DatasetInput
from runlab.errors import InvalidInputError


def frame() -> pd.DataFrame:
    return pd.DataFrame({"x": [1, 2, 3], "y": [0, 1, 0], "pred": [0, 1, 1]})


def test_from_pandas_takes_a_digest_instead_of_computing_one() -> None:
    given = from_pandas(frame(), digest="v1-frozen")
    assert given.digest == "v1-frozen"
    assert given.schema == from_pandas(frame()).schema  # the rest is still computed
    changed = frame().assign(x=[9, 9, 9])
    assert from_pandas(changed, digest="v1-frozen").digest == "v1-frozen"
    assert from_pandas(changed).digest != from_pandas(frame()).digest


def test_from_pandas_records_targets_and_predictions_columns() -> None:
    ds = from_pandas(frame(), targets="y", predictions="pred", name="scored")
    profile = json.loads(ds.profile or "{}")
    assert profile["targets"] == "y"
    assert profile["predictions"] == "pred"
    assert ds.name == "scored"


def test_from_pandas_takes_mlflows_positional_order() -> None:
    ds = from_pandas(frame(), "s3://b/f.parquet", "y", "named")
    assert (ds.source, ds.name, json.loads(ds.profile or "{}")["targets"]) == (
        "s3://b/f.parquet",
        "named",
        "y",
    )


def test_a_predictions_column_must_exist() -> None:
    with pytest.raises(InvalidInputError, match=r"predictions: 'nope' is not a column"):
        from_pandas(frame(), predictions="nope")


@pytest.mark.parametrize("digest", ["", "x" * 37, 5])
def test_a_given_digest_follows_the_store_rules(digest: object) -> None:
    with pytest.raises(InvalidInputError, match="digest"):
        from_pandas(frame(), digest=digest)  # type: ignore[arg-type]


def test_from_numpy_takes_a_digest() -> None:
    features = np.arange(6).reshape(3, 2)
    assert from_numpy(features, digest="abc").digest == "abc"
    assert from_numpy(features, targets=np.array([0, 1, 0]), digest="abc").digest == "abc"
    assert from_numpy(features).digest != "abc"


def test_get_source_of_a_runlab_record() -> None:
    source = get_source(from_pandas(frame(), source="s3://bucket/train.parquet"))
    assert isinstance(source, DatasetSource)
    assert source.source_type == "local"
    assert source.uri == "s3://bucket/train.parquet"
    assert source.to_dict() == {"uri": "s3://bucket/train.parquet"}
    assert json.loads(source.to_json()) == {"uri": "s3://bucket/train.parquet"}


def test_get_source_reads_mlflows_json_sources() -> None:
    record = Dataset("d", "abcd1234", "http", json.dumps({"uri": "https://x/y.csv"}))
    source = get_source(DatasetInput(record))
    assert (source.source_type, source.uri) == ("http", "https://x/y.csv")
    code = Dataset("d", "abcd1234", "code", json.dumps({"tags": {"k": "v"}}))
    assert get_source(code).uri is None
    assert get_source(code).to_dict() == {"tags": {"k": "v"}}


def test_get_source_of_a_dataset_without_source() -> None:
    assert get_source(from_pandas(frame())).to_dict() == {}


def test_get_source_of_an_mlflow_dataset() -> None:
    import warnings

    import mlflow.data

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MLflow's own deprecation warnings from pandas
        theirs = mlflow.data.from_pandas(frame(), source="s3://bucket/t.csv")
    assert (get_source(theirs).source_type, get_source(theirs).uri) == ("s3", "s3://bucket/t.csv")


def test_get_source_of_something_else_is_a_clear_error() -> None:
    with pytest.raises(InvalidInputError, match="dataset: expected a runlab Dataset"):
        get_source("s3://bucket/t.csv")


def test_get_source_of_a_logged_input_read_back(tmp_path: Path) -> None:
    runlab.set_tracking_uri(f"sqlite:///{tmp_path / 'db.sqlite'}")
    try:
        with runlab.start_run() as run:
            runlab.log_input(from_pandas(frame(), source=str(tmp_path / "f.csv")), "train")
        logged = runlab.get_run(run.info.run_id).inputs.dataset_inputs[0]
        assert get_source(logged).uri == str(tmp_path / "f.csv")
    finally:
        runlab.tracking.fluent._reset_for_tests()
