"""metrics/get-history (paged), get-history-bulk and get-history-bulk-interval."""

from __future__ import annotations

import pytest
from tests.server.conftest import Api

from runlab.store.base import sample_steps


def _log(api: Api, run_id: str, key: str, steps: range) -> None:
    api.ok_post(
        "runs/log-batch",
        {
            "run_id": run_id,
            "metrics": [
                {"key": key, "value": s * 1.5, "timestamp": 100 + s, "step": s} for s in steps
            ],
        },
    )


def test_history_pages_through_every_point(api: Api) -> None:
    run_id = api.new_run()
    _log(api, run_id, "loss", range(25))
    seen, token = [], None
    while True:
        params = {"run_id": run_id, "metric_key": "loss", "max_results": 10}
        if token:
            params["page_token"] = token
        page = api.ok_get("metrics/get-history", **params)
        seen += page["metrics"]
        token = page.get("next_page_token")
        if not token:
            break
    assert [p["step"] for p in seen] == list(range(25))
    assert seen[3] == {"key": "loss", "value": 4.5, "timestamp": 103, "step": 3}
    everything = api.ok_get("metrics/get-history", run_uuid=run_id, metric_key="loss")
    assert len(everything["metrics"]) == 25
    assert "next_page_token" not in everything


def test_history_errors(api: Api) -> None:
    status, body = api.get("metrics/get-history", run_id="missing", metric_key="m")
    assert (status, body["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
    run_id = api.new_run()
    assert api.ok_get("metrics/get-history", run_id=run_id, metric_key="never")["metrics"] == []
    status, body = api.get("metrics/get-history", run_id=run_id)
    assert (status, body["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    assert "metric_key" in body["message"]
    status, body = api.get("metrics/get-history", run_id=run_id, metric_key="m", max_results=0)
    assert (status, body["error_code"]) == (400, "INVALID_PARAMETER_VALUE")


def test_bulk_interval_samples_steps_across_runs(api: Api) -> None:
    a, b = api.new_run(), api.new_run()
    _log(api, a, "loss", range(0, 1000))
    _log(api, b, "loss", range(0, 500))
    r = api.client.get(
        f"{api.prefix}/metrics/get-history-bulk-interval",
        params=[("run_ids", a), ("run_ids", b), ("metric_key", "loss"), ("max_results", 11)],
    )
    assert r.status_code == 200, r.text
    points = r.json()["metrics"]
    steps_a = [p["step"] for p in points if p["run_id"] == a]
    steps_b = [p["step"] for p in points if p["run_id"] == b]
    assert len(steps_a) == 11
    assert (steps_a[0], steps_a[-1]) == (0, 999)
    assert steps_a == sorted(steps_a)
    assert set(steps_b) <= set(steps_a)
    windowed = api.client.get(
        f"{api.prefix}/metrics/get-history-bulk-interval",
        params={"run_ids": a, "metric_key": "loss", "start_step": 10, "end_step": 20},
    ).json()["metrics"]
    assert [p["step"] for p in windowed] == list(range(10, 21))
    assert windowed[0] == {"key": "loss", "value": 15.0, "timestamp": 110, "step": 10, "run_id": a}


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"metric_key": "loss"}, "run_ids"),
        ({"run_ids": "x", "metric_key": "loss", "max_results": 2501}, "max_results"),
        ({"run_ids": "x", "metric_key": "loss", "start_step": 5, "end_step": 1}, "start_step"),
    ],
)
def test_bulk_interval_errors(api: Api, params: dict, fragment: str) -> None:
    status, body = api.get("metrics/get-history-bulk-interval", **params)
    assert (status, body["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    assert fragment in body["message"]


def test_bulk_interval_refuses_more_than_100_runs(api: Api) -> None:
    params = [("run_ids", f"r{i}") for i in range(101)] + [("metric_key", "m")]
    r = api.client.get(f"{api.prefix}/metrics/get-history-bulk-interval", params=params)
    assert r.status_code == 400
    assert "100" in r.json()["message"]


def test_bulk_history_for_the_ui(api: Api) -> None:
    a, b = api.new_run(), api.new_run()
    _log(api, a, "m", range(3))
    _log(api, b, "m", range(2))
    r = api.client.get(
        "/ajax-api/2.0/mlflow/metrics/get-history-bulk",
        params=[("run_id", a), ("run_id", b), ("metric_key", "m")],
    )
    assert r.status_code == 200
    assert [(p["run_id"], p["step"]) for p in r.json()["metrics"]] == [
        (a, 0),
        (a, 1),
        (a, 2),
        (b, 0),
        (b, 1),
    ]


@pytest.mark.parametrize(
    ("steps", "limit", "expected"),
    [
        ([1, 2, 3], 5, {1, 2, 3}),
        (list(range(10)), 2, {0, 9}),
        (list(range(10)), 1, {9}),
        (list(range(101)), 5, {0, 25, 50, 75, 100}),
    ],
)
def test_sample_steps(steps: list[int], limit: int, expected: set[int]) -> None:
    assert set(sample_steps(steps, limit)) == expected
