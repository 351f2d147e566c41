"""Downsampled metric history for charts: few points, every extreme kept, on both databases."""

from __future__ import annotations

import math
import random

import pytest

from runlab.entities import Metric
from runlab.errors import InvalidInputError, NotFoundError
from runlab.store.base import downsample_points
from runlab.store.sql.store import SqlStore


def _run(store: SqlStore) -> str:
    return store.create_run("0", "tester", 0, {}, "run").run_id


def _log(store: SqlStore, run_id: str, points: list[Metric], chunk: int = 20_000) -> None:
    for i in range(0, len(points), chunk):
        store.log_batch(run_id, metrics=points[i : i + chunk])


@pytest.mark.slow
def test_million_points_keep_extremes_spikes_and_ends(store: SqlStore) -> None:
    run_id = _run(store)
    rng = random.Random(7)
    n = 1_000_000
    values = [math.sin(i / 5000) + rng.random() * 0.1 for i in range(n)]
    spikes = {rng.randrange(1, n - 1): 50.0 + k for k in range(10)}
    dips = {rng.randrange(1, n - 1): -50.0 - k for k in range(10)}
    for step, value in {**spikes, **dips}.items():
        values[step] = value
    points = [Metric("loss", v, 1_700_000_000_000 + 3 * i, i) for i, v in enumerate(values)]
    _log(store, run_id, points)

    for x_axis in ("step", "timestamp"):
        got = store.get_metric_history_downsampled(run_id, "loss", 2000, x_axis)
        assert 100 < len(got) <= 2000 * 2
        by_step = {p.step: p.value for p in got}
        assert got[0].step == 0
        assert got[-1].step == n - 1
        assert got[0].value == values[0]
        assert got[-1].value == values[-1]
        assert max(p.value for p in got) == max(values)
        assert min(p.value for p in got) == min(values)
        for step, value in {**spikes, **dips}.items():
            assert by_step.get(step) == value, (x_axis, step)
        assert [p.step for p in got] == sorted(p.step for p in got)


def test_short_series_comes_back_whole(store: SqlStore) -> None:
    run_id = _run(store)
    points = [Metric("acc", i * 0.5, 1000 + i, i) for i in range(50)]
    store.log_batch(run_id, metrics=points)
    got = store.get_metric_history_downsampled(run_id, "acc", 2000, "step")
    assert [(p.step, p.value, p.timestamp) for p in got] == [
        (p.step, p.value, p.timestamp) for p in points
    ]
    assert all(p.run_id == run_id and p.key == "acc" for p in got)


def test_sql_matches_the_python_reference(store: SqlStore) -> None:
    run_id = _run(store)
    rng = random.Random(3)
    points = [Metric("m", rng.uniform(-10, 10), 5000 + 7 * i, i * 3) for i in range(20_000)]
    _log(store, run_id, points)
    for x_axis in ("step", "timestamp"):
        want = downsample_points(points, 400, x_axis)
        got = store.get_metric_history_downsampled(run_id, "m", 400, x_axis)
        assert [(p.step, p.value) for p in got] == [(p.step, p.value) for p in want]
        assert len(got) <= 400


def test_wall_time_with_gaps_and_out_of_order_steps_matches_the_reference(
    store: SqlStore,
) -> None:
    """Wall time jumps (a resumed run): most buckets are empty, and time does not follow
    the steps."""
    run_id = _run(store)
    rng = random.Random(5)
    points = [Metric("m", rng.uniform(-1, 1), 1000 + i, i) for i in range(3000)]
    points += [Metric("m", rng.uniform(-1, 1), 9_000_000 + 5 * i, 10 * i) for i in range(3000)]
    points.append(Metric("m", 99.0, 4_000_000, 5))  # alone in the middle of the gap
    _log(store, run_id, points)
    want = downsample_points(points, 400, "timestamp")
    got = store.get_metric_history_downsampled(run_id, "m", 400, "timestamp")
    assert [(p.timestamp, p.value) for p in got] == [(p.timestamp, p.value) for p in want]
    assert 99.0 in [p.value for p in got]


def test_wall_time_unrelated_to_steps_matches_the_reference(store: SqlStore) -> None:
    """Times shuffled against the steps: every piece of steps spans many buckets of time,
    and runs of equal times and values tie across pieces."""
    run_id = _run(store)
    rng = random.Random(19)
    times = [1000 + rng.randrange(50_000) for _ in range(30_000)]
    values = [rng.choice([-2.0, 0.0, 1.0, 3.5, float("nan")]) for _ in range(30_000)]
    points = [Metric("m", v, t, 2 * i) for i, (t, v) in enumerate(zip(times, values, strict=True))]
    # A stretch where time follows the steps, with a spike in it.
    points += [Metric("m", 0.5, 60_000 + i, 100_000 + i) for i in range(5_000)]
    points[-1234] = Metric("m", 77.0, points[-1234].timestamp, points[-1234].step)
    _log(store, run_id, points)
    for max_points in (40, 400, 4000):
        want = downsample_points(
            sorted(points, key=lambda p: (p.timestamp, p.step)), max_points, "timestamp"
        )
        got = store.get_metric_history_downsampled(run_id, "m", max_points, "timestamp")
        assert [(p.timestamp, p.step) for p in got] == [(p.timestamp, p.step) for p in want]
        assert [_same(p.value) for p in got] == [_same(p.value) for p in want]
        assert 77.0 in [p.value for p in got]


