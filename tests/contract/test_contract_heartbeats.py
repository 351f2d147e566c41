"""Heartbeats and the end of runs whose heartbeats stopped, on every store."""

from __future__ import annotations

import pytest
from contract_support import START, Names, StoreUnderTest, new_run

from runlab.entities import Metric, RunStatus
from runlab.errors import InvalidInputError, NotFoundError

MISSING_RUN = "e" * 32
TIMEOUT = 60_000


def test_record_heartbeat(contract_store: StoreUnderTest, names: Names) -> None:
    """Any run takes heartbeats, earlier ones too; a missing run and a time past int64
    are refused, naming them."""
    store = contract_store.tracking
    run_id = new_run(contract_store, store.create_experiment(names()))
    store.record_heartbeat(run_id)
    store.record_heartbeat(run_id, START)
    with pytest.raises(NotFoundError, match=MISSING_RUN):
        store.record_heartbeat(MISSING_RUN)
    with pytest.raises(InvalidInputError, match="time_ms"):
        store.record_heartbeat(run_id, 2**63)
    assert store.get_run(run_id).info.status == RunStatus.RUNNING


def test_end_crashed_runs(contract_store: StoreUnderTest, names: Names) -> None:
    """A RUNNING run silent past the timeout ends FAILED at its last heartbeat, tagged
    crashed, once; a fresh one, an ended one and one that never sent a heartbeat stay as
    they are. Behind a server only the server sweeps: the REST store refuses."""
    store = contract_store.tracking
    eid = store.create_experiment(names())
    crashed, alive, finished, silent = (new_run(contract_store, eid) for _ in range(4))
    if not contract_store.database:
        with pytest.raises(InvalidInputError, match="tracking server"):
            store.end_crashed_runs(TIMEOUT)
        return
    last = START + 5_000
    store.record_heartbeat(crashed, last)
    store.record_heartbeat(crashed, START + 1_000)  # late and older: changes nothing
    store.record_heartbeat(finished, START)
    store.update_run_info(finished, RunStatus.FINISHED, START + 2_000)
    now = last + TIMEOUT + 1
    store.record_heartbeat(alive, now - 10)

    ended = store.end_crashed_runs(TIMEOUT, now)
    assert crashed in ended
    assert not {alive, finished, silent} & set(ended)
    run = store.get_run(crashed)
    assert (run.info.status, run.info.end_time) == (RunStatus.FAILED, last)
    assert run.data.tags["runlab.crashed"] == "true"
    assert store.get_run(finished).info.status == RunStatus.FINISHED
    for other in (alive, silent):
        assert store.get_run(other).info.status == RunStatus.RUNNING
        assert "runlab.crashed" not in store.get_run(other).data.tags
    assert crashed not in store.end_crashed_runs(TIMEOUT, now + TIMEOUT)  # ended once
    with pytest.raises(InvalidInputError, match="timeout_ms"):
        store.end_crashed_runs(0)


def test_end_crashed_runs_of_silent_runs(contract_store: StoreUnderTest, names: Names) -> None:
    """Asked to, the sweep also ends runs that never sent a heartbeat, at their last sign
    of life (their start, or their latest metric point); not asked, it leaves them. Their
    times lie long before any other test's, so no other run is old enough to be ended."""
    store = contract_store.tracking
    eid = store.create_experiment(names())
    t0 = 1_000_000_000
    idle, logging_, beating, finished = (new_run(contract_store, eid, start=t0) for _ in range(4))
    if not contract_store.database:
        with pytest.raises(InvalidInputError, match="tracking server"):
            store.end_crashed_runs(TIMEOUT, silent_runs=True)
        return
    store.log_batch(logging_, metrics=[Metric("loss", 0.5, t0 + 50_000, 0)])
    store.record_heartbeat(beating, t0 + 90_000)
    store.update_run_info(finished, RunStatus.FINISHED, t0 + 1_000)
    now = t0 + 100_000  # cutoff t0 + 40 s: idle is silent, logging_ wrote 10 s later
    assert not {idle, logging_} & set(store.end_crashed_runs(TIMEOUT, now))
    assert store.get_run(idle).info.status == RunStatus.RUNNING

    ended = store.end_crashed_runs(TIMEOUT, now, silent_runs=True)
    assert idle in ended
    assert not {logging_, beating, finished} & set(ended)
    run = store.get_run(idle)
    assert (run.info.status, run.info.end_time) == (RunStatus.FAILED, t0)
    assert run.data.tags["runlab.crashed"] == "true"
    assert store.get_run(finished).info.status == RunStatus.FINISHED

    later = store.end_crashed_runs(TIMEOUT, t0 + 120_000, silent_runs=True)
    assert logging_ in later
    assert idle not in later  # ended once
    run = store.get_run(logging_)
    assert (run.info.status, run.info.end_time) == (RunStatus.FAILED, t0 + 50_000)
    assert store.get_run(beating).info.status == RunStatus.RUNNING  # it beats: not silent


def test_writes_are_a_sign_of_life_and_a_late_heartbeat_revives(
    contract_store: StoreUnderTest, names: Names
) -> None:
    """A log-batch refreshes the heartbeat of a run that sends them (so it is not ended);
    a heartbeat for a run the sweep ended makes it RUNNING again, and the process's own
    end afterwards drops the crashed tag."""
    store = contract_store.tracking
    if not contract_store.database:
        return  # the sweep itself is the server's; its REST side is tested with a server
    eid = store.create_experiment(names())
    busy, back, ended_late = (new_run(contract_store, eid) for _ in range(3))
    for run_id in (busy, back, ended_late):
        store.record_heartbeat(run_id, START)
    store.log_batch(busy, metrics=[Metric("loss", 0.5, START, 0)])  # now: long after START
    crashed = store.end_crashed_runs(TIMEOUT, START + TIMEOUT + 1)
    assert busy not in crashed
    assert {back, ended_late} <= set(crashed)

    store.record_heartbeat(back)
    run = store.get_run(back)
    assert (run.info.status, run.info.end_time) == (RunStatus.RUNNING, None)
    assert "runlab.crashed" not in run.data.tags

    store.update_run_info(ended_late, RunStatus.FINISHED, START + 2 * TIMEOUT)
    run = store.get_run(ended_late)
    assert run.info.status == RunStatus.FINISHED
    assert "runlab.crashed" not in run.data.tags
