"""Runs: create, read, update, delete, restore, tags, purge and close, on every store."""

from __future__ import annotations

import re
import uuid

import pytest
from contract_support import START, Names, StoreUnderTest, given_tags, new_run

from runlab.entities import LifecycleStage, RunStatus, RunTag
from runlab.errors import AlreadyExistsError, ConflictError, InvalidInputError, NotFoundError

MISSING_RUN = "f" * 32


def test_create_and_get_run(contract_store: StoreUnderTest, names: Names) -> None:
    store = contract_store.tracking
    eid = store.create_experiment(names())
    info = store.create_run(eid, "alice", START, {"owner": "ml"}, "baseline")
    assert (info.experiment_id, info.user_id, info.run_name) == (eid, "alice", "baseline")
    assert (info.status, info.start_time, info.end_time) == (RunStatus.RUNNING, START, None)
    assert info.lifecycle_stage == LifecycleStage.ACTIVE
    assert len(info.run_id) == 32
    assert info.artifact_uri.endswith(f"/{eid}/{info.run_id}/artifacts")
    run = store.get_run(info.run_id)
    assert run.info == info
    assert given_tags(run.data.tags) == {"owner": "ml", "mlflow.runName": "baseline"}
    assert (run.data.metrics, run.data.params) == ({}, {})
    assert run.inputs.dataset_inputs == ()


def test_a_run_without_a_name_gets_one(contract_store: StoreUnderTest, names: Names) -> None:
    store = contract_store.tracking
    eid = store.create_experiment(names())
    generated = store.create_run(eid, "alice", START, {}, "")
    assert re.fullmatch(r"[a-z]+-[a-z]+-\d+", generated.run_name)
    assert store.get_run(generated.run_id).data.tags["mlflow.runName"] == generated.run_name
    # Without a run_name, the mlflow.runName tag names the run.
    tagged = store.create_run(eid, "alice", START, {"mlflow.runName": "from-tag"}, "")
    assert tagged.run_name == "from-tag"
    assert store.get_run(tagged.run_id).info.run_name == "from-tag"


def test_a_run_in_a_missing_experiment_is_not_found(contract_store: StoreUnderTest) -> None:
    with pytest.raises(NotFoundError, match="987654321"):
        contract_store.tracking.create_run("987654321", "alice", START, {}, "r")


def test_a_missing_run_is_not_found(contract_store: StoreUnderTest) -> None:
    store = contract_store.tracking
    with pytest.raises(NotFoundError, match=MISSING_RUN):
        store.get_run(MISSING_RUN)
    with pytest.raises(NotFoundError):
        store.update_run_info(MISSING_RUN, status=RunStatus.FINISHED)
    with pytest.raises(NotFoundError):
        store.delete_run(MISSING_RUN)
    with pytest.raises(NotFoundError):
        store.restore_run(MISSING_RUN)
    with pytest.raises(NotFoundError):
        store.log_batch(MISSING_RUN, tags=[RunTag("k", "v")])
    with pytest.raises(NotFoundError):
        store.delete_tag(MISSING_RUN, "k")


def test_client_chosen_run_ids(contract_store: StoreUnderTest, names: Names) -> None:
    """A database store takes a run id from its caller and refuses one taken; a tracking
    server chooses its runs' ids, so the REST store refuses any."""
    store = contract_store.tracking
    eid = store.create_experiment(names())
    chosen = uuid.uuid4().hex
    if not contract_store.database:
        with pytest.raises(InvalidInputError, match="run_id"):
            store.create_run(eid, "alice", START, {}, "r", run_id=chosen)
        return
    assert store.create_run(eid, "alice", START, {}, "r", run_id=chosen).run_id == chosen
    with pytest.raises(AlreadyExistsError, match=chosen):
        store.create_run(eid, "alice", START, {}, "again", run_id=chosen)


def test_update_run_info(contract_store: StoreUnderTest, names: Names) -> None:
    store = contract_store.tracking
    rid = new_run(contract_store, store.create_experiment(names()))
    info = store.update_run_info(rid, status=RunStatus.FINISHED, end_time=START + 5, run_name="b")
    assert (info.status, info.end_time, info.run_name) == (RunStatus.FINISHED, START + 5, "b")
    assert store.get_run(rid).info == info
    assert store.get_run(rid).data.tags["mlflow.runName"] == "b"
    # Each field alone leaves the others as they were.
    assert store.update_run_info(rid, status=RunStatus.KILLED).end_time == START + 5
    assert store.update_run_info(rid).status == RunStatus.KILLED
    # The run-name tag and the run name are one.
    store.log_batch(rid, tags=[RunTag("mlflow.runName", "via-tag")])
    assert store.get_run(rid).info.run_name == "via-tag"


