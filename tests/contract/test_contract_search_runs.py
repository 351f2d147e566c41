"""search_runs, count_runs_matching and group_runs: one answer for one question."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
from contract_support import START, Names, StoreUnderTest, pages

from runlab.entities import Metric, Param, RunStatus, RunTag, ViewType
from runlab.errors import InvalidInputError


@dataclass
class Runs:
    experiment_id: str
    ids: list[str]  # r0 … r4, started one millisecond apart; r4 is deleted


def _runs(store: StoreUnderTest, names: Names) -> Runs:
    """Five runs: params lr, metrics loss (0.5, 0.3, NaN, +inf) and acc, tag team."""
    tracking = store.tracking
    eid = tracking.create_experiment(names())
    rows: list[tuple[str | None, float | None, str | None, str]] = [
        ("0.1", 0.5, "a", RunStatus.FINISHED),
        ("0.01", 0.3, "b", RunStatus.RUNNING),
        ("0.1", math.nan, "a", RunStatus.FAILED),
        ("0.001", math.inf, None, RunStatus.FINISHED),
        (None, None, None, RunStatus.RUNNING),
    ]
    ids = []
    for i, (lr, loss, team, status) in enumerate(rows):
        rid = tracking.create_run(
            eid, "alice" if i % 2 else "bob", START + i, {}, f"run-{i}"
        ).run_id
        tracking.log_batch(
            rid,
            metrics=[Metric("loss", loss, START, 0), Metric("acc", 0.1 * i, START, 0)]
            if loss is not None
            else [],
            params=[Param("lr", lr)] if lr is not None else [],
            tags=[RunTag("team", team)] if team is not None else [],
        )
        tracking.update_run_info(rid, status=status)
        ids.append(rid)
    tracking.delete_run(ids[4])
    return Runs(eid, ids)


def _found(store: StoreUnderTest, runs: Runs, text: str | None, **kw: object) -> list[int]:
    """The positions (0 … 4) of the runs a search returns, in the order returned."""
    found = store.tracking.search_runs([runs.experiment_id], text, **kw)  # type: ignore[arg-type]
    return [runs.ids.index(r.info.run_id) for r in found]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metrics.loss < 0.4", {1}),
        ("metrics.loss >= 0.5", {0, 3}),
        ("metrics.acc > 0.15 AND metrics.acc <= 0.35", {2, 3}),
        ("params.lr = '0.1'", {0, 2}),
        ("params.lr IN ('0.01', '0.001')", {1, 3}),
        ("params.lr LIKE '0.0%'", {1, 3}),
        ("tags.team = 'a'", {0, 2}),
        ("tags.team != 'a'", {1}),
        ("tags.team ILIKE 'B'", {1}),
        ("attributes.status = 'FINISHED'", {0, 3}),
        ("attributes.status != 'FINISHED'", {1, 2}),
        ("attributes.run_name = 'run-2'", {2}),
        ("attributes.user_id = 'alice'", {1, 3}),
        (f"attributes.start_time >= {START + 2}", {2, 3}),
        ("params.lr = '0.1' AND tags.team = 'a' AND metrics.loss > 0", {0}),
        ("params.lr = '0.001' OR tags.team = 'b'", {1, 3}),
        (None, {0, 1, 2, 3}),
    ],
)
def test_search_runs_filters(
    contract_store: StoreUnderTest, names: Names, text: str | None, expected: set[int]
) -> None:
    runs = _runs(contract_store, names)
    assert set(_found(contract_store, runs, text)) == expected
    count = contract_store.tracking.count_runs_matching([runs.experiment_id], text)
    assert count == len(expected)


def test_search_runs_by_run_id_and_view(contract_store: StoreUnderTest, names: Names) -> None:
    runs = _runs(contract_store, names)
    some = f"attributes.run_id IN ('{runs.ids[1]}', '{runs.ids[4]}')"
    assert _found(contract_store, runs, some) == [1]
    assert _found(contract_store, runs, some, run_view_type=ViewType.ALL) == [4, 1]
    assert _found(contract_store, runs, None, run_view_type=ViewType.DELETED_ONLY) == [4]
    count = contract_store.tracking.count_runs_matching
    assert count([runs.experiment_id], None, ViewType.ALL) == 5
    assert count([runs.experiment_id], None, ViewType.DELETED_ONLY) == 1
    assert contract_store.tracking.search_runs([]) == []
    assert count([]) == 0


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        (None, [3, 2, 1, 0]),  # newest first
        (["attributes.start_time ASC"], [0, 1, 2, 3]),
        (["params.lr DESC", "attributes.start_time ASC"], [0, 2, 1, 3]),
        (["tags.team ASC", "attributes.start_time DESC"], [2, 0, 1, 3]),  # missing last
        (["metrics.acc DESC"], [3, 2, 1, 0]),
        (["attributes.run_name DESC"], [3, 2, 1, 0]),
    ],
)
def test_search_runs_order_by(
    contract_store: StoreUnderTest, names: Names, order_by: list[str] | None, expected: list[int]
) -> None:
    runs = _runs(contract_store, names)
    assert _found(contract_store, runs, None, order_by=order_by) == expected


def test_search_runs_orders_nan_and_infinity_alike(
    contract_store: StoreUnderTest, names: Names
) -> None:
    runs = _runs(contract_store, names)
    up = _found(contract_store, runs, None, order_by=["metrics.loss ASC"])
    down = _found(contract_store, runs, None, order_by=["metrics.loss DESC"])
    assert up[:3] == [1, 0, 3]
    assert down[:3] == [3, 0, 1]
    assert sorted(up) == sorted(down) == [0, 1, 2, 3]


def test_search_runs_pages_with_tokens(contract_store: StoreUnderTest, names: Names) -> None:
    runs = _runs(contract_store, names)
    got = pages(
        lambda token: contract_store.tracking.search_runs(
            [runs.experiment_id], None, ViewType.ALL, 2, ["attributes.start_time ASC"], token
        )
    )
    assert [[runs.ids.index(r.info.run_id) for r in page] for page in got] == [[0, 1], [2, 3], [4]]
    first = got[0][0]
    assert (first.data.params, first.data.tags["team"]) == ({"lr": "0.1"}, "a")
    assert first.data.metrics == {"loss": 0.5, "acc": 0.0}
    token = contract_store.tracking.search_runs([runs.experiment_id], max_results=2).token
    with pytest.raises(InvalidInputError, match="query"):  # a token belongs to its query
        contract_store.tracking.search_runs(
            [runs.experiment_id], "params.lr = '0.1'", max_results=2, page_token=token
        )


def test_search_runs_refuses_bad_arguments(contract_store: StoreUnderTest, names: Names) -> None:
    store = contract_store.tracking
    eid = store.create_experiment(names())
    for bad in ("metrics.loss <", "params.lr > 'x' AND", "colour = 'red'", "metrics.loss = 'a'"):
        with pytest.raises(InvalidInputError):
            store.search_runs([eid], bad)
        with pytest.raises(InvalidInputError):
            store.count_runs_matching([eid], bad)
    with pytest.raises(InvalidInputError):
        store.search_runs([eid], order_by=["metrics.loss SIDEWAYS"])
    with pytest.raises(InvalidInputError, match="max_results"):
        store.search_runs([eid], max_results=0)
    with pytest.raises(InvalidInputError, match="token"):
        store.search_runs([eid], page_token="not-a-token")
    with pytest.raises(InvalidInputError, match="experiment"):
        store.search_runs(["not-an-id"])


def test_group_runs(contract_store: StoreUnderTest, names: Names) -> None:
    runs = _runs(contract_store, names)
    groups = contract_store.tracking.group_runs(
        [runs.experiment_id], "params.lr", metric_keys=["loss", "acc"]
    )
    assert [(g.value, g.count) for g in groups] == [("0.001", 1), ("0.01", 1), ("0.1", 2)]
    assert not groups.truncated
    point_one = groups[2].metrics
    assert (point_one["loss"].min, point_one["loss"].max, point_one["loss"].count) == (0.5, 0.5, 1)
    assert point_one["acc"].mean == pytest.approx(0.1)
    assert groups[0].metrics["loss"].mean is not None
    assert math.isinf(groups[0].metrics["loss"].mean)
    by_team = contract_store.tracking.group_runs(
        [runs.experiment_id], "tags.team", run_view_type=ViewType.ALL, max_groups=2
    )
    assert [(g.value, g.count) for g in by_team] == [("a", 2), ("b", 1)]
    assert by_team.truncated
    by_status = contract_store.tracking.group_runs(
        [runs.experiment_id], "attributes.status", "params.lr = '0.1'"
    )
    assert [(g.value, g.count) for g in by_status] == [("FAILED", 1), ("FINISHED", 1)]
    every = contract_store.tracking.group_runs(
        [runs.experiment_id], "tags.team", None, ViewType.ALL
    )
    assert [(g.value, g.count) for g in every] == [("a", 2), ("b", 1), (None, 2)]


@pytest.mark.parametrize(
    ("group_by", "rule"),
    [("metrics.loss", "metric"), ("attributes.run_name", "attributes"), ("", "group_by")],
)
def test_group_runs_refuses_bad_keys(
    contract_store: StoreUnderTest, names: Names, group_by: str, rule: str
) -> None:
    eid = contract_store.tracking.create_experiment(names())
    with pytest.raises(InvalidInputError, match=rule):
        contract_store.tracking.group_runs([eid], group_by)
