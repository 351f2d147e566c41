"""Chart reads: downsampled histories and step intervals give the reference answer.

SQL stores compute them in the database; other stores inherit the reference
implementation of TrackingStore. Both must give the same points.
"""

from __future__ import annotations

import math

import pytest
from contract_support import Names, StoreUnderTest, new_run

from runlab.entities import Metric
from runlab.errors import InvalidInputError, NotFoundError
from runlab.store.base import downsample_points

MISSING_RUN = "f" * 32


def _key(m: Metric) -> tuple[int, int, float | None]:
    return (m.step, m.timestamp, None if math.isnan(m.value) else m.value)


def test_downsampled_history_keeps_the_extremes(
    contract_store: StoreUnderTest, names: Names
) -> None:
    store = contract_store.tracking
    rid = new_run(contract_store, store.create_experiment(names()))
    points = [Metric("loss", 1.0 / (s + 1), 10_000 - s, s) for s in range(200)]
    points[77] = Metric("loss", 50.0, 10_000 - 77, 77)  # a spike
    points[150] = Metric("loss", math.nan, 10_000 - 150, 150)
    store.log_batch(rid, metrics=points)
    for axis in ("step", "timestamp"):
        got = store.get_metric_history_downsampled(rid, "loss", max_points=20, x_axis=axis)
        want = downsample_points(store.get_metric_history(rid, "loss"), 20, axis)
        assert [_key(m) for m in got] == [_key(m) for m in want]
        assert 5 < len(got) <= 20  # five buckets: first, last, lowest, highest of each
        assert (77, 10_000 - 77, 50.0) in [_key(m) for m in got]
        assert {m.run_id for m in got} == {rid}
    short = store.get_metric_history_downsampled(rid, "loss", max_points=1000)
    assert len(short) == 200  # a short series comes back whole
    assert store.get_metric_history_downsampled(rid, "never-logged") == []


def test_downsampled_history_refuses_bad_arguments(
    contract_store: StoreUnderTest, names: Names
) -> None:
    store = contract_store.tracking
    rid = new_run(contract_store, store.create_experiment(names()))
    with pytest.raises(InvalidInputError, match="max_points"):
        store.get_metric_history_downsampled(rid, "loss", max_points=3)
    with pytest.raises(InvalidInputError, match="x_axis"):
        store.get_metric_history_downsampled(rid, "loss", x_axis="wall")
    with pytest.raises(NotFoundError):
        store.get_metric_history_downsampled(MISSING_RUN, "loss")


def test_history_interval_lines_runs_up_on_shared_steps(
    contract_store: StoreUnderTest, names: Names
) -> None:
    store = contract_store.tracking
    eid = store.create_experiment(names())
    a, b = new_run(contract_store, eid, "a"), new_run(contract_store, eid, "b")
    store.log_batch(a, metrics=[Metric("x", float(s), 100 + s, s) for s in range(10)])
    store.log_batch(b, metrics=[Metric("x", -float(s), 100 + s, s) for s in range(0, 20, 2)])
    # Distinct steps: 0..9, 10, 12, 14, 16, 18; five of them evenly, ends kept.
    got = store.get_metric_history_interval([a, b], "x", max_steps=5)
    assert {run: [m.step for m in found] for run, found in got.items()} == {
        a: [0, 4, 7],
        b: [0, 4, 10, 18],
    }
    assert [m.value for m in got[b]] == [0.0, -4.0, -10.0, -18.0]
    window = store.get_metric_history_interval([a, b], "x", 3, start_step=2, end_step=8)
    assert {run: [m.step for m in found] for run, found in window.items()} == {
        a: [2, 5, 8],
        b: [2, 8],
    }
    assert store.get_metric_history_interval([a], "other", 5) == {a: []}
    with pytest.raises(NotFoundError):
        store.get_metric_history_interval([a, MISSING_RUN], "x", 5)