def test_update_run_info_refuses_bad_values(contract_store: StoreUnderTest, names: Names) -> None:
    store = contract_store.tracking
    rid = new_run(contract_store, store.create_experiment(names()))
    with pytest.raises(InvalidInputError, match="DONE"):
        store.update_run_info(rid, status="DONE")
    with pytest.raises(InvalidInputError, match="end_time"):
        store.update_run_info(rid, end_time=2**63)
    assert store.get_run(rid).info.status == RunStatus.RUNNING


def test_delete_and_restore_run(contract_store: StoreUnderTest, names: Names) -> None:
    store = contract_store.tracking
    rid = new_run(contract_store, store.create_experiment(names()))
    store.delete_run(rid)
    assert store.get_run(rid).info.lifecycle_stage == LifecycleStage.DELETED
    with pytest.raises(ConflictError, match="deleted"):
        store.log_batch(rid, tags=[RunTag("k", "v")])
    with pytest.raises(ConflictError, match="deleted"):
        store.update_run_info(rid, status=RunStatus.FINISHED)
    store.restore_run(rid)
    assert store.get_run(rid).info.lifecycle_stage == LifecycleStage.ACTIVE
    store.log_batch(rid, tags=[RunTag("k", "v")])
    assert store.get_run(rid).data.tags["k"] == "v"


def test_delete_tag(contract_store: StoreUnderTest, names: Names) -> None:
    store = contract_store.tracking
    rid = new_run(contract_store, store.create_experiment(names()), tags={"a": "1", "b": "2"})
    store.delete_tag(rid, "a")
    assert given_tags(store.get_run(rid).data.tags) == {"b": "2", "mlflow.runName": "r"}
    with pytest.raises(NotFoundError, match="'a'"):
        store.delete_tag(rid, "a")
    store.delete_run(rid)
    with pytest.raises(ConflictError, match="deleted"):
        store.delete_tag(rid, "b")


def test_set_tag_convenience(contract_store: StoreUnderTest, names: Names) -> None:
    store = contract_store.tracking
    rid = new_run(contract_store, store.create_experiment(names()))
    store.set_tag(rid, RunTag("note", "first"))
    store.set_tag(rid, RunTag("note", "second"))  # tags may change, unlike params
    assert store.get_run(rid).data.tags["note"] == "second"


def test_deleted_run_ids_and_purge_run(contract_store: StoreUnderTest, names: Names) -> None:
    """A database store lists and purges deleted runs; the REST API has neither, so the
    REST store refuses both, naming ``runlab gc``."""
    store = contract_store.tracking
    eid = store.create_experiment(names())
    gone, kept, active = (new_run(contract_store, eid) for _ in range(3))
    if not contract_store.database:
        with pytest.raises(InvalidInputError, match="runlab gc"):
            store.deleted_run_ids()
        with pytest.raises(InvalidInputError, match="runlab gc"):
            store.purge_run(gone)
        return
    store.delete_run(gone)
    store.delete_run(kept)
    listed = store.deleted_run_ids()
    assert {gone, kept} <= set(listed)
    assert active not in listed
    assert listed == sorted(listed)
    assert not {gone, kept} & set(store.deleted_run_ids(older_than_ms=0))
    with pytest.raises(ConflictError, match="delete it"):
        store.purge_run(active)
    store.purge_run(gone)
    with pytest.raises(NotFoundError):
        store.get_run(gone)
    with pytest.raises(NotFoundError):
        store.purge_run(gone)
    assert gone not in store.deleted_run_ids()
    assert store.get_run(kept).info.lifecycle_stage == LifecycleStage.DELETED


def test_close_releases_one_store_and_keeps_the_data(
    contract_store: StoreUnderTest, names: Names
) -> None:
    other = contract_store.reopen()
    eid = other.create_experiment(names())
    other.close()
    assert contract_store.tracking.get_experiment(eid).name == names()
