"""Paging a run search: the pages of any order, put together, are the one-page answer,
with ties on every sort key, missing values and NaN; runs added between pages neither
repeat nor hide a run that was there."""

from __future__ import annotations

import math
from typing import Any

import pytest
from contract_support import START, Names, StoreUnderTest, pages

from runlab.entities import Metric, Param, Run, RunTag, ViewType
from runlab.errors import InvalidInputError

# Per run: start offset (pairs tie), metric m (NaN, missing), param p, tag t, name.
_ROWS: list[tuple[int, float | None, str | None, str | None, str]] = [
    (0, 0.5, "b", "x", "r0"),
    (0, 0.5, "a", "y", "r1"),
    (1, 0.2, "b", None, "r2"),
    (1, math.nan, None, "x", "r0"),
    (2, None, "a", "y", "r1"),
    (2, 0.5, "b", "x", "r2"),
    (3, 0.9, "c", None, "r0"),
    (3, None, "a", "x", "r1"),
    (4, 0.2, None, "y", "r2"),
]


def _experiment(store: StoreUnderTest, names: Names) -> tuple[str, list[str]]:
    tracking = store.tracking
    eid = tracking.create_experiment(names())
    ids = []
    for offset, m, p, t, name in _ROWS:
        rid = tracking.create_run(eid, "u", START + offset, {}, name).run_id
        tracking.log_batch(
            rid,
            metrics=[] if m is None else [Metric("m", m, START, 0)],
            params=[] if p is None else [Param("p", p)],
            tags=[] if t is None else [RunTag("t", t)],
        )
        ids.append(rid)
    return eid, ids


def _reference(found: list[Run], order: list[tuple[str, str, bool]]) -> list[str]:
    """The order the search language defines, computed here: each key (missing and NaN
    last, both directions), then start time newest first, then run id."""

    def value(run: Run, kind: str, key: str) -> Any:
        if kind == "metric":
            v = run.data.metrics.get(key)
            return None if v is None or math.isnan(v) else v
        if kind == "param":
            return run.data.params.get(key)
        if kind == "tag":
            return run.data.tags.get(key)
        return {"start_time": run.info.start_time, "run_name": run.info.run_name}[key]

    ordered = sorted(found, key=lambda r: r.info.run_id)
    ordered.sort(key=lambda r: -(r.info.start_time or 0))
    for kind, key, ascending in reversed(order):
        present = [r for r in ordered if value(r, kind, key) is not None]
        missing = [r for r in ordered if value(r, kind, key) is None]
        present.sort(key=lambda r: value(r, kind, key), reverse=not ascending)
        ordered = present + missing
    return [r.info.run_id for r in ordered]


_ORDERS: list[tuple[list[str] | None, list[tuple[str, str, bool]]]] = [
    (None, []),
    (["attributes.start_time ASC"], [("attribute", "start_time", True)]),
    (["metrics.m DESC"], [("metric", "m", False)]),
    (["metrics.m ASC"], [("metric", "m", True)]),
    (["params.p ASC", "metrics.m DESC"], [("param", "p", True), ("metric", "m", False)]),
    (["tags.t DESC", "params.p ASC"], [("tag", "t", False), ("param", "p", True)]),
    (["attributes.run_name ASC"], [("attribute", "run_name", True)]),
]


@pytest.mark.parametrize(("order_by", "order"), _ORDERS, ids=lambda o: repr(o))
@pytest.mark.parametrize("size", [1, 2, 4])
def test_pages_of_any_order_make_the_whole_answer(
    contract_store: StoreUnderTest,
    names: Names,
    order_by: list[str] | None,
    order: list[tuple[str, str, bool]],
    size: int,
) -> None:
    eid, ids = _experiment(contract_store, names)
    tracking = contract_store.tracking
    whole = list(tracking.search_runs([eid], None, ViewType.ALL, 1000, order_by))
    assert [r.info.run_id for r in whole] == _reference(whole, order)
    got = pages(
        lambda token: tracking.search_runs([eid], None, ViewType.ALL, size, order_by, token)
    )
    assert all(len(page) == size for page in got[:-1])
    assert [r.info.run_id for page in got for r in page] == [r.info.run_id for r in whole]
    assert sorted(r.info.run_id for r in whole) == sorted(ids)