def test_flat_line_costs_few_points_and_nan_is_never_an_extreme(store: SqlStore) -> None:
    run_id = _run(store)
    points = [Metric("flat", 1.0, 1000 + i, i) for i in range(10_000)]
    points[5000] = Metric("flat", float("nan"), 6000, 5000)
    _log(store, run_id, points)
    got = store.get_metric_history_downsampled(run_id, "flat", 100, "step")
    assert len(got) <= 100
    assert {p.value for p in got if not math.isnan(p.value)} == {1.0}
    assert got[0].step == 0
    assert got[-1].step == 9999


def test_bad_arguments_and_unknown_run(store: SqlStore) -> None:
    run_id = _run(store)
    with pytest.raises(InvalidInputError, match="max_points"):
        store.get_metric_history_downsampled(run_id, "m", 2, "step")
    with pytest.raises(InvalidInputError, match="x_axis"):
        store.get_metric_history_downsampled(run_id, "m", 100, "wall")
    with pytest.raises(NotFoundError):
        store.get_metric_history_downsampled("f" * 32, "m", 100, "step")
    assert store.get_metric_history_downsampled(run_id, "never-logged", 100, "step") == []


def test_count_runs_matching(store: SqlStore) -> None:
    exp = store.create_experiment("counted")
    for i in range(7):
        run = store.create_run(exp, "tester", i, {}, f"r{i}")
        store.log_batch(run.run_id, metrics=[Metric("acc", i / 10, 1, 0)])
    assert store.count_runs_matching([exp]) == 7
    assert store.count_runs_matching([exp], "metrics.acc > 0.35") == 3
    assert store.count_runs_matching([exp, "0"], "attributes.run_name = 'r1'") == 1
    with pytest.raises(InvalidInputError):
        store.count_runs_matching([exp], "metrics.acc >")


def test_ties_nan_and_infinities_match_the_python_reference(store: SqlStore) -> None:
    """Few distinct values (extremes tie across a bucket), NaN and infinities scattered:
    the rows kept are the ones the reference keeps, so ties go to the earlier point."""
    run_id = _run(store)
    rng = random.Random(11)
    choices = [-1.0, -0.0, 0.0, 0.5, 2.0, float("nan"), float("inf"), float("-inf")]
    weights = [20, 5, 5, 20, 20, 10, 1, 1]
    values = rng.choices(choices, weights, k=30_000)
    values[:700] = [float("nan")] * 700  # a bucket with nothing but NaN
    # Wide buckets (thousands of steps), as a long series has them.
    points = [Metric("m", v, 1000 + 7 * i, 5 * i) for i, v in enumerate(values)]
    _log(store, run_id, points)
    for x_axis in ("step", "timestamp"):
        for max_points in (100, 400):
            want = downsample_points(points, max_points, x_axis)
            got = store.get_metric_history_downsampled(run_id, "m", max_points, x_axis)
            assert [p.step for p in got] == [p.step for p in want], (x_axis, max_points)
            # (SQLite stores -0.0 as the integer 0: a zero's sign is not kept.)
            assert [_same(p.value) for p in got] == [_same(p.value) for p in want]


def _same(value: float) -> float | str:
    return "nan" if math.isnan(value) else value


def test_nan_among_positive_values_never_hides_the_lowest(store: SqlStore) -> None:
    """A NaN is stored as 0.0: below every value of a positive series, it must still not
    stand in for (and so lose) a bucket's lowest point, nor a negative series' highest."""
    run_id = _run(store)
    rng = random.Random(13)
    values = [1.0 + rng.random() for _ in range(20_000)]
    values += [-1.0 - rng.random() for _ in range(20_000)]
    for i in range(0, len(values), 37):
        values[i] = float("nan")
    points = [Metric("m", v, 1000 + 4 * i, 3 * i) for i, v in enumerate(values)]
    _log(store, run_id, points)
    for x_axis in ("step", "timestamp"):
        want = downsample_points(points, 400, x_axis)
        got = store.get_metric_history_downsampled(run_id, "m", 400, x_axis)
        assert [p.step for p in got] == [p.step for p in want], x_axis
        assert min(p.value for p in got if not math.isnan(p.value)) == min(
            v for v in values if not math.isnan(v)
        )


@pytest.mark.slow
def test_the_most_buckets_allowed_match_the_reference(store: SqlStore) -> None:
    """max_points at its limit over wide buckets: more picks, and more sub-buckets to read
    again (zeros everywhere), than one statement binds in SQLite's two-pass plan; on
    PostgreSQL, 25,000 buckets of LATERAL lookups."""
    run_id = _run(store)
    rng = random.Random(17)
    values = rng.choices([0.0, 1.0, 2.0, -3.0, float("nan")], [40, 20, 20, 1, 2], k=120_000)
    points = [Metric("m", v, 1000 + i, 200 * i) for i, v in enumerate(values)]
    _log(store, run_id, points)
    want = downsample_points(points, 100_000, "step")
    got = store.get_metric_history_downsampled(run_id, "m", 100_000, "step")
    assert [p.step for p in got] == [p.step for p in want]
    assert [_same(p.value) for p in got] == [_same(p.value) for p in want]
