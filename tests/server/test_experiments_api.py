"""experiments/*: every endpoint, its answer and its errors, on both databases."""

from __future__ import annotations

import pytest
from tests.server.conftest import Api


def test_create_get_and_get_by_name(api: Api) -> None:
    created = api.ok_post(
        "experiments/create", {"name": "wine", "tags": [{"key": "team", "value": "ml"}]}
    )
    eid = created["experiment_id"]
    got = api.ok_get("experiments/get", experiment_id=eid)["experiment"]
    assert got["name"] == "wine"
    assert got["experiment_id"] == eid
    assert got["artifact_location"] == f"mlflow-artifacts:/{eid}"
    assert got["lifecycle_stage"] == "active"
    assert got["tags"] == [{"key": "team", "value": "ml"}]
    assert isinstance(got["creation_time"], int)
    by_name = api.ok_get("experiments/get-by-name", experiment_name="wine")["experiment"]
    assert by_name == got


def test_a_location_outside_the_allowed_roots_is_refused(api: Api, tmp_path) -> None:
    location = (tmp_path / "elsewhere").as_uri()
    status, body = api.post("experiments/create", {"name": "x", "artifact_location": location})
    assert status == 400
    assert body["message"].startswith("artifact_location:")
    assert "--allowed-artifact-root" in body["message"]
    assert api.get("experiments/get-by-name", experiment_name="x")[0] == 404


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("experiments/get", {"experiment_id": "999"}, 404, "RESOURCE_DOES_NOT_EXIST"),
        ("experiments/get", {"experiment_id": "abc"}, 404, "RESOURCE_DOES_NOT_EXIST"),
        ("experiments/get", {}, 400, "INVALID_PARAMETER_VALUE"),
        ("experiments/get-by-name", {"experiment_name": "nope"}, 404, "RESOURCE_DOES_NOT_EXIST"),
        ("experiments/get-by-name", {}, 400, "INVALID_PARAMETER_VALUE"),
    ],
)
def test_get_errors(api: Api, path: str, params: dict, status: int, code: str) -> None:
    got_status, body = api.get(path, **params)
    assert (got_status, body["error_code"]) == (status, code)
    assert body["message"]


@pytest.mark.parametrize(
    ("body", "code", "fragment"),
    [
        ({}, "INVALID_PARAMETER_VALUE", "name"),
        ({"name": ""}, "INVALID_PARAMETER_VALUE", "name"),
        ({"name": "x" * 501}, "INVALID_PARAMETER_VALUE", "500"),
        (
            {"name": "ok", "tags": [{"key": "bad key!", "value": "v"}]},
            "INVALID_PARAMETER_VALUE",
            "bad key!",
        ),
        ({"name": 5}, "INVALID_PARAMETER_VALUE", "name"),
    ],
)
def test_create_rejects_bad_input(api: Api, body: dict, code: str, fragment: str) -> None:
    status, answer = api.post("experiments/create", body)
    assert status == 400
    assert answer["error_code"] == code
    assert fragment in answer["message"]


def test_duplicate_name_is_resource_already_exists(api: Api) -> None:
    api.ok_post("experiments/create", {"name": "dup"})
    status, body = api.post("experiments/create", {"name": "dup"})
    assert (status, body["error_code"]) == (400, "RESOURCE_ALREADY_EXISTS")


def test_search_post_and_get_with_filter_order_and_pages(api: Api) -> None:
    for name in ("a", "b", "c"):
        api.ok_post("experiments/create", {"name": name})
    first = api.ok_post(
        "experiments/search", {"max_results": 2, "order_by": ["name DESC"], "filter": "name != 'x'"}
    )
    assert [e["name"] for e in first["experiments"]] == ["c", "b"]
    second = api.ok_post(
        "experiments/search",
        {
            "max_results": "2",
            "order_by": ["name DESC"],
            "filter": "name != 'x'",
            "page_token": first["next_page_token"],
        },
    )
    assert [e["name"] for e in second["experiments"]] == ["a", "Default"]
    assert "next_page_token" not in second
    got = api.ok_get("experiments/search", filter="name LIKE 'b%'", max_results=10)
    assert [e["name"] for e in got["experiments"]] == ["b"]
    ordered = api.client.get(
        f"{api.prefix}/experiments/search", params=[("order_by", "name ASC"), ("max_results", 2)]
    ).json()
    assert [e["name"] for e in ordered["experiments"]] == ["Default", "a"]


