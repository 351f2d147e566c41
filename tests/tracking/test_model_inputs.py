"""Logged models as run inputs and outputs (MLflow 3's ``log_input(model=...)``,
``log_inputs(models=...)`` and ``log_outputs``): read back on the run's
``inputs.model_inputs`` and ``outputs.model_outputs``."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select

import runlab
from runlab.entities import LoggedModelInput, LoggedModelOutput
from runlab.errors import ConflictError, InvalidInputError, NotFoundError
from runlab.store.sql.schema import run_model_links
from runlab.store.sql.store import SqlStore

MISSING = "m-" + "0" * 32


@pytest.fixture(autouse=True)
def _store(tracking: str) -> None:
    """Every test here runs against a fresh database store."""


def _used(run_id: str) -> list[str]:
    return [m.model_id for m in runlab.get_run(run_id).inputs.model_inputs]


def test_fluent_log_input_with_a_model_a_dataset_or_both() -> None:
    data = runlab.data.from_pandas(pd.DataFrame({"x": [1, 2]}), name="train")
    base = runlab.initialize_logged_model("base")
    other = runlab.initialize_logged_model("other")
    with runlab.start_run() as run:
        runlab.log_input(model=LoggedModelInput(base.model_id))
        runlab.log_input(data, context="training", model=LoggedModelInput(other.model_id))
        runlab.log_input(model=LoggedModelInput(base.model_id))  # again: kept once
    got = runlab.get_run(run.info.run_id)
    assert sorted(_used(run.info.run_id)) == sorted([base.model_id, other.model_id])
    [dataset_input] = got.inputs.dataset_inputs
    assert (dataset_input.dataset.name, dataset_input.context) == ("train", "training")


def test_fluent_log_inputs_takes_models_beside_datasets() -> None:
    data = runlab.data.from_pandas(pd.DataFrame({"x": [3]}), name="eval")
    model = runlab.initialize_logged_model("m")
    with runlab.start_run() as run:
        runlab.log_inputs(models=[LoggedModelInput(model.model_id), None])
    assert _used(run.info.run_id) == [model.model_id]
    with runlab.start_run() as both:
        runlab.log_inputs([data], ["eval"], models=[LoggedModelInput(model.model_id)])
    got = runlab.get_run(both.info.run_id)
    assert [m.model_id for m in got.inputs.model_inputs] == [model.model_id]
    assert [d.dataset.name for d in got.inputs.dataset_inputs] == ["eval"]


def test_client_log_inputs_and_log_outputs_come_back_on_get_and_search() -> None:
    client = runlab.MlflowClient()
    eid = runlab.set_experiment("links").experiment_id
    run_id = client.create_run(eid).info.run_id
    base = client.create_logged_model(eid, "base").model_id
    tuned = client.create_logged_model(eid, "tuned", run_id).model_id
    client.log_inputs(run_id, models=[LoggedModelInput(base)])
    client.log_outputs(run_id, [LoggedModelOutput(tuned, 5)])
    got = client.get_run(run_id)
    assert got.inputs.model_inputs == (LoggedModelInput(base),)
    assert got.outputs.model_outputs == (LoggedModelOutput(tuned, 5),)
    [found] = client.search_runs([eid])
    assert found.outputs.model_outputs == (LoggedModelOutput(tuned, 5),)
    assert found.inputs.model_inputs == (LoggedModelInput(base),)
    # A run without links has empty ones.
    plain = client.create_run(eid).info.run_id
    assert client.get_run(plain).inputs.model_inputs == ()
    assert client.get_run(plain).outputs.model_outputs == ()


def test_bad_model_inputs_are_named() -> None:
    client = runlab.MlflowClient()
    with runlab.start_run() as run:
        with pytest.raises(InvalidInputError, match="dataset, model"):
            runlab.log_input()
        with pytest.raises(InvalidInputError, match="LoggedModelInput"):
            client.log_inputs(run.info.run_id, models=["m-1"])  # type: ignore[list-item]
        with pytest.raises(InvalidInputError, match="model_id"):
            client.log_inputs(run.info.run_id, models=[LoggedModelInput("")])
        with pytest.raises(NotFoundError, match="logged model"):
            runlab.log_input(model=LoggedModelInput(MISSING))
        with pytest.raises(InvalidInputError, match="dataset"):
            runlab.log_input("not a dataset", model=LoggedModelInput(MISSING))  # type: ignore[arg-type]
    assert _used(run.info.run_id) == []  # a refused call links nothing
    model = runlab.initialize_logged_model("m")
    client.delete_run(run.info.run_id)
    with pytest.raises(ConflictError, match="deleted"):
        client.log_inputs(run.info.run_id, models=[LoggedModelInput(model.model_id)])


def test_deleting_a_model_or_purging_a_run_drops_the_links() -> None:
    client = runlab.MlflowClient()
    model = runlab.initialize_logged_model("m")
    kept = runlab.initialize_logged_model("kept")
    with runlab.start_run() as run:
        runlab.log_inputs(
            models=[LoggedModelInput(model.model_id), LoggedModelInput(kept.model_id)]
        )
    client.delete_logged_model(model.model_id)
    assert _used(run.info.run_id) == [kept.model_id]
    client.delete_run(run.info.run_id)
    store = client.store
    assert isinstance(store, SqlStore)
    store.purge_run(run.info.run_id)
    with store.db.read() as conn:
        left = conn.execute(
            select(run_model_links).where(run_model_links.c.run_uuid == run.info.run_id)
        ).all()
    assert left == []
    assert client.get_logged_model(kept.model_id).model_id == kept.model_id  # the model stays
