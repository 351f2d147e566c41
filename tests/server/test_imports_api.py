"""runlab's import calls: whole runs taken in as they were, and every field checked."""

from __future__ import annotations

import uuid

import pytest
from starlette.testclient import TestClient
from tests.server.conftest import Api

IMPORTS = "/api/2.0/runlab"
START = 1_600_000_000_000


@pytest.fixture
def imports(server: TestClient) -> Api:
    return Api(server, IMPORTS)


def _run(run_id: str, points: int = 3, **info: object) -> dict[str, object]:
    return {
        "info": {
            "run_id": run_id,
            "run_name": "imported",
            "user_id": "alice",
            "status": "FINISHED",
            "start_time": START,
            "end_time": START + 900,
            **info,
        },
        "params": [{"key": "lr", "value": "0.1"}],
        "tags": [{"key": "team", "value": "x"}],
        "metrics": [
            {"key": "loss", "value": 1 / (i + 1), "timestamp": START + i, "step": i}
            for i in range(points)
        ]
        + [{"key": "odd", "value": "NaN", "timestamp": START, "step": 0}],
        "inputs": [{"dataset": {"name": "wine", "digest": "abc", "source_type": "local"}}],
    }


def test_a_run_keeps_its_id_times_status_and_every_point(api: Api, imports: Api) -> None:
    eid = imports.ok_post("experiments/import", {"name": "moved", "creation_time": START})[
        "experiment_id"
    ]
    run_id = uuid.uuid4().hex
    answer = imports.ok_post("runs/import", {"experiment_id": eid, "runs": [_run(run_id, 5)]})
    assert [r["run_id"] for r in answer["runs"]] == [run_id]
    run = api.ok_get("runs/get", run_id=run_id)["run"]
    info = run["info"]
    assert (info["status"], info["start_time"], info["end_time"], info["user_id"]) == (
        "FINISHED", START, START + 900, "alice"
    )  # fmt: skip
    assert {p["key"]: p["value"] for p in run["data"]["params"]} == {"lr": "0.1"}
    assert run["inputs"]["dataset_inputs"][0]["dataset"]["name"] == "wine"
    history = api.ok_get("metrics/get-history", run_id=run_id, metric_key="loss")["metrics"]
    assert [(m["step"], m["timestamp"]) for m in history] == [(i, START + i) for i in range(5)]
    odd = api.ok_get("metrics/get-history", run_id=run_id, metric_key="odd")["metrics"]
    assert odd[0]["value"] == "NaN"
    exp = api.ok_get("experiments/get", experiment_id=eid)["experiment"]
    assert exp["creation_time"] == START

    # Sent again (a retried request, the next slice of a history): nothing is doubled.
    imports.ok_post("runs/import", {"experiment_id": eid, "runs": [_run(run_id, 8)]})
    history = api.ok_get("metrics/get-history", run_id=run_id, metric_key="loss")["metrics"]
    assert len(history) == 8


def test_a_run_id_of_another_experiment_is_not_taken_over(api: Api, imports: Api) -> None:
    theirs = api.new_run("0")
    eid = imports.ok_post("experiments/import", {"name": "other"})["experiment_id"]
    answer = imports.ok_post("runs/import", {"experiment_id": eid, "runs": [_run(theirs)]})
    new_id = answer["runs"][0]["run_id"]
    assert new_id != theirs
    assert api.ok_get("runs/get", run_id=theirs)["run"]["info"]["experiment_id"] == "0"
    assert api.ok_get("runs/get", run_id=new_id)["run"]["info"]["experiment_id"] == eid


def test_an_existing_experiment_name_is_refused(api: Api, imports: Api) -> None:
    api.ok_post("experiments/create", {"name": "taken"})
    status, body = imports.post("experiments/import", {"name": "taken"})
    assert (status, body["error_code"]) == (400, "RESOURCE_ALREADY_EXISTS")
    assert "taken" in body["message"]


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        ({"run_id": "../../etc"}, ["run_id", "not a valid run id"]),
        ({"status": "DONE"}, ["runs[0].info.status", "DONE"]),
        ({"lifecycle_stage": "gone"}, ["runs[0].info.lifecycle_stage", "'active' or 'deleted'"]),
    ],
)
def test_bad_run_fields_are_named(
    imports: Api, change: dict[str, object], fragments: list[str]
) -> None:
    eid = imports.ok_post("experiments/import", {"name": f"bad-{uuid.uuid4().hex[:6]}"})[
        "experiment_id"
    ]
    run = _run(uuid.uuid4().hex)
    run["info"] = {**run["info"], **change}  # type: ignore[dict-item]
    status, body = imports.post("runs/import", {"experiment_id": eid, "runs": [run]})
    assert (status, body["error_code"]) == (400, "INVALID_PARAMETER_VALUE"), body
    for fragment in fragments:
        assert fragment in body["message"]


def test_limits_per_request_are_named(imports: Api) -> None:
    eid = imports.ok_post("experiments/import", {"name": "limits"})["experiment_id"]
    many = [_run(uuid.uuid4().hex, 0) for _ in range(101)]
    status, body = imports.post("runs/import", {"experiment_id": eid, "runs": many})
    assert status == 400
    assert "101 runs; the limit is 100" in body["message"]
    huge = _run(uuid.uuid4().hex, 100_001)
    status, body = imports.post("runs/import", {"experiment_id": eid, "runs": [huge]})
    assert status == 400
    assert "100002 metric points; the limit is 100000" in body["message"]
    bad_key = _run(uuid.uuid4().hex)
    bad_key["params"] = [{"key": "a\nb", "value": "1"}]
    status, body = imports.post("runs/import", {"experiment_id": eid, "runs": [bad_key]})
    assert status == 400
    assert "param" in body["message"]
