"""Credentials: passwords, tokens, sessions; 401s, throttling and the Host check."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.auth.conftest import ADMIN, API, Team, make_app, ok

SEARCH = f"{API}/experiments/search"


def test_no_credentials_get_401_with_a_basic_challenge(team: Team) -> None:
    answer = team.client.get(SEARCH)
    assert answer.status_code == 401
    assert answer.json()["error_code"] == "UNAUTHENTICATED"
    assert answer.headers["WWW-Authenticate"].startswith("Basic")
    assert team.client.get(SEARCH, auth=("reader", "wrong-password")).status_code == 401
    assert team.client.get(SEARCH, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert team.client.get("/health").status_code == 200


def test_a_pages_script_gets_its_401_without_the_basic_challenge(team: Team) -> None:
    """The challenge would open the browser's password prompt over the web UI, which sends
    the user to its sign-in page instead."""
    answer = team.client.get(SEARCH, headers={"X-Requested-With": "XMLHttpRequest"})
    assert answer.status_code == 401
    assert answer.json()["error_code"] == "UNAUTHENTICATED"
    assert "WWW-Authenticate" not in answer.headers
    other = team.client.get(SEARCH, headers={"X-Requested-With": "something-else"})
    assert other.headers["WWW-Authenticate"].startswith("Basic")


def test_registry_records_the_signed_in_user_whatever_the_credentials(team: Team) -> None:
    versions = f"{API}/model-versions"
    by_token = ok(
        team.client.post(
            f"{versions}/create",
            json={"name": team.model, "source": "s3://b/m"},
            headers=team.bearer("owner"),
        )
    )
    assert by_token["model_version"]["user_id"] == "owner"  # type: ignore[index]
    ok(
        team.client.post(
            "/api/2.0/runlab/session", json={"username": "editor", "password": "editor-password"}
        )
    )
    body = {"name": team.model, "version": "1", "stage": "Staging"}
    ok(team.client.post(f"{versions}/transition-stage", json=body))  # the session cookie
    history = ok(
        team.client.get(f"{versions}/stage-history", params={"name": team.model, "version": "1"})
    )
    assert [t["user_id"] for t in history["transitions"]] == ["editor"]  # type: ignore[index]


def test_a_token_works_as_bearer_and_as_basic_password_until_revoked(team: Team) -> None:
    token = team.tokens["editor"]
    ok(team.client.get(SEARCH, headers={"Authorization": f"Bearer {token}"}))
    ok(team.client.get(SEARCH, auth=("editor", token)))
    assert team.client.get(SEARCH, auth=("reader", token)).status_code == 401  # not theirs
    listed = ok(team.client.get("/api/2.0/runlab/users/editor/tokens", auth=team.basic("editor")))
    assert [t["name"] for t in listed["tokens"]] == ["ci"]  # type: ignore[index]
    assert "token" not in listed["tokens"][0]  # type: ignore[index]
    ok(team.client.delete("/api/2.0/runlab/users/editor/tokens/ci", auth=team.basic("editor")))
    revoked = team.client.get(SEARCH, headers={"Authorization": f"Bearer {token}"})
    assert revoked.status_code == 401


def test_users_manage_only_their_own_tokens(team: Team) -> None:
    other = team.client.post(
        "/api/2.0/runlab/users/editor/tokens", json={"name": "x"}, auth=team.basic("reader")
    )
    assert other.status_code == 403
    ok(team.client.post("/api/2.0/runlab/users/editor/tokens", json={"name": "x"}, auth=ADMIN))


def test_an_expired_token_is_refused(team: Team) -> None:
    auth = team.client.app.state.auth  # type: ignore[attr-defined]
    record, secret = auth.create_token("reader", "short", expires_in_seconds=1)
    ok(team.client.get(SEARCH, headers={"Authorization": f"Bearer {secret}"}))
    from runlab.store.sql import schema

    auth.db.write(
        lambda conn: conn.execute(
            schema.api_tokens.update()
            .where(schema.api_tokens.c.token_id == record.token_id)
            .values(expiry_time=0)
        )
    )
    assert team.client.get(SEARCH, headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_repeated_failed_logins_are_slowed_down(team: Team) -> None:
    codes = [team.client.get(SEARCH, auth=("reader", "bad")).status_code for _ in range(7)]
    assert codes[:5] == [401] * 5
    assert codes[-1] == 429
    blocked = team.client.get(SEARCH, auth=("reader", "reader-password"))
    assert blocked.status_code == 429  # even the right password waits
    assert int(blocked.headers["Retry-After"]) >= 1
    ok(team.client.get(SEARCH, auth=team.basic("editor")))  # other users are unaffected


def test_session_cookie_sign_in_and_out(team: Team) -> None:
    page = team.client.get("/login")
    assert page.status_code == 200
    assert "<form" in page.text
    bad = team.client.post(
        "/api/2.0/runlab/session", json={"username": "reader", "password": "nope"}
    )
    assert bad.status_code == 401
    signed = team.client.post(
        "/api/2.0/runlab/session", json={"username": "reader", "password": "reader-password"}
    )
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    me = ok(team.client.get("/api/2.0/runlab/session"))
    assert me["user"]["username"] == "reader"  # type: ignore[index]
    ok(team.client.delete("/api/2.0/runlab/session"))
    assert team.client.get("/api/2.0/runlab/session").status_code == 401


def test_admin_manages_users_over_mlflow_api(team: Team) -> None:
    body = {"username": "dana", "password": "dana-password"}
    ok(team.client.post(f"{API}/users/create", json=body, auth=ADMIN))
    ok(team.client.get(SEARCH, auth=("dana", "dana-password")))
    got = ok(team.client.get(f"{API}/users/get", params={"username": "dana"}, auth=ADMIN))
    assert got["user"]["is_admin"] is False  # type: ignore[index]
    peek = team.client.get(
        f"{API}/users/get", params={"username": "dana"}, auth=team.basic("reader")
    )
    assert peek.status_code == 403
    change = {"username": "dana", "password": "another-password"}
    ok(
        team.client.patch(
            f"{API}/users/update-password", json=change, auth=("dana", "dana-password")
        )
    )
    assert team.client.get(SEARCH, auth=("dana", "dana-password")).status_code == 401
    ok(team.client.request("DELETE", f"{API}/users/delete", json={"username": "dana"}, auth=ADMIN))
    assert team.client.get(SEARCH, auth=("dana", "another-password")).status_code == 401


def test_forged_host_is_rejected(
    sqlite_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with make_app(sqlite_uri, tmp_path, monkeypatch, allowed_hosts=("localhost",)) as client:
        forged = client.get(SEARCH, headers={"Host": "evil.example"}, auth=ADMIN)
        fine = client.get(SEARCH, headers={"Host": "localhost:5000"}, auth=ADMIN)
        # Probes address the server by IP: health and version answer any Host.
        probes = [
            client.get(path, headers={"Host": "10.0.0.7:5000"}) for path in ("/health", "/version")
        ]
    assert forged.status_code == 400
    assert "evil.example" in forged.json()["message"]
    assert fine.status_code == 200
    assert [p.status_code for p in probes] == [200, 200]
    assert fine.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in fine.headers["Content-Security-Policy"]
