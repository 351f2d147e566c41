"""Artifact locations: which ones a client may choose for an experiment, and which stored
ones the server reads (see runlab.server._locations)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.server.conftest import Api, make_client

from runlab.errors import InvalidInputError, PermissionDeniedError
from runlab.server._locations import LocationPolicy

OWN = "file:///srv/runlab/artifacts"
SHARED = "s3://team-bucket/shared"
PROXY = "http://10.0.0.5:5000/api/2.0/mlflow-artifacts/artifacts/team"
POLICY = LocationPolicy(OWN, (SHARED, PROXY))


@pytest.mark.parametrize(
    "location",
    [
        f"{OWN}/team/vision",
        "/srv/runlab/artifacts/team",  # a plain absolute path under the own root
        f"{SHARED}/fraud",
        SHARED,
        f"{PROXY}/x",
    ],
)
def test_accepted_locations(location: str) -> None:
    assert POLICY.check_new(location) == location


@pytest.mark.parametrize(
    ("location", "rule"),
    [
        ("mlflow-artifacts:/1#", "no queries, fragments or escapes"),
        ("mlflow-artifacts:/1?", "no queries, fragments or escapes"),
        ("mlflow-artifacts:/1/x", "the server chooses locations in its artifact proxy"),
        ("mlflow-artifacts:/team", "the server chooses locations in its artifact proxy"),
        (f"{OWN}/1", "belongs to the experiment with that id"),
        (f"{OWN}/12/x", "belongs to the experiment with that id"),
        (f"{OWN}/../etc", "'.' or '..' segments"),
        (f"{OWN}/a%2F..%2F..", "no queries, fragments or escapes"),
        (f"{SHARED}-other/x", "--allowed-artifact-root"),
        ("s3://team-bucket/other", "--allowed-artifact-root"),
        ("file:///etc", "--allowed-artifact-root"),
        ("/etc/passwd", "--allowed-artifact-root"),
        ("relative/folder", "a local path must be absolute"),
        ("http://127.0.0.1:9/api/2.0/mlflow-artifacts/artifacts", "--allowed-artifact-root"),
        ("https://evil.example/x", "--allowed-artifact-root"),
        ("ftp://host/x", "--allowed-artifact-root"),
        ("file:///srv/runlab/artifacts\x00/x", "control character"),
        ("file:///srv/runlab/artifacts\\..\\x", "no queries, fragments or escapes"),
    ],
)
def test_refused_locations_name_the_field_and_the_rule(location: str, rule: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        POLICY.check_new(location)
    assert caught.value.message.startswith("artifact_location:")
    assert rule in caught.value.message
    assert "/srv/runlab" not in caught.value.message.replace(repr(location), "")  # no roots


@pytest.mark.parametrize(
    "stored",
    [
        "mlflow-artifacts:/1/0123abcd/artifacts",
        f"{OWN}/3/0123abcd/artifacts",
        f"{SHARED}/fraud/0123abcd/artifacts",
    ],
)
def test_stored_locations_inside_the_roots_are_read(stored: str) -> None:
    POLICY.check_stored(stored)


@pytest.mark.parametrize(
    "stored",
    [
        "mlflow-artifacts:/1#/0123abcd/artifacts",
        "mlflow-artifacts:/1?/0123abcd/artifacts",
        "http://169.254.169.254/latest/meta-data",
        "file:///etc/0123abcd/artifacts",
        f"{OWN}/../../etc",
    ],
)
def test_stored_locations_outside_the_roots_are_refused(stored: str) -> None:
    with pytest.raises(PermissionDeniedError, match="does not read artifact location"):
        POLICY.check_stored(stored)


def test_an_allowed_root_in_the_proxy_namespace_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="the proxy's namespace"):
        LocationPolicy(OWN, ("mlflow-artifacts:/team",))


# ---------------------------------------------------------------------- through the API
def test_a_second_allowed_folder_root_takes_experiments(store_uri: str, tmp_path: Path) -> None:
    extra = tmp_path / "team-share"
    client, store, _ = make_client(store_uri, tmp_path, allowed_artifact_roots=(extra.as_uri(),))
    with client:
        api = Api(client)
        location = (extra / "vision").as_uri()
        eid = api.ok_post("experiments/create", {"name": "v", "artifact_location": location})[
            "experiment_id"
        ]
        got = api.ok_get("experiments/get", experiment_id=eid)["experiment"]
        assert got["artifact_location"] == location
        run_id = api.new_run(eid)
        artifact_uri = store.get_run(run_id).info.artifact_uri
        folder = extra / "vision" / run_id / "artifacts"
        assert artifact_uri == folder.as_uri()
        folder.mkdir(parents=True)
        (folder / "notes.txt").write_text("shared")
        listing = api.ok_get("artifacts/list", run_id=run_id)
        assert [f["path"] for f in listing["files"]] == ["notes.txt"]
        outside = (tmp_path / "not-allowed").as_uri()
        status, body = api.post("experiments/create", {"name": "o", "artifact_location": outside})
        assert status == 400
        assert "artifact_location" in body["message"]
    store.close()


def test_an_unsafe_stored_location_is_refused_when_read(store_uri: str, tmp_path: Path) -> None:
    client, store, _ = make_client(store_uri, tmp_path)
    with client:
        api = Api(client)
        eid = api.ok_post("experiments/create", {"name": "legacy"})["experiment_id"]
        run_id = api.new_run(eid)
        secret = tmp_path / "secret"
        secret.mkdir()
        (secret / "passwords.txt").write_text("hunter2")
        # As an older server, or someone with database access, could have left it.
        with store.db.engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE runs SET artifact_uri = :uri WHERE run_uuid = :run"),
                {"uri": secret.as_uri(), "run": run_id},
            )
        for path, params in [
            ("/api/2.0/mlflow/artifacts/list", {"run_id": run_id}),
            ("/get-artifact", {"run_id": run_id, "path": "passwords.txt"}),
            ("/ajax-api/2.0/mlflow/artifacts/list", {"run_id": run_id}),
        ]:
            response = client.get(path, params=params)
            assert response.status_code == 403, response.text
            assert response.json()["error_code"] == "PERMISSION_DENIED"
            assert "does not read artifact location" in response.json()["message"]
            assert b"hunter2" not in response.content
    store.close()


def test_served_roots_are_read_but_never_handed_out() -> None:
    """A store logged to directly (runlab demo) and then served keeps its files readable."""
    policy = LocationPolicy("mlflow-artifacts:/", (), ("/data/runlab/artifacts",))
    policy.check_stored("file:///data/runlab/artifacts/1/0123abcd/artifacts")
    with pytest.raises(InvalidInputError, match="--allowed-artifact-root"):
        policy.check_new("file:///data/runlab/artifacts/team")
