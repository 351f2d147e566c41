"""Metric history pages of the SQL store: keyset tokens, ties, non-finite values."""

from __future__ import annotations

import math

import pytest

from runlab.entities import Metric
from runlab.errors import InvalidInputError
from runlab.store.sql import _pages
from runlab.store.sql.store import SqlStore


def _points(history: list[Metric]) -> list[tuple[int, int, float | str]]:
    return [(m.step, m.timestamp, "nan" if math.isnan(m.value) else m.value) for m in history]


def _all_pages(store: SqlStore, run_id: str, size: int) -> list[Metric]:
    found: list[Metric] = []
    token = None
    while True:
        page = store.get_metric_history(run_id, "loss", size, token)
        assert len(page) <= size
        found += page
        token = page.token
        if not token:
            return found


@pytest.mark.parametrize("size", [1, 2, 3, 7, 100])
def test_pages_join_into_the_whole_history(store: SqlStore, size: int) -> None:
    eid = store.create_experiment(f"pages-{size}")
    rid = store.create_run(eid, "u", 0, {}, "r").run_id
    values = [0.5, -1.0, math.inf, -math.inf, math.nan, 0.25, 1e300, -0.0]
    # equal steps, equal timestamps at one step, and every kind of value
    points = [Metric("loss", v, 100 + i % 3, i // 4) for i, v in enumerate(values * 3)]
    store.log_batch(rid, metrics=points)
    whole = store.get_metric_history(rid, "loss")
    assert len(whole) == len(points)
    assert _points(_all_pages(store, rid, size)) == _points(whole)


def test_a_page_token_is_bound_to_its_run_and_key(store: SqlStore) -> None:
    eid = store.create_experiment("pages-bound")
    rid = store.create_run(eid, "u", 0, {}, "r").run_id
    store.log_batch(rid, metrics=[Metric("loss", float(s), s, s) for s in range(5)])
    store.log_batch(rid, metrics=[Metric("acc", float(s), s, s) for s in range(5)])
    token = store.get_metric_history(rid, "loss", 2).token
    with pytest.raises(InvalidInputError, match="different query"):
        store.get_metric_history(rid, "acc", 2, token)
    fingerprint = _pages.query_fingerprint("history", rid, "loss")
    forged = _pages.encode_cursor(("history", ["x", 1, 0.5, False]), fingerprint)
    with pytest.raises(InvalidInputError, match="not a valid page token"):
        store.get_metric_history(rid, "loss", 2, forged)


def test_an_offset_token_of_an_older_server_still_pages(store: SqlStore) -> None:
    eid = store.create_experiment("pages-offset")
    rid = store.create_run(eid, "u", 0, {}, "r").run_id
    store.log_batch(rid, metrics=[Metric("loss", float(s), s, s) for s in range(5)])
    fingerprint = _pages.query_fingerprint("history", rid, "loss")
    page = store.get_metric_history(rid, "loss", 2, _pages.encode(3, fingerprint))
    assert [m.step for m in page] == [3, 4]
    assert page.token is None
