"""The charts workspace's endpoints on the real app, over SQLite and PostgreSQL: many runs'
downsampled series in one request, the points logged since a step, and clear 400s."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.server.conftest import TestClient, make_client

from runlab.entities import Metric, RunStatus
from runlab.store.sql.store import SqlStore

BATCH = "/ajax-api/2.0/runlab/metrics/downsampled/batch"
UPDATES = "/ajax-api/2.0/runlab/metrics/updates"


@pytest.fixture
def served(store_uri: str, tmp_path: Path) -> Iterator[tuple[TestClient, SqlStore, list[str]]]:
    client, store, _ = make_client(store_uri, tmp_path)
    eid = store.create_experiment("workspace")
    runs = [store.create_run(eid, "u", 1000, {}, f"r{i}").run_id for i in range(3)]
    for i, run_id in enumerate(runs):
        points = [Metric("loss", 1.0 / (s + 1) + i, 10_000 + s, s) for s in range(1000)]
        points[500] = Metric("loss", 99.0, 10_500, 500)  # a spike the thinning keeps
        points[600] = Metric("loss", math.nan, 10_600, 600)
        store.log_batch(run_id, metrics=points)
        store.log_batch(run_id, metrics=[Metric("system/cpu", 50.0 + i, 10_000, 0)])
    with client:
        yield client, store, runs
    store.close()


def test_batch_answers_every_run_and_key_thinned(
    served: tuple[TestClient, SqlStore, list[str]],
) -> None:
    client, store, runs = served
    body = {"run_ids": runs, "metric_keys": ["loss", "system/cpu", "never"], "max_points": 100}
    answer = client.post(BATCH, json=body)
    assert answer.status_code == 200, answer.text
    series = {(s["run_id"], s["metric_key"]): s for s in answer.json()["series"]}
    assert set(series) == {(r, k) for r in runs for k in ("loss", "system/cpu")}  # none "never"
    for run_id in runs:
        loss = series[(run_id, "loss")]
        assert len(loss["step"]) <= 100
        assert loss["step"][0] == 0
        assert loss["step"][-1] == 999
        assert 99.0 in loss["value"]
        alone = store.get_metric_history_downsampled(run_id, "loss", 100)
        assert loss["step"] == [m.step for m in alone]
        assert series[(run_id, "system/cpu")]["value"] == [50.0 + runs.index(run_id)]
    # Also under /api, for scripts.
    assert client.post(BATCH.replace("ajax-api", "api"), json=body).json() == answer.json()


def test_updates_send_only_what_is_new_and_the_statuses(
    served: tuple[TestClient, SqlStore, list[str]],
) -> None:
    client, store, runs = served
    a, b, c = runs
    store.update_run_info(c, RunStatus.FINISHED, 5000)
    store.log_batch(
        a, metrics=[Metric("loss", 0.5, 20_000, 1000), Metric("loss", 0.4, 20_001, 1001)]
    )
    body = {
        "run_ids": runs,
        "metric_keys": ["loss"],
        "after_step": {a: {"loss": 999}, b: {"loss": 999}, c: {"loss": 998}},
    }
    answer = client.post(UPDATES, json=body)
    assert answer.status_code == 200, answer.text
    got = answer.json()
    assert {r["run_id"]: r["status"] for r in got["runs"]} == {
        a: "RUNNING",
        b: "RUNNING",
        c: "FINISHED",
    }
    series = {s["run_id"]: s for s in got["series"]}
    assert set(series) == {a, c}  # b has nothing new
    assert series[a]["step"] == [1000, 1001]
    assert series[a]["value"] == [0.5, 0.4]
    assert series[c]["step"] == [999]
    # Non-finite values travel as strings, as in the rest of the API.
    nan = client.post(UPDATES, json={**body, "after_step": {a: {"loss": 599}}, "max_points": 4})
    first = {s["run_id"]: s for s in nan.json()["series"]}[a]
    assert first["step"] == [600, 601, 602, 603]
    assert first["value"][0] == "NaN"


@pytest.mark.parametrize(
    ("url", "change", "field"),
    [
        (BATCH, {"run_ids": []}, "run_ids"),
        (BATCH, {"metric_keys": []}, "metric_keys"),
        (BATCH, {"run_ids": [f"{i:032x}" for i in range(101)]}, "run_ids"),
        (BATCH, {"max_points": "lots"}, "max_points"),
        (BATCH, {"max_points": 2}, "max_points"),
        (BATCH, {"x_axis": "wall"}, "x_axis"),
        (BATCH, {"run_ids": "abc"}, "run_ids"),
        (UPDATES, {"metric_keys": [""]}, "metric_keys"),
        (UPDATES, {"after_step": {"x": {"loss": "ten"}}}, "after_step"),
        (UPDATES, {"after_step": ["loss"]}, "after_step"),
        (UPDATES, {"max_points": 0}, "max_points"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    served: tuple[TestClient, SqlStore, list[str]], url: str, change: dict[str, Any], field: str
) -> None:
    client, _, runs = served
    body = {"run_ids": runs[:1], "metric_keys": ["loss"], **change}
    answer = client.post(url, json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert field in answer.json()["message"]


def test_a_missing_run_is_404(served: tuple[TestClient, SqlStore, list[str]]) -> None:
    client, _, runs = served
    for url in (BATCH, UPDATES):
        answer = client.post(url, json={"run_ids": [runs[0], "f" * 32], "metric_keys": ["loss"]})
        assert answer.status_code == 404
        assert answer.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
