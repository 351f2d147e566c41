"""The web UI on a server run with ``--auth``: a view that needs credentials sends the
browser to the sign-in page, which comes back to that same view; the ``next`` it follows
never leaves the server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from tests._servers import start_runlab_server

pytestmark = pytest.mark.slow

ADMIN = ("root", "root-password")
MODEL = "guarded model"


@pytest.fixture
def auth_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("RUNLAB_AUTH_ADMIN_USERNAME", ADMIN[0])
    monkeypatch.setenv("RUNLAB_AUTH_ADMIN_PASSWORD", ADMIN[1])
    store = f"sqlite:///{tmp_path / 'auth.db'}"
    with start_runlab_server(tmp_path, "--auth", "--backend-store-uri", store) as (url, _p):
        api = f"{url}/api/2.0/mlflow"
        for path, body in (
            ("registered-models/create", {"name": MODEL}),
            ("model-versions/create", {"name": MODEL, "source": "s3://bucket/model"}),
        ):
            answer = httpx.post(f"{api}/{path}", json=body, auth=ADMIN, timeout=60)
            assert answer.status_code == 200, answer.text
        yield url


def test_a_401_sends_the_browser_to_sign_in_and_back(
    page: Any, auth_server: str, shot: Any
) -> None:
    view = "#/models/guarded%20model/versions/1"
    page.goto(f"{auth_server}/{view}")
    page.wait_for_url(re.compile(r"/login\?next="))
    assert page.evaluate("nextPage()") == f"/{view}"
    page.get_by_label("Username").fill(ADMIN[0])
    page.get_by_label("Password or API token").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("wrong username or password")
    shot(page, "sign-in")

    page.get_by_label("Password or API token").fill(ADMIN[1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{auth_server}/{view}")
    expect(page.locator("h1.version-title")).to_have_text(f"{MODEL} version 1")

    # Signed in through the session cookie, a transition records who made it.
    page.get_by_label("New stage").select_option("Staging")
    page.get_by_role("button", name="Transition").click()
    row = page.locator(".history-table tbody tr").first
    expect(row).to_contain_text("root")
    shot(page, "signed-in-version")


def test_sign_in_goes_only_to_pages_of_this_server(page: Any, auth_server: str) -> None:
    cases = {
        "/#/models": "/#/models",
        "/#/run/abc?tab=charts": "/#/run/abc?tab=charts",
        "": "/",
        "https://evil.example/": "/",
        "//evil.example/x": "/",
        "/\\evil.example/x": "/",
        "/\t/evil.example": "/",
        "javascript:alert(1)": "/",
    }
    for wanted, expected in cases.items():
        page.goto(f"{auth_server}/login?{httpx.QueryParams({'next': wanted})}")
        assert page.evaluate("nextPage()") == expected, wanted
