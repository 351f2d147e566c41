"""A DataFrame search over HTTP reads the answer straight into columns, with the same
result as building runs first; the server's answer comes gzipped."""

from __future__ import annotations

import math
from typing import Any

import httpx
from tests.rest.rest_support import Remote

from runlab.entities import Metric, Param, RunTag, ViewType
from runlab.store.rest.store import RestStore
from runlab.store.run_table import RunTable


def _same(a: list[Any], b: list[Any]) -> bool:
    return all(
        (isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y))
        or x == y
        for x, y in zip(a, b, strict=True)
    )


def _equal(mine: RunTable, theirs: RunTable) -> None:
    for name in ("run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"):
        assert getattr(mine, name) == getattr(theirs, name), name
    for name in ("metrics", "params", "tags"):
        a, b = getattr(mine, name), getattr(theirs, name)
        assert list(a) == list(b), name  # same columns, same order
        for key in a:
            assert _same(a[key], b[key]), (name, key)
    assert mine.token == theirs.token


def test_columns_equal_the_runs_path(remote: Remote) -> None:
    client = remote.client
    for i in range(12):
        run_id = client.create_run(remote.experiment_id, run_name=f"r{i}").info.run_id
        metrics = [Metric("loss", 1 / (i + 1), 1, 1)]
        if i % 3 == 0:
            metrics += [Metric("nan", math.nan, 1, 0), Metric("inf", -math.inf, 1, 0)]
        client.log_batch(
            run_id,
            metrics=metrics,
            params=[Param("lr", str(i))] if i % 2 else [],
            tags=[RunTag("odd", "yes")] if i % 2 else [],
        )
        if i % 5 == 0:
            client.set_terminated(run_id)
        if i == 7:
            client.delete_run(run_id)
    store = client.store
    assert isinstance(store, RestStore)
    for view in (ViewType.ACTIVE_ONLY, ViewType.ALL):
        token = None
        while True:
            query = ([remote.experiment_id], None, view, 5, ["metrics.loss DESC"], token)
            page = store.search_runs(*query)
            table = store.search_run_table(*query)
            _equal(table, RunTable.from_runs(page, page.token))
            assert len(table) == len(page) > 0
            token = table.token
            if not token:
                break
    assert store.search_run_table([], None).run_id == []
    frame = client.search_runs_table([remote.experiment_id], run_view_type=ViewType.ALL)
    assert len(frame) == 12
    assert any(math.isnan(v) for v in frame.metrics["nan"])


def test_search_answer_is_gzipped(runlab_server: str) -> None:
    body = {"experiment_ids": ["0"], "max_results": 1000}
    experiment = httpx.post(f"{runlab_server}/api/2.0/mlflow/experiments/create",
                            json={"name": "gzip-check"}).json()["experiment_id"]  # fmt: skip
    for _ in range(20):
        httpx.post(
            f"{runlab_server}/api/2.0/mlflow/runs/create", json={"experiment_id": experiment}
        )
    body["experiment_ids"] = [experiment]
    answer = httpx.post(f"{runlab_server}/api/2.0/mlflow/runs/search", json=body)
    assert answer.headers.get("content-encoding") == "gzip"  # httpx asks for it by default
    assert len(answer.json()["runs"]) == 20
