"""A NUL character in any argument is a 400 naming the field, on every database.

PostgreSQL can neither store nor compare a string with U+0000 in it; without the check
in the route wrapper a lookup such as ``runs/delete-tag`` with key ``"\\x00"`` failed
there with a 500 while SQLite answered normally.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from tests.auth.conftest import make_app
from tests.server.conftest import Api

NUL = "a\x00b"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("runs/delete-tag", {"run_id": "RUN", "key": NUL}, "key"),
        ("runs/set-tag", {"run_id": "RUN", "key": "k", "value": NUL}, "value"),
        (
            "runs/log-batch",
            {"run_id": "RUN", "params": [{"key": "p", "value": "v"}, {"key": "q", "value": NUL}]},
            "params[1].value",
        ),
        ("experiments/create", {"name": NUL}, "name"),
        ("registered-models/create", {"name": NUL}, "name"),
    ],
)
def test_a_nul_in_a_body_is_refused(
    api: Api, path: str, body: dict[str, object], field: str
) -> None:
    run_id = api.new_run()
    body = {k: run_id if v == "RUN" else v for k, v in body.items()}
    status, answer = api.post(path, body)
    assert status == 400, answer
    assert answer == {
        "error_code": "INVALID_PARAMETER_VALUE",
        "message": f"{field}: contains a NUL character (\\x00), which is not allowed",
    }


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("experiments/get-by-name", {"experiment_name": NUL}, "experiment_name"),
        ("registered-models/get", {"name": NUL}, "name"),
        ("runs/get", {"run_id": NUL}, "run_id"),
    ],
)
def test_a_nul_in_a_query_is_refused(
    api: Api, path: str, params: dict[str, str], field: str
) -> None:
    status, answer = api.get(path, **params)
    assert status == 400, answer
    assert answer["message"] == f"{field}: contains a NUL character (\\x00), which is not allowed"


def test_text_without_nul_is_untouched(api: Api) -> None:
    run_id = api.new_run()
    api.ok_post("runs/set-tag", {"run_id": run_id, "key": "k", "value": "a\\u0000 \u00e9"})
    tags = api.ok_get("runs/get", run_id=run_id)["run"]["data"]["tags"]
    assert {"key": "k", "value": "a\\u0000 \u00e9"} in tags


def test_a_nul_in_basic_credentials_is_a_401(
    store_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with make_app(store_uri, tmp_path, monkeypatch) as client:
        secret = base64.b64encode(b"ro\x00ot:root-password").decode()
        r = client.get(
            "/api/2.0/mlflow/experiments/search", headers={"Authorization": f"Basic {secret}"}
        )
        assert r.status_code == 401, r.text
        assert r.json()["message"] == "malformed Basic credentials"
