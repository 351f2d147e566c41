"""Runs grouped by a param, tag or attribute, computed in SQL on SQLite and PostgreSQL,
checked against hand-computed answers and the store-independent reference."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator

import pytest

from runlab.entities import Metric, MetricSummary, Param, RunGroup, RunTag
from runlab.errors import InvalidInputError
from runlab.store.base import TrackingStore
from runlab.tracking.client import RunlabClient


@pytest.fixture
def client(store_uri: str, tmp_path) -> Iterator[RunlabClient]:
    client = RunlabClient(store_uri)
    yield client
    client.store.close()


def _run(client: RunlabClient, exp: str, params: dict, tags: dict, metrics: dict) -> str:
    run_id = client.create_run(exp).info.run_id
    client.log_batch(
        run_id,
        metrics=[Metric(k, v, 0, 0) for k, v in metrics.items()],
        params=[Param(k, v) for k, v in params.items()],
        tags=[RunTag(k, v) for k, v in tags.items()],
    )
    return run_id


def test_groups_by_param_with_metric_summaries(client: RunlabClient) -> None:
    exp = client.create_experiment("grouped")
    _run(client, exp, {"lr": "0.01"}, {"team": "a"}, {"acc": 0.5, "loss": 1.0})
    _run(client, exp, {"lr": "0.01"}, {"team": "b"}, {"acc": 0.7})
    _run(client, exp, {"lr": "0.1"}, {"team": "a"}, {"acc": math.nan, "loss": 2.0})
    _run(client, exp, {}, {}, {"acc": 0.9})
    other = client.create_experiment("elsewhere")
    _run(client, other, {"lr": "0.01"}, {}, {"acc": 0.0})

    groups = client.group_runs(exp, "params.lr", metric_keys=["acc", "loss"])
    assert not groups.truncated
    assert groups == [
        RunGroup(
            "0.01",
            2,
            {
                "acc": MetricSummary(0.5, 0.7, pytest.approx(0.6), 2),
                "loss": MetricSummary(1.0, 1.0, 1.0, 1),
            },
        ),
        # NaN is left out of the summary, not counted as a value.
        RunGroup(
            "0.1",
            1,
            {"acc": MetricSummary(None, None, None, 0), "loss": MetricSummary(2.0, 2.0, 2.0, 1)},
        ),
        RunGroup(
            None,
            1,
            {"acc": MetricSummary(0.9, 0.9, 0.9, 1), "loss": MetricSummary(None, None, None, 0)},
        ),
    ]
    by_tag = client.group_runs(exp, "tags.team")
    assert [(g.value, g.count, g.metrics) for g in by_tag] == [
        ("a", 2, {}),
        ("b", 1, {}),
        (None, 1, {}),
    ]
    # Both experiments at once, and a filter that compiles to SQL like a search's.
    both = client.group_runs([exp, other], "params.lr", filter_string="metrics.acc < 0.6")
    assert [(g.value, g.count) for g in both] == [("0.01", 2)]


def test_groups_by_attribute_view_and_limit(client: RunlabClient) -> None:
    exp = client.create_experiment("statuses")
    ids = [_run(client, exp, {"i": str(i)}, {}, {}) for i in range(5)]
    client.set_terminated(ids[0], "FAILED")
    client.set_terminated(ids[1], "FINISHED")
    client.delete_run(ids[2])
    groups = client.group_runs(exp, "attributes.status")
    assert [(g.value, g.count) for g in groups] == [("FAILED", 1), ("FINISHED", 1), ("RUNNING", 2)]
    everything = client.group_runs(exp, "attributes.status", run_view_type="ALL")
    assert sum(g.count for g in everything) == 5
    first_two = client.group_runs(exp, "params.i", max_groups=2)
    assert [g.value for g in first_two] == ["0", "1"]
    assert first_two.truncated
    assert client.group_runs(exp, "params.`i`", max_groups=4).truncated is False


def test_infinities_in_summaries(client: RunlabClient) -> None:
    exp = client.create_experiment("infinite")
    _run(client, exp, {"g": "x"}, {}, {"m": math.inf})
    _run(client, exp, {"g": "x"}, {}, {"m": -math.inf})
    _run(client, exp, {"g": "y"}, {}, {"m": math.inf})
    _run(client, exp, {"g": "y"}, {}, {"m": 1.0})
    x, y = client.group_runs(exp, "params.g", metric_keys=["m"])
    # The mean of both infinities is undefined; min and max are still the infinities.
    assert x.metrics["m"] == MetricSummary(-math.inf, math.inf, None, 2)
    assert y.metrics["m"] == MetricSummary(1.0, math.inf, math.inf, 2)


def test_sql_matches_the_reference_implementation(client: RunlabClient) -> None:
    rng = random.Random(7)
    exp = client.create_experiment("random")
    for _ in range(60):
        params = {"opt": rng.choice(["adam", "sgd", "rmsprop"])} if rng.random() < 0.8 else {}
        tags = {"team": rng.choice(["x", "y"])} if rng.random() < 0.7 else {}
        metrics = {"loss": rng.choice([rng.uniform(0, 3), math.nan])} if rng.random() < 0.9 else {}
        _run(client, exp, params, tags, metrics)
    for key in ("params.opt", "tags.team", "attributes.status", "attributes.user_id"):
        for where in ("", "metrics.loss > 1", "tags.team = 'x' OR params.opt = 'sgd'"):
            got = client.group_runs(exp, key, where, metric_keys=["loss", "absent"])
            expected = TrackingStore.group_runs(
                client.store, [exp], key, where or None, metric_keys=["loss", "absent"]
            )
            assert [(g.value, g.count) for g in got] == [(g.value, g.count) for g in expected]
            for a, b in zip(got, expected, strict=True):
                for k in ("loss", "absent"):
                    sa, sb = a.metrics[k], b.metrics[k]
                    assert (sa.min, sa.max, sa.count) == (sb.min, sb.max, sb.count)
                    assert sa.mean == pytest.approx(sb.mean)


@pytest.mark.parametrize(
    ("group_by", "message"),
    [
        ("", "group_by must name a param, tag or attribute"),
        ("metrics.loss", "not a metric"),
        ("attributes.start_time", "attributes.status, attributes.user_id"),
        ("params.lr DESC", "without ASC or DESC"),
        ("params.", "not a valid key"),
        ("colour.red", "not a valid key"),
    ],
)
def test_bad_group_keys_name_the_rule(client: RunlabClient, group_by: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        client.group_runs("0", group_by)


def test_bad_metric_keys_and_limits(client: RunlabClient) -> None:
    with pytest.raises(InvalidInputError, match="metric_keys must be a list"):
        client.group_runs("0", "params.a", metric_keys="loss")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="at most 20"):
        client.group_runs("0", "params.a", metric_keys=[f"m{i}" for i in range(21)])
    with pytest.raises(InvalidInputError, match="max_groups must be between 1 and 10000"):
        client.group_runs("0", "params.a", max_groups=0)
    with pytest.raises(InvalidInputError, match="position"):
        client.group_runs("0", "params.a", filter_string="params.a = ")
