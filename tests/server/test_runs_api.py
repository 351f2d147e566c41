"""runs/*: create, read, update, delete, restore, search and every logging endpoint."""

from __future__ import annotations

import math

import pytest
from tests.server.conftest import Api


def _run(api: Api, run_id: str) -> dict:
    return api.ok_get("runs/get", run_id=run_id)["run"]


def test_create_answers_the_whole_run(api: Api) -> None:
    run = api.ok_post(
        "runs/create",
        {
            "experiment_id": "0",
            "user_id": "ada",
            "run_name": "first",
            "start_time": "1700000000000",
            "tags": [{"key": "team", "value": "ml"}],
        },
    )["run"]
    info = run["info"]
    assert info["run_id"] == info["run_uuid"]
    assert info["run_name"] == "first"
    assert info["user_id"] == "ada"
    assert info["status"] == "RUNNING"
    assert info["start_time"] == 1_700_000_000_000
    assert info["lifecycle_stage"] == "active"
    assert info["artifact_uri"] == f"mlflow-artifacts:/0/{info['run_id']}/artifacts"
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert tags == {"team": "ml", "mlflow.runName": "first", "mlflow.user": "ada"}
    assert run["data"]["metrics"] == run["data"]["params"] == []
    assert run["inputs"] == {"dataset_inputs": []}
    assert _run(api, info["run_id"]) == run


def test_name_and_user_come_from_tags_or_are_generated(api: Api) -> None:
    from_tags = api.ok_post(
        "runs/create",
        {
            "tags": [
                {"key": "mlflow.runName", "value": "tagged"},
                {"key": "mlflow.user", "value": "u"},
            ]
        },
    )["run"]["info"]
    assert (from_tags["run_name"], from_tags["user_id"]) == ("tagged", "u")
    generated = api.ok_post("runs/create", {"experiment_id": "0"})["run"]["info"]
    assert generated["run_name"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"experiment_id": "404"}, 404, "RESOURCE_DOES_NOT_EXIST"),
        ({"experiment_id": "0", "start_time": "soon"}, 400, "INVALID_PARAMETER_VALUE"),
        ({"experiment_id": "0", "start_time": 2**63}, 400, "INVALID_PARAMETER_VALUE"),
        (
            {"experiment_id": "0", "tags": [{"key": "../x", "value": "v"}]},
            400,
            "INVALID_PARAMETER_VALUE",
        ),
        ({"experiment_id": "0", "run_name": "n" * 251}, 400, "INVALID_PARAMETER_VALUE"),
    ],
)
def test_create_errors(api: Api, body: dict, status: int, code: str) -> None:
    got, answer = api.post("runs/create", body)
    assert (got, answer["error_code"]) == (status, code)