@pytest.mark.parametrize("order_by", [None, ["metrics.m DESC"], ["params.p ASC"]])
def test_runs_added_between_pages_neither_repeat_nor_hide_runs(
    contract_store: StoreUnderTest, names: Names, order_by: list[str] | None
) -> None:
    eid, ids = _experiment(contract_store, names)
    tracking = contract_store.tracking
    first = tracking.search_runs([eid], None, ViewType.ALL, 3, order_by)
    later: list[str] = []
    for offset in (-5, 2, 10):  # before, among and after the runs already there
        rid = tracking.create_run(eid, "u", START + offset, {}, "late").run_id
        tracking.log_batch(rid, [Metric("m", 0.5, START, 0)], [Param("p", "b")], [])
        later.append(rid)
    token = first.token
    rest: list[str] = []
    while token:
        page = tracking.search_runs([eid], None, ViewType.ALL, 3, order_by, token)
        rest += [r.info.run_id for r in page]
        token = page.token
    seen = [r.info.run_id for r in first] + rest
    assert len(seen) == len(set(seen)), "a run came back twice"
    assert set(ids) <= set(seen), "a run that was there before the first page was skipped"
    whole = [r.info.run_id for r in tracking.search_runs([eid], None, ViewType.ALL, 1000, order_by)]
    # Whatever was returned after the first page is in the final order of the runs.
    assert rest == [r for r in whole if r in set(rest)]


