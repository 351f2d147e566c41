"""Login lockout keyed by the credential being guessed and the client address.

One client sending bad tokens or guessing one user's password (behind a NAT or on a CI
runner, every user there shares its address) must not lock out anyone else's valid
credentials; the guessed credential itself stays locked.
"""

from __future__ import annotations

import httpx
from tests.auth._live_team import LiveTeam

from runlab.auth.secrets import hash_token
from runlab.server.auth.throttle import LoginThrottle

SEARCH = "/api/2.0/mlflow/experiments/search"
SESSION = "/api/2.0/runlab/session"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _until_locked(send: object, limit: int = 12) -> list[int]:
    """Status codes of repeated attempts, up to and including the first 429."""
    codes: list[int] = []
    for _ in range(limit):
        codes.append(send().status_code)  # type: ignore[operator]
        if codes[-1] == 429:
            break
    return codes


# the throttle's keying ----------------------------------------------------------------


def test_a_token_is_keyed_by_a_short_keyed_hash_never_the_secret() -> None:
    throttle = LoginThrottle()
    secret = "rlt_" + "x" * 43
    kind, ident = throttle.token(secret)
    assert kind == "token"
    assert ident == throttle.token(secret)[1]  # the same token counts as one
    assert ident != throttle.token(secret + "y")[1]
    assert len(ident) == 16
    assert set(ident) <= set("0123456789abcdef")  # a hash, nothing of the secret
    assert ident != hash_token(secret)[:16]  # keyed: not the database's token hash
    assert LoginThrottle().token(secret)[1] != ident  # keyed per process


def test_failures_lock_only_the_credential_and_address_that_failed() -> None:
    throttle = LoginThrottle(free_failures=2)
    carol, bad = throttle.password("carol"), throttle.token("rlt_bad")
    for _ in range(3):
        throttle.failed(carol, "10.0.0.1")
        throttle.failed(bad, "10.0.0.1")
    assert throttle.retry_after(carol, "10.0.0.1") > 0
    assert throttle.retry_after(bad, "10.0.0.1") > 0
    assert throttle.retry_after(throttle.password("alice"), "10.0.0.1") == 0
    assert throttle.retry_after(throttle.token("rlt_good"), "10.0.0.1") == 0
    assert throttle.retry_after(carol, "10.0.0.2") == 0
    # A user name that looks like a token key is still a user name.
    assert throttle.retry_after(throttle.password("token"), "10.0.0.1") == 0
    throttle.succeeded(carol, "10.0.0.1")
    assert throttle.retry_after(carol, "10.0.0.1") == 0
    assert throttle.retry_after(bad, "10.0.0.1") > 0


def test_the_wait_doubles_up_to_the_cap() -> None:
    throttle = LoginThrottle(free_failures=2, max_delay=8.0)
    waits = []
    for _ in range(7):
        throttle.failed("carol", "10.0.0.1")
        waits.append(round(throttle.retry_after("carol", "10.0.0.1")))
    assert waits == [0, 2, 4, 8, 8, 8, 8]


def test_a_spray_of_tokens_stays_bounded_and_leaves_password_lockouts_alone() -> None:
    throttle = LoginThrottle(free_failures=1, max_entries=100)
    throttle.failed("carol", "10.0.0.1")
    throttle.failed("carol", "10.0.0.1")
    for i in range(1000):
        throttle.failed(throttle.token(f"rlt_{i}"), "10.0.0.9")
    assert len(throttle) <= 101
    assert throttle.retry_after("carol", "10.0.0.1") > 0  # not pushed out
    newest = throttle.token("rlt_999")
    throttle.failed(newest, "10.0.0.9")
    assert throttle.retry_after(newest, "10.0.0.9") > 0  # the newest are the ones kept


# over real HTTP -----------------------------------------------------------------------


def test_a_token_sprayer_does_not_lock_out_a_valid_token_from_the_same_address(
    live_team: LiveTeam,
) -> None:
    created = live_team.post("alice", "/api/2.0/runlab/users/alice/tokens", json={"name": "ci"})
    assert created.status_code == 200, created.text
    good = created.json()["token"]["token"]
    with httpx.Client(base_url=live_team.url, timeout=60) as anonymous:
        for i in range(8):  # many different made-up tokens: each is refused, none locks
            sprayed = anonymous.get(SEARCH, headers=_bearer(f"rlt_made-up-{i}"))
            assert sprayed.status_code == 401
        bad = _bearer("rlt_" + "guess" * 8)
        codes = _until_locked(lambda: anonymous.get(SEARCH, headers=bad))
        assert codes[-1] == 429, codes
        assert set(codes[:-1]) == {401}

        assert anonymous.get(SEARCH, headers=_bearer(good)).status_code == 200
        assert live_team.get("carol", SEARCH).status_code == 200  # passwords too
        still = anonymous.get(SEARCH, headers=bad)
        assert still.status_code == 429
        assert still.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
        assert int(still.headers["Retry-After"]) >= 1
        assert anonymous.get(SEARCH, headers=_bearer(good)).status_code == 200


def test_a_password_lockout_of_one_user_leaves_the_others_signing_in(
    live_team: LiveTeam,
) -> None:
    carol_password = live_team.passwords["carol"]
    with httpx.Client(base_url=live_team.url, timeout=60) as anonymous:
        codes = _until_locked(lambda: anonymous.get(SEARCH, auth=("carol", "not-her-password")))
        assert codes[-1] == 429, codes
        assert set(codes[:-1]) == {401}

        assert live_team.get("alice", SEARCH).status_code == 200
        signed_in = anonymous.post(
            SESSION, json={"username": "alice", "password": live_team.passwords["alice"]}
        )
        assert signed_in.status_code == 200, signed_in.text

        locked = anonymous.get(SEARCH, auth=("carol", carol_password))
        assert locked.status_code == 429  # even the right password waits
        assert int(locked.headers["Retry-After"]) >= 1
        by_form = anonymous.post(SESSION, json={"username": "carol", "password": carol_password})
        assert by_form.status_code == 429
        assert int(by_form.headers["Retry-After"]) >= 1
