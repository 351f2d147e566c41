"""Heartbeats and the end of runs whose heartbeats stopped, on every store."""

from __future__ import annotations

import pytest
from contract_support import START, Names, StoreUnderTest, new_run

from runlab.entities import RunStatus
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