@pytest.mark.parametrize(
    "body",
    [
        {"filter": "name ==="},
        {"max_results": 0},
        {"max_results": 50_001},
        {"view_type": "SOMETIMES"},
        {"order_by": ["nonsense column"]},
        {"page_token": "not-a-token"},
    ],
)
def test_search_rejects_bad_input(api: Api, body: dict) -> None:
    status, answer = api.post("experiments/search", body)
    assert (status, answer["error_code"]) == (400, "INVALID_PARAMETER_VALUE")


def test_update_delete_restore_and_view_types(api: Api) -> None:
    eid = api.ok_post("experiments/create", {"name": "old"})["experiment_id"]
    assert api.ok_post("experiments/update", {"experiment_id": eid, "new_name": "new"}) == {}
    assert api.ok_get("experiments/get", experiment_id=eid)["experiment"]["name"] == "new"
    assert api.ok_post("experiments/delete", {"experiment_id": eid}) == {}
    deleted = api.ok_post("experiments/search", {"view_type": "DELETED_ONLY"})
    assert [e["experiment_id"] for e in deleted["experiments"]] == [eid]
    by_number = api.ok_get("experiments/search", view_type="2")["experiments"]
    assert [e["experiment_id"] for e in by_number] == [eid]
    active = api.ok_post("experiments/search", {"view_type": 1})
    assert eid not in [e["experiment_id"] for e in active["experiments"]]
    assert api.ok_post("experiments/restore", {"experiment_id": eid}) == {}
    assert api.ok_get("experiments/get", experiment_id=eid)["experiment"]["lifecycle_stage"] == (
        "active"
    )


def test_update_to_taken_name_and_missing_ids(api: Api) -> None:
    api.ok_post("experiments/create", {"name": "one"})
    eid = api.ok_post("experiments/create", {"name": "two"})["experiment_id"]
    status, body = api.post("experiments/update", {"experiment_id": eid, "new_name": "one"})
    assert (status, body["error_code"]) == (400, "RESOURCE_ALREADY_EXISTS")
    for path in ("experiments/delete", "experiments/restore"):
        status, body = api.post(path, {"experiment_id": "12345"})
        assert (status, body["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
    status, body = api.post("experiments/delete", {"experiment_id": "0"})
    assert (status, body["error_code"]) == (400, "INVALID_PARAMETER_VALUE")


def test_experiment_tags(api: Api) -> None:
    eid = api.ok_post("experiments/create", {"name": "tagged"})["experiment_id"]
    api.ok_post("experiments/set-experiment-tag", {"experiment_id": eid, "key": "k", "value": "1"})
    api.ok_post("experiments/set-experiment-tag", {"experiment_id": eid, "key": "k", "value": "2"})
    tags = api.ok_get("experiments/get", experiment_id=eid)["experiment"]["tags"]
    assert tags == [{"key": "k", "value": "2"}]
    api.ok_post("experiments/delete-experiment-tag", {"experiment_id": eid, "key": "k"})
    assert api.ok_get("experiments/get", experiment_id=eid)["experiment"]["tags"] == []
    status, body = api.post("experiments/delete-experiment-tag", {"experiment_id": eid, "key": "k"})
    assert (status, body["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
    status, body = api.post(
        "experiments/set-experiment-tag", {"experiment_id": eid, "key": "x", "value": "v" * 5001}
    )
    assert (status, body["error_code"]) == (400, "INVALID_PARAMETER_VALUE")


def test_ajax_prefix_serves_the_same_endpoints(server) -> None:
    r = server.post("/ajax-api/2.0/mlflow/experiments/create", json={"name": "via-ajax"})
    assert r.status_code == 200
    got = server.get(
        "/api/2.0/mlflow/experiments/get-by-name", params={"experiment_name": "via-ajax"}
    )
    assert got.json()["experiment"]["experiment_id"] == r.json()["experiment_id"]