def test_get_errors(api: Api) -> None:
    status, body = api.get("runs/get", run_id="nope")
    assert (status, body["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
    status, body = api.get("runs/get")
    assert (status, body["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    assert "run_id" in body["message"]
    run_id = api.new_run()
    assert api.ok_get("runs/get", run_uuid=run_id)["run"]["info"]["run_id"] == run_id


def test_update_finishes_and_renames(api: Api) -> None:
    run_id = api.new_run()
    info = api.ok_post(
        "runs/update",
        {"run_id": run_id, "status": "FINISHED", "end_time": "1700000000999", "run_name": "new"},
    )["run_info"]
    assert (info["status"], info["end_time"], info["run_name"]) == (
        "FINISHED",
        1_700_000_000_999,
        "new",
    )
    tags = {t["key"]: t["value"] for t in _run(api, run_id)["data"]["tags"]}
    assert tags["mlflow.runName"] == "new"
    status, body = api.post("runs/update", {"run_id": run_id, "status": "DONE-ISH"})
    assert (status, body["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    status, body = api.post("runs/update", {"run_id": "missing", "status": "FINISHED"})
    assert (status, body["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")


def test_delete_restore_and_logging_to_deleted_run(api: Api) -> None:
    run_id = api.new_run()
    api.ok_post("runs/delete", {"run_id": run_id})
    assert _run(api, run_id)["info"]["lifecycle_stage"] == "deleted"
    status, body = api.post("runs/log-parameter", {"run_id": run_id, "key": "p", "value": "1"})
    assert (status, body["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    api.ok_post("runs/restore", {"run_id": run_id})
    assert _run(api, run_id)["info"]["lifecycle_stage"] == "active"
    for path in ("runs/delete", "runs/restore"):
        status, body = api.post(path, {"run_id": "missing"})
        assert (status, body["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")


def test_log_metric_param_tag_and_delete_tag(api: Api) -> None:
    run_id = api.new_run()
    api.ok_post(
        "runs/log-metric",
        {"run_id": run_id, "key": "loss", "value": 0.5, "timestamp": 10, "step": 1},
    )
    api.ok_post(
        "runs/log-metric",
        {"run_uuid": run_id, "key": "loss", "value": "0.25", "timestamp": "11", "step": "2"},
    )
    api.ok_post("runs/log-parameter", {"run_id": run_id, "key": "lr", "value": "0.1"})
    api.ok_post("runs/log-parameter", {"run_id": run_id, "key": "lr", "value": "0.1"})
    api.ok_post("runs/set-tag", {"run_id": run_id, "key": "note", "value": "a"})
    api.ok_post("runs/set-tag", {"run_id": run_id, "key": "note", "value": "b"})
    data = _run(api, run_id)["data"]
    assert data["metrics"] == [{"key": "loss", "value": 0.25, "timestamp": 11, "step": 2}]
    assert data["params"] == [{"key": "lr", "value": "0.1"}]
    assert {"key": "note", "value": "b"} in data["tags"]
    api.ok_post("runs/delete-tag", {"run_id": run_id, "key": "note"})
    assert "note" not in {t["key"] for t in _run(api, run_id)["data"]["tags"]}
    status, body = api.post("runs/delete-tag", {"run_id": run_id, "key": "note"})
    assert (status, body["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")


def test_changed_param_is_invalid_parameter_value(api: Api) -> None:
    run_id = api.new_run()
    api.ok_post("runs/log-parameter", {"run_id": run_id, "key": "lr", "value": "0.1"})
    status, body = api.post("runs/log-parameter", {"run_id": run_id, "key": "lr", "value": "0.2"})
    assert (status, body["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    assert "lr" in body["message"]


@pytest.mark.parametrize(
    ("wire", "expected"),
    [("NaN", "NaN"), ("Infinity", "Infinity"), ("-Infinity", "-Infinity"), ("nan", "NaN")],
)
def test_non_finite_metric_values_round_trip(api: Api, wire: str, expected: str) -> None:
    run_id = api.new_run()
    api.ok_post(
        "runs/log-metric", {"run_id": run_id, "key": "m", "value": wire, "timestamp": 1, "step": 0}
    )
    history = api.ok_get("metrics/get-history", run_id=run_id, metric_key="m")["metrics"]
    assert history[0]["value"] == expected


def test_bare_nan_token_in_body_is_accepted(api: Api) -> None:
    run_id = api.new_run()
    r = api.client.post(
        f"{api.prefix}/runs/log-metric",
        content=f'{{"run_id": "{run_id}", "key": "m", "value": NaN, "timestamp": 1}}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 200, r.text
    value = api.ok_get("metrics/get-history", run_id=run_id, metric_key="m")["metrics"][0]["value"]
    assert value == "NaN"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"key": "m", "value": "high", "timestamp": 1}, "value"),
        ({"key": "m", "value": 1, "timestamp": "yesterday"}, "timestamp"),
        ({"key": "m", "value": 1}, "timestamp"),
        ({"key": "bad*key", "value": 1, "timestamp": 1}, "bad*key"),
        ({"key": "m", "value": 1, "timestamp": 1, "step": 2**64}, "step"),
    ],
)
def test_log_metric_rejects_bad_input(api: Api, body: dict, fragment: str) -> None:
    run_id = api.new_run()
    status, answer = api.post("runs/log-metric", {"run_id": run_id, **body})
    assert (status, answer["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    assert fragment in answer["message"]


def test_log_batch_all_or_nothing_and_limits(api: Api) -> None:
    run_id = api.new_run()
    api.ok_post(
        "runs/log-batch",
        {
            "run_id": run_id,
            "metrics": [{"key": "m", "value": i, "timestamp": i, "step": i} for i in range(50)],
            "params": [{"key": "p", "value": "1"}],
            "tags": [{"key": "t", "value": "x"}],
        },
    )
    history = api.ok_get("metrics/get-history", run_id=run_id, metric_key="m")["metrics"]
    assert [p["step"] for p in history] == list(range(50))
    status, body = api.post(
        "runs/log-batch",
        {
            "run_id": run_id,
            "metrics": [{"key": "m2", "value": 1, "timestamp": 1}],
            "params": [{"key": "p", "value": "2"}],
        },
    )
    assert (status, body["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    assert api.ok_get("metrics/get-history", run_id=run_id, metric_key="m2")["metrics"] == []
    status, body = api.post(
        "runs/log-batch",
        {"run_id": run_id, "params": [{"key": f"p{i}", "value": "v"} for i in range(101)]},
    )
    assert (status, body["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    assert "100" in body["message"]
    status, body = api.post("runs/log-batch", {"run_id": "missing", "tags": [{"key": "a"}]})
    assert (status, body["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")


def test_log_inputs_records_datasets(api: Api) -> None:
    run_id = api.new_run()
    dataset = {
        "name": "wine",
        "digest": "abc123",
        "source_type": "local",
        "source": '{"uri": "/data/wine.csv"}',
        "schema": '{"columns": []}',
        "profile": '{"rows": 10}',
    }
    api.ok_post(
        "runs/log-inputs",
        {
            "run_id": run_id,
            "datasets": [
                {"tags": [{"key": "mlflow.data.context", "value": "train"}], "dataset": dataset}
            ],
        },
    )
    inputs = _run(api, run_id)["inputs"]["dataset_inputs"]
    assert inputs == [
        {"tags": [{"key": "mlflow.data.context", "value": "train"}], "dataset": dataset}
    ]
    status, body = api.post(
        "runs/log-inputs", {"run_id": run_id, "datasets": [{"dataset": {"name": "", "digest": ""}}]}
    )
    assert (status, body["error_code"]) == (400, "INVALID_PARAMETER_VALUE")


def test_search_filters_orders_and_pages(api: Api) -> None:
    eid = api.ok_post("experiments/create", {"name": "s"})["experiment_id"]
    ids = []
    for i in range(5):
        run_id = api.new_run(eid, start_time=1000 + i)
        api.ok_post(
            "runs/log-metric",
            {"run_id": run_id, "key": "acc", "value": i / 10, "timestamp": 1, "step": 0},
        )
        api.ok_post("runs/log-parameter", {"run_id": run_id, "key": "i", "value": str(i)})
        ids.append(run_id)
    page = api.ok_post(
        "runs/search",
        {
            "experiment_ids": [eid],
            "filter": "metrics.acc >= 0.1 and params.i != '4'",
            "order_by": ["metrics.acc DESC"],
            "max_results": 2,
        },
    )
    assert [r["info"]["run_id"] for r in page["runs"]] == [ids[3], ids[2]]
    rest = api.ok_post(
        "runs/search",
        {
            "experiment_ids": [eid],
            "filter": "metrics.acc >= 0.1 and params.i != '4'",
            "order_by": ["metrics.acc DESC"],
            "max_results": 2,
            "page_token": page["next_page_token"],
        },
    )
    assert [r["info"]["run_id"] for r in rest["runs"]] == [ids[1]]
    assert "next_page_token" not in rest
    api.ok_post("runs/delete", {"run_id": ids[0]})
    deleted = api.ok_post("runs/search", {"experiment_ids": [eid], "run_view_type": "DELETED_ONLY"})
    assert [r["info"]["run_id"] for r in deleted["runs"]] == [ids[0]]
    everything = api.ok_post("runs/search", {"experiment_ids": [int(eid)], "run_view_type": 3})
    assert len(everything["runs"]) == 5


@pytest.mark.parametrize(
    "body",
    [
        {"experiment_ids": ["0"], "filter": "metrics.acc >"},
        {"experiment_ids": ["0"], "filter": "metrics.acc = 'a'"},
        {"experiment_ids": ["0"], "order_by": ["metrics."]},
        {"experiment_ids": ["0"], "max_results": 50_001},
        {"experiment_ids": ["0"], "page_token": "garbage"},
        {"experiment_ids": ["x"]},
        {"experiment_ids": ["0"], "run_view_type": "LATER"},
    ],
)
def test_search_rejects_bad_input(api: Api, body: dict) -> None:
    status, answer = api.post("runs/search", body)
    assert (status, answer["error_code"]) == (400, "INVALID_PARAMETER_VALUE")


def test_metric_values_survive_the_wire_exactly(api: Api) -> None:
    run_id = api.new_run()
    values = [0.1, 1e-300, -2.5e300, 123456789.123456789]
    api.ok_post(
        "runs/log-batch",
        {
            "run_id": run_id,
            "metrics": [
                {"key": "v", "value": v, "timestamp": 1, "step": i} for i, v in enumerate(values)
            ],
        },
    )
    got = api.ok_get("metrics/get-history", run_id=run_id, metric_key="v")["metrics"]
    assert [p["value"] for p in got] == values
    assert not any(isinstance(p["value"], float) and math.isnan(p["value"]) for p in got)
