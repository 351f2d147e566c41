"""A password change ends the user's sessions and, unless kept, revokes their API tokens.

Whoever learned the old password may have signed in or made a token with it; changing
the password must shut them out. Over MLflow's ``users/update-password`` (the user's own
change and an admin's reset) and ``runlab users password``, against a live server.
"""

from __future__ import annotations

import itertools

import httpx
from click.testing import CliRunner
from tests.auth._live_team import ADMIN, LiveTeam

from runlab.cli import cli
from runlab.store.sql.auth import open_auth_store
from runlab.store.uri import build_store

SEARCH = "/api/2.0/mlflow/experiments/search"
UPDATE = "/api/2.0/mlflow/users/update-password"
SESSION = "/api/2.0/runlab/session"
_names = itertools.count()


class Credentials:
    """A user's token and a signed-in session, both made with the current password."""

    def __init__(self, team: LiveTeam, user: str, password: str) -> None:
        created = httpx.post(
            f"{team.url}/api/2.0/runlab/users/{user}/tokens",
            json={"name": f"ci-{next(_names)}"},
            auth=(user, password),
            timeout=60,
        )
        assert created.status_code == 200, created.text
        self.url = team.url
        self.user = user
        self.password = password
        self.token = created.json()["token"]["token"]
        self.session = httpx.Client(base_url=team.url, timeout=60)
        team.clients[f"{user}-session-{next(_names)}"] = self.session  # closed with the team
        signed_in = self.session.post(SESSION, json={"username": user, "password": password})
        assert signed_in.status_code == 200, signed_in.text
        assert self.session.get(SEARCH).status_code == 200

    def by_password(self, password: str) -> int:
        return httpx.get(f"{self.url}{SEARCH}", auth=(self.user, password), timeout=60).status_code

    def by_token(self) -> int:
        headers = {"Authorization": f"Bearer {self.token}"}
        return httpx.get(f"{self.url}{SEARCH}", headers=headers, timeout=60).status_code

    def by_session(self) -> int:
        return self.session.get(SEARCH).status_code


def test_changing_ones_own_password_ends_sessions_and_tokens(live_team: LiveTeam) -> None:
    alice = Credentials(live_team, "alice", live_team.passwords["alice"])
    carol = Credentials(live_team, "carol", live_team.passwords["carol"])
    changed = live_team.client("alice").patch(
        UPDATE, json={"username": "alice", "password": "alice-password-2"}
    )
    assert changed.status_code == 200, changed.text

    assert alice.by_password(live_team.passwords["alice"]) == 401
    assert alice.by_password("alice-password-2") == 200
    assert alice.by_session() == 401
    assert alice.by_token() == 401
    # Nobody else's credentials end.
    assert (carol.by_session(), carol.by_token()) == (200, 200)


def test_an_admin_reset_keeps_tokens_only_when_asked(live_team: LiveTeam) -> None:
    carol = Credentials(live_team, "carol", live_team.passwords["carol"])
    other = live_team.client("alice").patch(
        UPDATE, json={"username": "carol", "password": "alice-chose-this"}
    )
    assert other.status_code == 403
    assert (carol.by_session(), carol.by_token()) == (200, 200)

    admin = live_team.client("root")
    bad = admin.patch(UPDATE, json={"username": "carol", "password": "x" * 9, "keep_tokens": []})
    assert bad.status_code == 400, bad.text
    assert "keep_tokens" in bad.text
    assert (carol.by_session(), carol.by_token()) == (200, 200)

    kept = admin.patch(
        UPDATE, json={"username": "carol", "password": "carol-password-2", "keep_tokens": True}
    )
    assert kept.status_code == 200, kept.text
    assert carol.by_password(live_team.passwords["carol"]) == 401
    assert carol.by_password("carol-password-2") == 200
    assert carol.by_session() == 401
    assert carol.by_token() == 200

    again = Credentials(live_team, "carol", "carol-password-2")
    reset = admin.patch(UPDATE, json={"username": "carol", "password": "carol-password-3"})
    assert reset.status_code == 200, reset.text
    assert carol.by_password("carol-password-2") == 401
    assert (again.by_session(), again.by_token(), carol.by_token()) == (401, 401, 401)
    assert admin.get(SEARCH).status_code == 200  # the admin's own credentials stay


def _users(uri: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["users", *args, "--backend-store-uri", uri])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_cli_password_change_ends_sessions_and_tokens_unless_kept(
    live_team: LiveTeam,
) -> None:
    alice = Credentials(live_team, "alice", live_team.passwords["alice"])
    said = _users(
        live_team.store_uri, "password", "alice", "--password", "alice-cli-2", "--keep-tokens"
    )
    assert "API tokens kept" in said
    assert alice.by_password(live_team.passwords["alice"]) == 401
    assert alice.by_password("alice-cli-2") == 200
    assert alice.by_session() == 401
    assert alice.by_token() == 200

    again = Credentials(live_team, "alice", "alice-cli-2")
    said = _users(live_team.store_uri, "password", "alice", "--password", "alice-cli-3")
    assert "2 API token(s) revoked" in said
    assert alice.by_password("alice-cli-2") == 401
    assert (again.by_session(), again.by_token(), alice.by_token()) == (401, 401, 401)
    assert alice.by_password("alice-cli-3") == 200


def test_the_admin_password_at_start_ends_nothing_unless_it_changed(sqlite_uri: str) -> None:
    store = build_store(sqlite_uri)
    try:
        auth = open_auth_store(store)
        auth.ensure_admin(*ADMIN)
        _record, secret = auth.create_token(ADMIN[0], "ci")
        auth.ensure_admin(*ADMIN)  # a restart with the same password
        assert auth.authenticate_token(secret, kind="api") is not None
        auth.ensure_admin(ADMIN[0], "a new root password")
        assert auth.authenticate_token(secret, kind="api") is None
        assert auth.authenticate_password(*ADMIN) is None
    finally:
        store.close()


def test_the_store_changes_the_password_and_revokes_in_one_step(sqlite_uri: str) -> None:
    store = build_store(sqlite_uri)
    try:
        auth = open_auth_store(store)
        auth.create_user("ann", "ann-password")
        _r, token = auth.create_token("ann", "a")
        _r, session = auth.create_token("ann", "session", kind="session")
        assert auth.update_password("ann", "ann-password-2", keep_tokens=True) == 0
        assert auth.authenticate_token(session) is None
        assert auth.authenticate_token(token) is not None
        assert auth.update_password("ann", "ann-password-3") == 1
        assert auth.authenticate_token(token) is None
        assert auth.list_tokens("ann") == []
    finally:
        store.close()
