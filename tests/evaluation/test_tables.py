"""runlab.log_table / load_table: MLflow's JSON table format, appends, loads across runs."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import runlab
from runlab.errors import InvalidInputError, NotFoundError


def test_log_table_writes_mlflows_format_and_records_the_tag(tracking: str, tmp_path) -> None:
    with runlab.start_run() as run:
        runlab.log_table({"q": ["a", "b"], "score": [0.5, 1.0]}, "tables/qa.json")
    path = runlab.download_artifacts("tables/qa.json", run_id=run.info.run_id, dst_path=tmp_path)
    with open(path) as f:
        assert json.load(f) == {"columns": ["q", "score"], "data": [["a", 0.5], ["b", 1.0]]}
    tag = runlab.get_run(run.info.run_id).data.tags["mlflow.loggedArtifacts"]
    assert json.loads(tag) == [{"path": "tables/qa.json", "type": "table"}]


def test_logging_again_appends_rows_and_tags_once(tracking: str) -> None:
    with runlab.start_run() as run:
        runlab.log_table(pd.DataFrame({"x": [1, 2]}), "t.json")
        runlab.log_table(pd.DataFrame({"x": [3], "y": ["new"]}), "t.json")
    frame = runlab.load_table("t.json", run_ids=[run.info.run_id])
    assert frame["x"].tolist() == [1, 2, 3]
    assert frame["y"].tolist()[2] == "new"
    assert pd.isna(frame["y"].tolist()[0])
    tag = json.loads(runlab.get_run(run.info.run_id).data.tags["mlflow.loggedArtifacts"])
    assert tag == [{"path": "t.json", "type": "table"}]


def test_load_table_across_runs_with_run_id_column(tracking: str) -> None:
    ids = []
    for value in (1, 2):
        with runlab.start_run() as run:
            runlab.log_table({"v": [value, value * 10]}, "shared.json")
            ids.append(run.info.run_id)
    with runlab.start_run():
        runlab.log_text("no table here", "notes.txt")  # a run without the table is left out
    frame = runlab.load_table("shared.json", extra_columns=["run_id"])
    assert sorted(frame["v"].tolist()) == [1, 2, 10, 20]
    by_run = frame.groupby("run_id")["v"].apply(sorted).to_dict()
    assert by_run == {ids[0]: [1, 10], ids[1]: [2, 20]}
    only_first = runlab.load_table("shared.json", run_ids=[ids[0]])
    assert only_first["v"].tolist() == [1, 10]
    assert "run_id" not in only_first.columns


def test_client_log_and_load_table(tracking: str) -> None:
    client = runlab.MlflowClient()
    exp = client.create_experiment("tables")
    run = client.create_run(exp)
    client.log_table(run.info.run_id, {"a": [1]}, "c.json")
    client.log_table(run.info.run_id, {"a": [2]}, "c.json")
    frame = client.load_table(exp, "c.json", extra_columns=["run_id"])
    assert frame.to_dict("list") == {"a": [1, 2], "run_id": [run.info.run_id] * 2}


def test_bad_input_names_the_field(tracking: str) -> None:
    with runlab.start_run():
        with pytest.raises(InvalidInputError, match="data: expected a pandas DataFrame"):
            runlab.log_table([[1, 2]], "t.json")
        with pytest.raises(InvalidInputError, match="same length"):
            runlab.log_table({"a": [1, 2], "b": [1]}, "t.json")
        with pytest.raises(InvalidInputError, match="artifact_file: a table is a .json"):
            runlab.log_table({"a": [1]}, "t.csv")
        with pytest.raises(InvalidInputError, match="extra_columns: 'colour'"):
            runlab.load_table("t.json", extra_columns=["colour"])
    with pytest.raises(NotFoundError, match="no run logged the table 'missing.json'"):
        runlab.load_table("missing.json")
