"""Who may do what: every role against every class of endpoint, over real databases."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from tests.auth.conftest import ADMIN, API, ROLES, Team, make_app, ok

PROXY = "/api/2.0/mlflow-artifacts/artifacts"

Action = Callable[[Team, str], httpx.Response]


def _read_experiment(t: Team, user: str) -> httpx.Response:
    return t.client.get(
        f"{API}/experiments/get", params={"experiment_id": t.experiment_id}, auth=t.basic(user)
    )


def _write_run(t: Team, user: str) -> httpx.Response:
    metric = {"run_id": t.run_id, "key": "loss", "value": 0.5, "timestamp": 1, "step": 0}
    return t.client.post(f"{API}/runs/log-metric", json=metric, headers=t.bearer(user))


def _delete_run(t: Team, user: str) -> httpx.Response:
    return t.client.post(f"{API}/runs/delete", json={"run_id": t.run_id}, auth=t.basic(user))


def _manage_permissions(t: Team, user: str) -> httpx.Response:
    grant = {"experiment_id": t.experiment_id, "username": "reader", "permission": "READ"}
    return t.client.patch(f"{API}/experiments/permissions/update", json=grant, auth=t.basic(user))


def _registry_read(t: Team, user: str) -> httpx.Response:
    return t.client.get(
        f"{API}/registered-models/get", params={"name": t.model}, auth=t.basic(user)
    )


def _registry_write(t: Team, user: str) -> httpx.Response:
    tag = {"name": t.model, "key": "stage", "value": "ok"}
    return t.client.post(f"{API}/registered-models/set-tag", json=tag, headers=t.bearer(user))


def _artifact_path(t: Team) -> str:
    return f"{PROXY}/{t.experiment_id}/{t.run_id}/artifacts/notes.txt"


def _artifact_upload(t: Team, user: str) -> httpx.Response:
    return t.client.put(_artifact_path(t), content=b"hello", auth=t.basic(user))


def _artifact_download(t: Team, user: str) -> httpx.Response:
    return t.client.get(_artifact_path(t), auth=t.basic(user))


def _history(t: Team, user: str) -> httpx.Response:
    params = {"run_id": t.run_id, "metric_key": "loss"}
    return t.client.get(f"{API}/metrics/get-history", params=params, auth=t.basic(user))


def _create_users(t: Team, user: str) -> httpx.Response:
    body = {"username": f"new-{user}", "password": "a-new-password"}
    return t.client.post(f"{API}/users/create", json=body, auth=t.basic(user))


ALL, NONE = 200, 403
# expected status per role: root, owner, editor, reader, stranger
MATRIX: dict[str, tuple[Action, tuple[int, ...]]] = {
    "read experiment": (_read_experiment, (ALL, ALL, ALL, ALL, NONE)),
    "read metric history": (_history, (ALL, ALL, ALL, ALL, NONE)),
    "write run": (_write_run, (ALL, ALL, ALL, NONE, NONE)),
    "manage permissions": (_manage_permissions, (ALL, ALL, NONE, NONE, NONE)),
    "registry read": (_registry_read, (ALL, ALL, ALL, ALL, NONE)),
    "registry write": (_registry_write, (ALL, ALL, ALL, NONE, NONE)),
    "artifact upload": (_artifact_upload, (ALL, ALL, ALL, NONE, NONE)),
    "artifact download": (_artifact_download, (ALL, ALL, ALL, ALL, NONE)),
    "create users": (_create_users, (ALL, NONE, NONE, NONE, NONE)),
    # last: it deletes the run the others use
    "delete run": (_delete_run, (NONE, NONE, NONE, NONE, NONE)),
}


def test_permission_matrix(team: Team) -> None:
    # the run exists for every role: upload once so every download has a file to read
    ok(team.client.put(_artifact_path(team), content=b"hello", auth=team.basic("owner")))
    expected: dict[tuple[str, str], int] = {}
    actual: dict[tuple[str, str], int] = {}
    for name, (action, codes) in MATRIX.items():
        if name == "delete run":
            continue
        for role, code in zip(ROLES, codes, strict=True):
            expected[(name, role)] = code
            actual[(name, role)] = action(team, role).status_code
    assert actual == expected


def test_deleting_a_run_needs_manage(team: Team) -> None:
    for role in ("stranger", "reader", "editor"):
        denied = _delete_run(team, role)
        assert denied.status_code == 403
        assert denied.json()["error_code"] == "PERMISSION_DENIED"
    ok(_delete_run(team, "owner"))


def test_denial_names_the_user_the_resource_and_the_levels(team: Team) -> None:
    body = _write_run(team, "reader").json()
    assert body["error_code"] == "PERMISSION_DENIED"
    assert "'reader'" in body["message"]
    assert "needs EDIT, has READ" in body["message"]


def test_creator_gets_manage_and_others_the_default(team: Team) -> None:
    created = ok(
        team.client.post(
            f"{API}/experiments/create", json={"name": "mine"}, auth=team.basic("stranger")
        )
    )
    experiment_id = created["experiment_id"]
    grant = ok(
        team.client.get(
            f"{API}/experiments/permissions/get",
            params={"experiment_id": experiment_id, "username": "stranger"},
            auth=team.basic("stranger"),
        )
    )
    assert grant["experiment_permission"]["permission"] == "MANAGE"  # type: ignore[index]
    assert _read_other(team, "owner", str(experiment_id)).status_code == 403


def _read_other(t: Team, user: str, experiment_id: str) -> httpx.Response:
    return t.client.get(
        f"{API}/experiments/get", params={"experiment_id": experiment_id}, auth=t.basic(user)
    )


def test_searches_return_only_readable_things(team: Team) -> None:
    def experiment_names(user: str) -> set[str]:
        found = ok(team.client.get(f"{API}/experiments/search", auth=team.basic(user)))
        return {e["name"] for e in found.get("experiments", [])}  # type: ignore[attr-defined]

    assert "shared" in experiment_names("reader")
    assert "shared" not in experiment_names("stranger")
    assert "shared" in experiment_names("root")

    def model_names(user: str) -> set[str]:
        found = ok(team.client.get(f"{API}/registered-models/search", auth=team.basic(user)))
        return {m["name"] for m in found.get("registered_models", [])}  # type: ignore[attr-defined]

    assert model_names("reader") == {"model"}
    assert model_names("stranger") == set()

    search = {"experiment_ids": ["0", team.experiment_id]}
    runs = ok(team.client.post(f"{API}/runs/search", json=search, auth=team.basic("reader")))
    assert [r["info"]["run_id"] for r in runs["runs"]] == [team.run_id]  # type: ignore[index]
    denied = team.client.post(f"{API}/runs/search", json=search, auth=team.basic("stranger"))
    assert denied.status_code == 403
    # The runs table's group view counts only the runs of readable experiments too.
    grouped = {**search, "group_by": "attributes.status"}
    groups_url = "/ajax-api/2.0/runlab/runs/groups"
    answer = ok(team.client.post(groups_url, json=grouped, auth=team.basic("reader")))
    assert sum(g["count"] for g in answer["groups"]) == 1  # type: ignore[index]
    denied = team.client.post(groups_url, json=grouped, auth=team.basic("stranger"))
    assert denied.status_code == 403


def test_a_renamed_model_keeps_its_grants(team: Team) -> None:
    ok(
        team.client.post(
            f"{API}/registered-models/rename",
            json={"name": "model", "new_name": "renamed"},
            auth=team.basic("editor"),
        )
    )
    got = team.client.get(
        f"{API}/registered-models/get", params={"name": "renamed"}, auth=team.basic("reader")
    )
    assert got.status_code == 200


def test_a_deleted_models_grants_do_not_pass_to_the_next_model_of_its_name(
    sqlite_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with make_app(
        sqlite_uri, tmp_path, monkeypatch, auth_default_permission="NO_PERMISSIONS"
    ) as client:
        for user in ("ann", "bob"):
            body = {"username": user, "password": f"{user}-password"}
            ok(client.post(f"{API}/users/create", json=body, auth=ADMIN))
        ann, bob = ("ann", "ann-password"), ("bob", "bob-password")
        for name in ("m", "other"):
            ok(client.post(f"{API}/registered-models/create", json={"name": name}, auth=ann))
        ok(
            client.request(
                "DELETE", f"{API}/registered-models/delete", json={"name": "m"}, auth=ann
            )
        )
        ok(client.post(f"{API}/registered-models/create", json={"name": "m"}, auth=bob))
        got = client.get(f"{API}/registered-models/get", params={"name": "m"}, auth=ann)
        assert got.status_code == 403
        # Renaming onto a name another model left behind replaces its grants, no 500.
        ok(
            client.request(
                "DELETE", f"{API}/registered-models/delete", json={"name": "m"}, auth=bob
            )
        )
        body = {"name": "other", "new_name": "m"}
        ok(client.post(f"{API}/registered-models/rename", json=body, auth=ann))
        ok(client.get(f"{API}/registered-models/get", params={"name": "m"}, auth=ann))
        got = client.get(f"{API}/registered-models/get", params={"name": "m"}, auth=bob)
        assert got.status_code == 403


def test_default_read_lets_everyone_read_but_only_grantees_write(
    sqlite_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with make_app(sqlite_uri, tmp_path, monkeypatch) as client:
        for user in ("ann", "bob"):
            body = {"username": user, "password": f"{user}-password"}
            ok(client.post(f"{API}/users/create", json=body, auth=ADMIN))
        ann, bob = ("ann", "ann-password"), ("bob", "bob-password")
        created = ok(client.post(f"{API}/experiments/create", json={"name": "e"}, auth=ann))
        experiment_id = created["experiment_id"]
        params = {"experiment_id": experiment_id}
        ok(client.get(f"{API}/experiments/get", params=params, auth=bob))
        write = client.post(f"{API}/runs/create", json=params, auth=bob)
        assert write.status_code == 403
        ok(client.post(f"{API}/runs/create", json=params, auth=ann))


def test_a_model_version_needs_read_on_the_run_it_comes_from(team: Team) -> None:
    for user in ("stranger", "reader"):
        created = team.client.post(
            f"{API}/registered-models/create", json={"name": f"{user}-model"}, auth=team.basic(user)
        )
        assert created.status_code == 200, created.text
    version = {"source": f"runs:/{team.run_id}/model", "run_id": team.run_id}
    denied = team.client.post(
        f"{API}/model-versions/create",
        json={"name": "stranger-model", **version},
        auth=team.basic("stranger"),
    )
    assert denied.status_code == 403
    assert f"experiment {team.experiment_id}" in denied.json()["message"]
    allowed = team.client.post(
        f"{API}/model-versions/create",
        json={"name": "reader-model", **version},
        auth=team.basic("reader"),
    )
    assert allowed.status_code == 200, allowed.text
