"""The artifact-location escape and the server-side request forgery, tried as carol
against a live ``runlab server --auth`` on SQLite and PostgreSQL: an experiment of hers
can point neither into alice's folders nor at a URL the operator did not allow, and the
server never sends its own credentials to an artifact location."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import pytest
from tests.auth._live_team import API, SECRET_BYTES, SECRET_PARAM, LiveTeam, start_live_team

PROXY_PATH = "/api/2.0/mlflow-artifacts/artifacts"


class Recorder:
    """A small HTTP server that answers like an artifact proxy and records every request."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str | None]] = []  # (path, Authorization)
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                recorder.requests.append((self.path, self.headers.get("Authorization")))
                body = json.dumps({"files": [{"path": "planted.txt", "is_dir": False}]})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    r = Recorder()
    yield r
    r.close()


def _no_secrets(text: str) -> None:
    assert SECRET_PARAM not in text
    assert SECRET_BYTES.decode() not in text


def _create(team: LiveTeam, user: str, name: str, location: str) -> tuple[int, dict]:
    body = {"name": name, "artifact_location": location}
    response = team.post(user, f"{API}/experiments/create", json=body)
    return response.status_code, response.json()


@pytest.mark.parametrize(
    "template",
    [
        "mlflow-artifacts:/{alice}#",
        "mlflow-artifacts:/{alice}?",
        "mlflow-artifacts:/{alice}",
        "mlflow-artifacts:/{alice}/{alice_run}",
        "mlflow-artifacts:/x/../{alice}",
        "file:///etc",
        "file://{artifacts}/{alice}",
        "{artifacts}/{alice}",
        "http://127.0.0.1:1/",
        "http://169.254.169.254/latest/meta-data/",
    ],
)
def test_carol_cannot_point_an_experiment_anywhere_else(
    live_team: LiveTeam, template: str, tmp_path: Path
) -> None:
    location = template.format(
        alice=live_team.alice.experiment_id,
        alice_run=live_team.alice.run_id,
        artifacts=tmp_path / "artifacts",
    )
    status, body = _create(live_team, "carol", "escape", location)
    assert status == 400, body
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert body["message"].startswith("artifact_location:")
    found = live_team.get(
        "carol", f"{API}/experiments/get-by-name", params={"experiment_name": "escape"}
    )
    assert found.status_code == 404
    # Her own experiment still works, and shows nothing of alice's.
    listing = live_team.get(
        "carol", f"{API}/artifacts/list", params={"run_id": live_team.carol.run_id}
    )
    assert listing.status_code == 200
    assert [f["path"] for f in listing.json()["files"]] == ["secret.txt"]
    _no_secrets(listing.text)


def test_a_url_location_is_never_fetched_unless_allowed(
    store_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, recorder: Recorder
) -> None:
    allowed = f"{recorder.url}{PROXY_PATH}/allowed"
    monkeypatch.setenv("RUNLAB_TRACKING_USERNAME", "server-own-user")
    monkeypatch.setenv("RUNLAB_TRACKING_PASSWORD", "server-own-password")
    args = ("--allowed-artifact-root", allowed)
    with start_live_team(store_uri, tmp_path, monkeypatch, *args) as team:
        status, body = _create(team, "carol", "ssrf", f"{recorder.url}{PROXY_PATH}/other")
        assert status == 400, body
        status, body = _create(team, "carol", "ssrf", f"{recorder.url}/")
        assert status == 400, body
        assert recorder.requests == []  # refused without a request

        status, body = _create(team, "carol", "shared", f"{allowed}/carol")
        assert status == 200, body
        created = team.post(
            "carol", f"{API}/runs/create", json={"experiment_id": body["experiment_id"]}
        ).json()
        run_id = created["run"]["info"]["run_id"]
        listing = team.get("carol", f"{API}/artifacts/list", params={"run_id": run_id})
        assert listing.status_code == 200, listing.text
        assert [f["path"] for f in listing.json()["files"]] == ["planted.txt"]
        assert recorder.requests, "the allowed root is read"
        for path, authorization in recorder.requests:
            assert f"allowed/carol/{run_id}/artifacts" in unquote(path)  # only under the root
            assert authorization is None  # the server's own credentials stay home
