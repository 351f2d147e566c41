"""``runs/groups``: the runs table's group view over HTTP."""

from __future__ import annotations

from tests.server.conftest import Api


def _groups(api: Api, body: dict) -> tuple[int, dict]:
    r = api.client.post("/ajax-api/2.0/runlab/runs/groups", json=body)
    return r.status_code, r.json()


def test_groups_with_summaries_over_http(api: Api) -> None:
    exp = api.ok_post("experiments/create", {"name": "g"})["experiment_id"]
    for lr, acc in (("0.1", 0.5), ("0.1", "Infinity"), ("0.2", 0.25), (None, "NaN")):
        run_id = api.new_run(exp)
        batch: dict = {
            "run_id": run_id,
            "metrics": [{"key": "acc", "value": acc, "timestamp": 1, "step": 0}],
        }
        if lr:
            batch["params"] = [{"key": "lr", "value": lr}]
        api.ok_post("runs/log-batch", batch)
    status, data = _groups(
        api, {"experiment_ids": [exp], "group_by": "params.lr", "metric_keys": ["acc"]}
    )
    assert status == 200, data
    assert data == {
        "groups": [
            {
                "value": "0.1",
                "count": 2,
                "metrics": {"acc": {"min": 0.5, "max": "Infinity", "mean": "Infinity", "count": 2}},
            },
            {
                "value": "0.2",
                "count": 1,
                "metrics": {"acc": {"min": 0.25, "max": 0.25, "mean": 0.25, "count": 1}},
            },
            {
                "value": None,
                "count": 1,
                "metrics": {"acc": {"min": None, "max": None, "mean": None, "count": 0}},
            },
        ],
        "truncated": False,
    }
    status, data = _groups(
        api, {"experiment_ids": [exp], "group_by": "params.lr", "filter": "params.lr = '0.2'"}
    )
    assert [(g["value"], g["count"]) for g in data["groups"]] == [("0.2", 1)]


def test_bad_requests_are_400_naming_the_field(api: Api) -> None:
    for body, words in (
        ({"experiment_ids": ["0"], "group_by": "metrics.acc"}, "not a metric"),
        ({"experiment_ids": ["0"]}, "group_by"),
        ({"experiment_ids": ["0"], "group_by": "params.a", "max_groups": "lots"}, "max_groups"),
        ({"experiment_ids": ["0"], "group_by": "params.a", "filter": "params.a ="}, "position"),
        ({"experiment_ids": ["x"], "group_by": "params.a"}, "experiment"),
    ):
        status, data = _groups(api, body)
        assert status == 400, (body, data)
        assert data["error_code"] == "INVALID_PARAMETER_VALUE"
        assert words in data["message"], (body, data["message"])