def test_filtered_search_pages_through_a_selective_condition(
    contract_store: StoreUnderTest, names: Names
) -> None:
    tracking = contract_store.tracking
    eid = tracking.create_experiment(names())
    wanted = []
    for i in range(12):
        rid = tracking.create_run(eid, "u", START + i // 3, {}, f"r{i}").run_id
        p = "x" if i % 4 == 0 else "y"
        tracking.log_batch(rid, [Metric("m", i / 10, START, 0)], [Param("p", p)], [])
        if p == "x" and i >= 4:
            wanted.append(rid)
    text = "params.p = 'x' AND metrics.m >= 0.4"
    assert tracking.count_runs_matching([eid], text) == 2
    got = pages(lambda token: tracking.search_runs([eid], text, max_results=1, page_token=token))
    assert [r.info.run_id for page in got for r in page] == wanted[::-1]  # newest first


def test_a_token_of_another_order_is_refused(contract_store: StoreUnderTest, names: Names) -> None:
    eid, _ = _experiment(contract_store, names)
    token = contract_store.tracking.search_runs([eid], max_results=2).token
    with pytest.raises(InvalidInputError, match="query"):
        contract_store.tracking.search_runs(
            [eid], max_results=2, order_by=["metrics.m DESC"], page_token=token
        )


def _selective(store: StoreUnderTest, names: Names, others: int) -> tuple[str, list[str]]:
    """The runs of _ROWS with ``sel = 'on'``, among ``others`` runs without it: with few
    of the experiment's runs named by it, ``params.sel = 'on'`` drives an SQL search."""
    eid, ids = _experiment(store, names)
    for rid in ids:
        store.tracking.log_batch(rid, params=[Param("sel", "on")])
    _fill(store, eid, others, "off")
    return eid, ids


def _fill(store: StoreUnderTest, eid: str, n: int, sel: str) -> None:
    for i in range(n):
        rid = store.tracking.create_run(eid, "u", START + 10 + i, {}, f"o{i}").run_id
        store.tracking.log_batch(rid, [Metric("m", 0.1, START, 0)], [Param("sel", sel)], [])


@pytest.mark.parametrize(("order_by", "order"), _ORDERS, ids=lambda o: repr(o))
def test_pages_of_a_selective_filter_make_the_whole_answer_in_any_order(
    contract_store: StoreUnderTest,
    names: Names,
    order_by: list[str] | None,
    order: list[tuple[str, str, bool]],
) -> None:
    eid, ids = _selective(contract_store, names, others=30)
    tracking = contract_store.tracking
    text = "params.sel = 'on'"
    whole = list(tracking.search_runs([eid], text, ViewType.ALL, 1000, order_by))
    assert sorted(r.info.run_id for r in whole) == sorted(ids)
    assert [r.info.run_id for r in whole] == _reference(whole, order)
    for size in (1, 2, 4):
        got = pages(
            lambda t, n=size: tracking.search_runs([eid], text, ViewType.ALL, n, order_by, t)
        )
        assert [r.info.run_id for page in got for r in page] == [r.info.run_id for r in whole]


@pytest.mark.parametrize("order_by", [None, ["metrics.m DESC"], ["params.p ASC"], ["tags.t DESC"]])
@pytest.mark.parametrize("becomes", ["selective", "unselective"])
def test_a_token_stays_good_when_the_filter_changes_selectivity_between_pages(
    contract_store: StoreUnderTest, names: Names, order_by: list[str] | None, becomes: str
) -> None:
    """Runs added between pages can make a condition selective or not: a store may read
    the next page another way, and the token still resumes where the last page ended
    (the runs that were there come in their order, each once)."""
    others = 0 if becomes == "selective" else 30
    eid, ids = _selective(contract_store, names, others=others)
    tracking = contract_store.tracking
    text = "params.sel = 'on'"
    whole = [r.info.run_id for r in tracking.search_runs([eid], text, ViewType.ALL, 1000, order_by)]
    seen: list[str] = []
    page = tracking.search_runs([eid], text, ViewType.ALL, 1, order_by)
    for i in range(4):  # after page 2 the added runs change how selective it is
        seen += [r.info.run_id for r in page if r.info.run_id in set(ids)]
        if i == 1:
            _fill(contract_store, eid, 40, "off" if becomes == "selective" else "on")
        page = tracking.search_runs([eid], text, ViewType.ALL, 2, order_by, page.token)
    while True:
        seen += [r.info.run_id for r in page if r.info.run_id in set(ids)]
        if not page.token:
            break
        page = tracking.search_runs([eid], text, ViewType.ALL, 2, order_by, page.token)
    assert seen == whole


def test_ordering_by_a_param_compares_whole_values_past_the_indexed_prefix(
    contract_store: StoreUnderTest, names: Names
) -> None:
    tracking = contract_store.tracking
    eid = tracking.create_experiment(names())
    values = ["a" * 200 + "c", "a" * 200 + "b", "a" * 199 + "b", "b", "a" * 200, "a" * 201]
    by_value = {}
    for i, value in enumerate(values):
        rid = tracking.create_run(eid, "u", START + i, {}, f"r{i}").run_id
        tracking.log_batch(rid, params=[Param("long", value)], tags=[RunTag("long", value)])
        by_value[value] = rid
    for key in ("params.long", "tags.long"):
        for direction in ("ASC", "DESC"):
            want = [by_value[v] for v in sorted(values, reverse=direction == "DESC")]
            order_by = [f"{key} {direction}"]
            got = pages(
                lambda t, o=order_by: tracking.search_runs(
                    [eid], max_results=2, order_by=o, page_token=t
                )
            )
            assert [r.info.run_id for page in got for r in page] == want
    equal = tracking.search_runs([eid], f"params.long = '{'a' * 200}b'")
    assert [r.info.run_id for r in equal] == [by_value["a" * 200 + "b"]]
    listed = tracking.search_runs([eid], f"params.long IN ('b', '{'a' * 201}')")
    assert {r.info.run_id for r in listed} == {by_value["b"], by_value["a" * 201]}
