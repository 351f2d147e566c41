"""Many series at once for the charts workspace: downsampled histories of several runs
and keys in one call, and the points logged after a step, with the runs' statuses."""

from __future__ import annotations

import math

import pytest
from contract_support import Names, StoreUnderTest, new_run

from runlab.entities import Metric, RunStatus
from runlab.errors import InvalidInputError, NotFoundError

MISSING_RUN = "f" * 32


def _key(m: Metric) -> tuple[int, int, float | None]:
    return (m.step, m.timestamp, None if math.isnan(m.value) else m.value)


def _series(store: object, eid: str, contract_store: StoreUnderTest) -> list[str]:
    """Three runs: a long one with a spike and a NaN, a short one, one without "loss"."""
    tracking = contract_store.tracking
    long_run, short_run, other = (new_run(contract_store, eid, n) for n in ("l", "s", "o"))
    points = [Metric("loss", 1.0 / (s + 1), 5_000 + s, s) for s in range(300)]
    points[123] = Metric("loss", 40.0, 5_123, 123)
    points[200] = Metric("loss", math.nan, 5_200, 200)
    tracking.log_batch(long_run, metrics=points)
    tracking.log_batch(long_run, metrics=[Metric("acc", s / 10, 7_000 + s, s) for s in range(10)])
    tracking.log_batch(short_run, metrics=[Metric("loss", -s, 6_000 + s, 3 * s) for s in range(7)])
    tracking.log_batch(other, metrics=[Metric("acc", 0.5, 8_000, 0)])
    return [long_run, short_run, other]


def test_batch_of_downsampled_histories_equals_each_series_alone(
    contract_store: StoreUnderTest, names: Names
) -> None:
    store = contract_store.tracking
    runs = _series(store, store.create_experiment(names()), contract_store)
    for axis in ("step", "timestamp"):
        got = store.get_metric_histories_downsampled(runs, ["loss", "acc"], 24, axis)
        assert set(got) == set(runs)
        for run_id in runs:
            assert set(got[run_id]) == {"loss", "acc"}
            for key in ("loss", "acc"):
                alone = store.get_metric_history_downsampled(run_id, key, 24, axis)
                assert [_key(m) for m in got[run_id][key]] == [_key(m) for m in alone]
                assert {(m.key, m.run_id) for m in got[run_id][key]} <= {(key, run_id)}
    long_loss = got[runs[0]]["loss"]
    assert 6 < len(long_loss) <= 24
    assert (123, 5_123, 40.0) in [_key(m) for m in long_loss]
    assert [m.step for m in got[runs[1]]["loss"]] == [0, 3, 6, 9, 12, 15, 18]  # whole
    assert got[runs[2]]["loss"] == []


def test_batch_refuses_bad_arguments(contract_store: StoreUnderTest, names: Names) -> None:
    store = contract_store.tracking
    rid = new_run(contract_store, store.create_experiment(names()))
    bad = [
        (([], ["loss"]), "run_ids"),
        (([rid], []), "metric_keys"),
        (([rid] * 2 + [f"{i:032x}" for i in range(100)], ["loss"]), "run_ids"),
        (([rid], [""]), "metric_keys"),
    ]
    for (run_ids, keys), field in bad:
        with pytest.raises(InvalidInputError, match=field):
            store.get_metric_histories_downsampled(run_ids, keys)
        with pytest.raises(InvalidInputError, match=field):
            store.get_metric_updates(run_ids, keys)
    with pytest.raises(InvalidInputError, match="max_points"):
        store.get_metric_histories_downsampled([rid], ["loss"], max_points=2)
    with pytest.raises(InvalidInputError, match="x_axis"):
        store.get_metric_histories_downsampled([rid], ["loss"], x_axis="wall")
    with pytest.raises(InvalidInputError, match=r"after_step\..*loss"):
        store.get_metric_updates([rid], ["loss"], {rid: {"loss": "ten"}})  # type: ignore[dict-item]
    with pytest.raises(NotFoundError):
        store.get_metric_histories_downsampled([rid, MISSING_RUN], ["loss"])
    with pytest.raises(NotFoundError):
        store.get_metric_updates([MISSING_RUN], ["loss"])


def test_updates_are_the_points_after_each_step_with_statuses(
    contract_store: StoreUnderTest, names: Names
) -> None:
    store = contract_store.tracking
    eid = store.create_experiment(names())
    a, b = new_run(contract_store, eid, "a"), new_run(contract_store, eid, "b")
    store.log_batch(a, metrics=[Metric("x", float(s), 100 + s, s) for s in range(10)])
    store.log_batch(b, metrics=[Metric("x", -float(s), 100 + s, s) for s in range(5)])
    store.log_batch(b, metrics=[Metric("y", 1.0, 100, 0)])
    store.update_run_info(b, RunStatus.FINISHED, 500, None)
    got = store.get_metric_updates([a, b], ["x", "y"], {a: {"x": 6}, b: {"x": 4}}, max_points=10)
    assert got.statuses == {a: RunStatus.RUNNING, b: RunStatus.FINISHED}
    assert [m.step for m in got.points[a]["x"]] == [7, 8, 9]
    assert [m.value for m in got.points[a]["x"]] == [7.0, 8.0, 9.0]
    assert got.points[b]["x"] == []
    assert [(m.step, m.value, m.run_id) for m in got.points[b]["y"]] == [(0, 1.0, b)]
    assert got.points[a]["y"] == []
    # No bound: from the start, the first max_points points.
    first = store.get_metric_updates([a], ["x"], max_points=4)
    assert [m.step for m in first.points[a]["x"]] == [0, 1, 2, 3]


def test_updates_name_every_key_each_run_has_logged(
    contract_store: StoreUnderTest, names: Names
) -> None:
    """Keys logged after a chart opened (not among those it asks for) are named too."""
    store = contract_store.tracking
    eid = store.create_experiment(names())
    a, b = new_run(contract_store, eid, "a"), new_run(contract_store, eid, "b")
    store.log_batch(a, metrics=[Metric("x", 1.0, 100, 0)])
    store.log_batch(b, metrics=[Metric("x", 1.0, 100, 0)])
    before = store.get_metric_updates([a, b], ["x"])
    assert before.keys == {a: ["x"], b: ["x"]}
    store.log_batch(a, metrics=[Metric("late/z", 2.0, 101, 1), Metric("b_new", 3.0, 101, 1)])
    after = store.get_metric_updates([a, b], ["x"])
    assert after.keys == {a: ["b_new", "late/z", "x"], b: ["x"]}
    assert after.points[a]["x"] == before.points[a]["x"]
