"""log_batch, metric histories and params: what every store keeps, and what it refuses."""

from __future__ import annotations

import math

import pytest
from contract_support import Names, StoreUnderTest, new_run, pages

from runlab.entities import Metric, Param, RunTag
from runlab.errors import ConflictError, InvalidInputError, NotFoundError


def _run(store: StoreUnderTest, names: Names) -> str:
    return new_run(store, store.tracking.create_experiment(names()))


def _points(history: list[Metric]) -> list[tuple[int, int, float]]:
    return [(m.step, m.timestamp, m.value) for m in history]


def test_log_batch_writes_metrics_params_and_tags(
    contract_store: StoreUnderTest, names: Names
) -> None:
    store = contract_store.tracking
    rid = _run(contract_store, names)
    store.log_batch(
        rid,
        metrics=[Metric("loss", 0.5, 100, 0), Metric("acc", 0.9, 100, 0)],
        params=[Param("lr", "0.01"), Param("layers", "3"), Param("empty", "")],
        tags=[RunTag("team", "vision"), RunTag("blank", "")],
    )
    store.log_batch(rid)  # nothing to write: fine
    data = store.get_run(rid).data
    assert data.metrics == {"loss": 0.5, "acc": 0.9}
    assert data.params == {"lr": "0.01", "layers": "3", "empty": ""}
    assert {k: data.tags[k] for k in ("team", "blank")} == {"team": "vision", "blank": ""}


def test_the_latest_value_and_special_floats(contract_store: StoreUnderTest, names: Names) -> None:
    store = contract_store.tracking
    rid = _run(contract_store, names)
    store.log_batch(
        rid,
        metrics=[
            Metric("loss", 3.0, 100, 3),
            Metric("loss", 1.0, 100, 1),
            Metric("loss", 2.0, 100, 2),
            Metric("odd", math.nan, 100, 0),
            Metric("big", math.inf, 100, 0),
            Metric("small", -math.inf, 100, 0),
            Metric("tie", 1.0, 100, 5),
            Metric("tie", 2.0, 200, 5),
        ],
    )
    store.log_batch(rid, metrics=[Metric("loss", 0.1, 200, 0)])  # later, but a lower step
    metrics = store.get_run(rid).data.metrics
    assert metrics["loss"] == 3.0  # the highest step wins
    assert metrics["tie"] == 2.0  # then the later timestamp
    assert math.isnan(metrics["odd"])
    assert (metrics["big"], metrics["small"]) == (math.inf, -math.inf)
    odd = store.get_metric_history(rid, "odd")
    assert len(odd) == 1
    assert math.isnan(odd[0].value)
    assert [m.value for m in store.get_metric_history(rid, "big")] == [math.inf]
    assert [m.value for m in store.get_metric_history(rid, "small")] == [-math.inf]


def test_history_is_ordered_and_identical_points_are_stored_once(
    contract_store: StoreUnderTest, names: Names
) -> None:
    store = contract_store.tracking
    rid = _run(contract_store, names)
    batch = [
        Metric("loss", 0.3, 130, 2),
        Metric("loss", 0.1, 110, 0),
        Metric("loss", 0.2, 120, 1),
        Metric("loss", 0.25, 125, 1),
        Metric("loss", math.nan, 140, 3),
    ]
    store.log_batch(rid, metrics=batch)
    store.log_batch(rid, metrics=batch)  # a retried batch adds nothing
    store.log_metric(rid, Metric("loss", 0.1, 110, 0))
    history = store.get_metric_history(rid, "loss")
    assert _points(history)[:4] == [(0, 110, 0.1), (1, 120, 0.2), (1, 125, 0.25), (2, 130, 0.3)]
    assert len(history) == 5
    assert (history[4].step, history[4].timestamp, math.isnan(history[4].value)) == (3, 140, True)
    assert {(m.key, m.run_id) for m in history} == {("loss", rid)}
    # The same step and time with another value is another point.
    store.log_metric(rid, Metric("loss", 0.35, 130, 2))
    assert len(store.get_metric_history(rid, "loss")) == 6


def test_metric_history_pages(contract_store: StoreUnderTest, names: Names) -> None:
    store = contract_store.tracking
    rid = _run(contract_store, names)
    store.log_batch(rid, metrics=[Metric("x", float(s), 1000 + s, s) for s in range(7)])
    got = pages(lambda token: store.get_metric_history(rid, "x", 3, token))
    assert [len(page) for page in got] == [3, 3, 1]
    assert [m.step for page in got for m in page] == list(range(7))
    assert store.get_metric_history(rid, "x").token is None
    assert store.get_metric_history(rid, "never-logged") == []


