"""Several runs' histories at a shared sample of steps: SQL picks the same points as the
reference that reads every history, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
import random

import pytest

from runlab.entities import Metric
from runlab.errors import NotFoundError
from runlab.store.base import TrackingStore, sample_indices
from runlab.store.sql.store import SqlStore


def _runs(store: SqlStore, seed: int) -> list[str]:
    rng = random.Random(seed)
    experiment = store.create_experiment(f"interval-{seed}")
    run_ids = []
    for r in range(3):
        run_id = store.create_run(experiment, "u", 0, {}, f"r{r}").run_id
        steps = sorted(rng.sample(range(0, 5_000), rng.randint(0, 900)))
        points = [
            Metric("loss", math.nan if s % 97 == 0 else rng.random(), 1_000 + t, s)
            for s in steps
            for t in range(rng.choice((1, 1, 2)))  # some steps have two points
        ]
        store.log_batch(run_id, metrics=points)
        run_ids.append(run_id)
    return run_ids


def _same(a: dict[str, list[Metric]], b: dict[str, list[Metric]]) -> None:
    assert a.keys() == b.keys()
    for run_id in a:
        left = [(m.step, m.timestamp, m.value) for m in a[run_id]]
        right = [(m.step, m.timestamp, m.value) for m in b[run_id]]
        assert str(left) == str(right)  # NaN equal to NaN


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(
    ("max_steps", "start", "end"),
    [(1, None, None), (7, None, None), (320, None, None), (2_500, None, None), (50, 1_000, 3_000)],
)
def test_sql_picks_the_reference_points(
    store: SqlStore, seed: int, max_steps: int, start: int | None, end: int | None
) -> None:
    run_ids = _runs(store, seed)
    sql = store.get_metric_history_interval(run_ids, "loss", max_steps, start, end)
    reference = TrackingStore.get_metric_history_interval(
        store, run_ids, "loss", max_steps, start, end
    )
    _same(sql, reference)
    steps = {m.step for points in sql.values() for m in points}
    assert len(steps) <= max_steps


def test_first_and_last_step_are_kept_and_spread_evenly() -> None:
    assert sample_indices(10, 4) == [0, 3, 6, 9]
    assert sample_indices(3, 10) == [0, 1, 2]
    assert sample_indices(5, 1) == [4]


def test_an_unknown_run_is_not_found(store: SqlStore) -> None:
    run_ids = _runs(store, 4)
    with pytest.raises(NotFoundError, match="nope"):
        store.get_metric_history_interval([*run_ids, "nope"], "loss", 10)
    assert store.get_metric_history_interval(run_ids, "no-such-key", 10) == {r: [] for r in run_ids}