def test_metric_history_of_a_missing_run_is_not_found(contract_store: StoreUnderTest) -> None:
    with pytest.raises(NotFoundError):
        contract_store.tracking.get_metric_history("f" * 32, "loss")


def test_a_batch_larger_than_one_request(contract_store: StoreUnderTest, names: Names) -> None:
    """Past MLflow's per-request limits (1,000 metrics, 100 params): every item is kept."""
    store = contract_store.tracking
    rid = _run(contract_store, names)
    store.log_batch(
        rid,
        metrics=[Metric("m", float(i), 1000, i) for i in range(1500)],
        params=[Param(f"p{i}", str(i)) for i in range(150)],
        tags=[RunTag(f"t{i}", str(i)) for i in range(120)],
    )
    run = store.get_run(rid)
    assert len(run.data.params) == 150
    assert sum(key.startswith("t") for key in run.data.tags) == 120
    assert run.data.metrics["m"] == 1499.0
    assert len(store.get_metric_history(rid, "m")) == 1500


def test_params_are_immutable(contract_store: StoreUnderTest, names: Names) -> None:
    store = contract_store.tracking
    rid = _run(contract_store, names)
    store.log_param(rid, Param("lr", "0.01"))
    store.log_batch(rid, params=[Param("lr", "0.01")])  # the same value again: fine
    with pytest.raises(ConflictError) as refused:
        store.log_param(rid, Param("lr", "0.02"))
    for part in ("'lr'", "0.01", "0.02"):
        assert part in refused.value.message
    assert store.get_run(rid).data.params == {"lr": "0.01"}


def test_a_refused_batch_writes_nothing(contract_store: StoreUnderTest, names: Names) -> None:
    store = contract_store.tracking
    rid = _run(contract_store, names)
    store.log_batch(rid, params=[Param("fixed", "1")])
    with pytest.raises(ConflictError):
        store.log_batch(
            rid,
            metrics=[Metric("loss", 0.5, 1, 0)],
            params=[Param("new", "x"), Param("fixed", "2")],
            tags=[RunTag("t", "v")],
        )
    run = store.get_run(rid)
    assert run.data.params == {"fixed": "1"}
    assert run.data.metrics == {}
    assert "t" not in run.data.tags
    assert store.get_metric_history(rid, "loss") == []


def test_log_metric_convenience(contract_store: StoreUnderTest, names: Names) -> None:
    store = contract_store.tracking
    rid = _run(contract_store, names)
    store.log_metric(rid, Metric("acc", 0.5, 100, 1))
    store.log_metric(rid, Metric("acc", 0.7, 200, 2))
    assert store.get_run(rid).data.metrics == {"acc": 0.7}
    assert _points(store.get_metric_history(rid, "acc")) == [(1, 100, 0.5), (2, 200, 0.7)]


@pytest.mark.parametrize(
    ("batch", "rule"),
    [
        ({"metrics": [Metric("", 1.0, 1, 0)]}, "metric key must not be empty"),
        ({"params": [Param("a b!", "1")]}, "characters outside"),
        ({"tags": [RunTag("../up", "1")]}, "normalized relative path"),
        ({"params": [Param("k" * 251, "1")]}, "limit is 250"),
        ({"params": [Param("p", "x" * 6001)]}, "limit is 6000"),
        ({"tags": [RunTag("t", "x" * 8001)]}, "limit is 8000"),
        ({"metrics": [Metric("m", 1.0, 1, 2**63)]}, "step"),
        ({"metrics": [Metric("m", 1.0, -(2**63) - 1, 0)]}, "timestamp"),
    ],
)
def test_log_batch_refuses_bad_input(
    contract_store: StoreUnderTest, names: Names, batch: dict[str, list[object]], rule: str
) -> None:
    """Bad keys, values, steps and times are refused by name and rule, and nothing of the
    batch is written; a store never lets a database error through instead."""
    store = contract_store.tracking
    rid = _run(contract_store, names)
    given = {**batch, "metrics": [Metric("ok", 1.0, 1, 0), *batch.get("metrics", [])]}
    with pytest.raises(InvalidInputError, match=rule):
        store.log_batch(rid, **given)  # type: ignore[arg-type]
    run = store.get_run(rid)
    assert run.data.metrics == {}
    assert run.data.params == {}
    assert store.get_metric_history(rid, "ok") == []
