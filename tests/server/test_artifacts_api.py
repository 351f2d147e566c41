"""The artifact proxy (mlflow-artifacts/*), artifacts/list, and paths that try to escape."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Any

import pytest
from tests.server.conftest import Api, make_client

PROXY = "/api/2.0/mlflow-artifacts"


@pytest.fixture
def proxy(sqlite_uri: str, tmp_path: Path):
    """The proxy does not touch the database: its tests run once, on SQLite."""
    client, store, _ = make_client(sqlite_uri, tmp_path)
    with client:
        yield client
    store.close()


def test_upload_download_list_delete(proxy, tmp_path: Path) -> None:
    payload = bytes(range(256)) * 10_000  # 2.5 MB: several chunks each way
    r = proxy.put(f"{PROXY}/artifacts/1/run/artifacts/data/blob.bin", content=payload)
    assert (r.status_code, r.json()) == (200, {})
    assert (tmp_path / "proxied/1/run/artifacts/data/blob.bin").read_bytes() == payload
    r = proxy.get(f"{PROXY}/artifacts/1/run/artifacts/data/blob.bin")
    assert r.status_code == 200
    assert r.content == payload
    assert r.headers["x-content-type-options"] == "nosniff"
    listing = proxy.get(f"{PROXY}/artifacts", params={"path": "1/run/artifacts"}).json()
    assert listing == {"files": [{"path": "data", "is_dir": True}]}
    listing = proxy.get(f"{PROXY}/artifacts", params={"path": "1/run/artifacts/data"}).json()
    assert listing == {"files": [{"path": "blob.bin", "is_dir": False, "file_size": len(payload)}]}
    assert proxy.get(f"{PROXY}/artifacts", params={"path": "nothing/here"}).json() == {"files": []}
    assert proxy.delete(f"{PROXY}/artifacts/1/run/artifacts/data/blob.bin").json() == {}
    r = proxy.get(f"{PROXY}/artifacts/1/run/artifacts/data/blob.bin")
    assert (r.status_code, r.json()["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")


def test_uploaded_pages_are_served_as_plain_text(proxy) -> None:
    proxy.put(f"{PROXY}/artifacts/x/page.html", content=b"<script>alert(1)</script>")
    r = proxy.get(f"{PROXY}/artifacts/x/page.html")
    assert r.headers["content-type"].startswith("text/plain")


def test_ajax_prefix_serves_the_proxy_too(proxy) -> None:
    proxy.put("/ajax-api/2.0/mlflow-artifacts/artifacts/a/b.txt", content=b"hi")
    assert proxy.get(f"{PROXY}/artifacts/a/b.txt").content == b"hi"


def test_download_of_a_directory_is_refused(proxy) -> None:
    proxy.put(f"{PROXY}/artifacts/dir/file.txt", content=b"x")
    r = proxy.get(f"{PROXY}/artifacts/dir")
    assert (r.status_code, r.json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE")


ESCAPES = [
    "..%2F..%2Fsecret.txt",
    "%2E%2E/%2E%2E/secret.txt",
    "a/%2E%2E/%2E%2E/%2E%2E/secret.txt",
    "%2F" + "etc%2Fpasswd",
    "..%5C..%5Csecret.txt",
    "C:%2Fsecret.txt",
    "a%00b",
]


@pytest.mark.parametrize("raw", ESCAPES)
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_proxy_paths_cannot_escape_the_destination(
    proxy, tmp_path: Path, raw: str, method: str
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    r = proxy.request(method, f"{PROXY}/artifacts/{raw}", content=b"overwrite")
    assert r.status_code in (400, 404), r.text
    assert r.json()["error_code"] in ("INVALID_PARAMETER_VALUE", "ENDPOINT_NOT_FOUND")
    assert b"top secret" not in r.content
    assert secret.read_text() == "top secret"


@pytest.mark.parametrize("path", ["../", "../../etc", "/etc", "a/../../b", "..\\x"])
def test_listing_paths_cannot_escape(proxy, path: str) -> None:
    r = proxy.get(f"{PROXY}/artifacts", params={"path": path})
    assert (r.status_code, r.json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE")


def test_symlink_out_of_the_destination_is_not_followed(proxy, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("top secret")
    (tmp_path / "proxied").mkdir(exist_ok=True)
    (tmp_path / "proxied" / "link").symlink_to(outside)
    r = proxy.get(f"{PROXY}/artifacts/link/secret.txt")
    assert r.status_code == 400
    assert b"top secret" not in r.content


def test_run_artifacts_list(api: Api, server) -> None:
    run = api.ok_post("runs/create", {"experiment_id": "0"})["run"]["info"]
    base = f"{PROXY}/artifacts/0/{run['run_id']}/artifacts"
    server.put(f"{base}/model/weights.bin", content=b"1234")
    server.put(f"{base}/readme.txt", content=b"hi")
    top = api.ok_get("artifacts/list", run_id=run["run_id"])
    assert top["root_uri"] == run["artifact_uri"]
    assert top["files"] == [
        {"path": "model", "is_dir": True},
        {"path": "readme.txt", "is_dir": False, "file_size": 2},
    ]
    inner = api.ok_get("artifacts/list", run_id=run["run_id"], path="model")
    assert inner["files"] == [{"path": "model/weights.bin", "is_dir": False, "file_size": 4}]
    status, body = api.get("artifacts/list", run_id=run["run_id"], path="../../x")
    assert (status, body["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    status, body = api.get("artifacts/list", run_id="missing")
    assert (status, body["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")


def test_multipart_upload_flow(proxy, tmp_path: Path) -> None:
    created = proxy.post(
        f"{PROXY}/mpu/create/1/r/artifacts/big", json={"path": "/local/dir/big.bin", "num_parts": 3}
    ).json()
    upload_id = created["upload_id"]
    urls = [c["url"] for c in created["credentials"]]
    assert [c["part_number"] for c in created["credentials"]] == [1, 2, 3]
    parts = [b"a" * 5000, b"b" * 5000, b"c" * 10]
    etags = []
    for url, data in zip(reversed(urls), reversed(parts), strict=True):  # any order
        r = proxy.put(url, content=data)
        assert r.status_code == 200, r.text
        etags.append(r.headers["etag"])
    body = {
        "path": "/local/dir/big.bin",
        "upload_id": upload_id,
        "parts": [{"part_number": n, "etag": "", "url": u} for n, u in enumerate(urls, 1)],
    }
    assert proxy.post(f"{PROXY}/mpu/complete/1/r/artifacts/big", json=body).json() == {}
    stored = tmp_path / "proxied/1/r/artifacts/big/big.bin"
    assert stored.read_bytes() == b"".join(parts)
    again = proxy.post(f"{PROXY}/mpu/complete/1/r/artifacts/big", json=body)
    assert (again.status_code, again.json()["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")


def test_multipart_abort_and_errors(proxy) -> None:
    created = proxy.post(f"{PROXY}/mpu/create/d", json={"path": "f.bin", "num_parts": 2}).json()
    upload_id = created["upload_id"]
    proxy.put(created["credentials"][0]["url"], content=b"x")
    incomplete = proxy.post(
        f"{PROXY}/mpu/complete/d",
        json={
            "path": "f.bin",
            "upload_id": upload_id,
            "parts": [{"part_number": 1}, {"part_number": 2}],
        },
    )
    assert (incomplete.status_code, incomplete.json()["error_code"]) == (
        400,
        "INVALID_PARAMETER_VALUE",
    )
    wrong_target = proxy.post(
        f"{PROXY}/mpu/complete/elsewhere",
        json={"path": "f.bin", "upload_id": upload_id, "parts": [{"part_number": 1}]},
    )
    assert wrong_target.status_code == 400
    assert (
        proxy.post(f"{PROXY}/mpu/abort/d", json={"path": "f.bin", "upload_id": upload_id}).json()
        == {}
    )
    gone = proxy.put(created["credentials"][1]["url"], content=b"y")
    assert gone.status_code == 404
    bad_id = proxy.post(f"{PROXY}/mpu/abort/d", json={"path": "f", "upload_id": "../../x"})
    assert (bad_id.status_code, bad_id.json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    for parts in (0, 10_001):
        r = proxy.post(f"{PROXY}/mpu/create/d", json={"path": "f", "num_parts": parts})
        assert r.status_code == 400


class _Host:
    """One server process on its own machine: its own app over the shared database and
    artifacts destination, and its own temporary folder while it handles a request."""

    def __init__(self, client: Any, temp: Path) -> None:
        self.client = client
        self.temp = temp

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        saved = tempfile.tempdir
        tempfile.tempdir = str(self.temp)
        try:
            return self.client.request(method, url, **kwargs)
        finally:
            tempfile.tempdir = saved


def test_multipart_upload_spread_over_two_hosts(sqlite_uri: str, tmp_path: Path) -> None:
    hosts = []
    with contextlib.ExitStack() as stack:
        for name in ("a", "b"):
            client, store, _ = make_client(sqlite_uri, tmp_path)  # the same destination
            stack.callback(store.close)
            stack.enter_context(client)
            (tmp_path / f"tmp-{name}").mkdir()
            hosts.append(_Host(client, tmp_path / f"tmp-{name}"))
        a, b = hosts
        created = a.request(
            "POST", f"{PROXY}/mpu/create/1/r/artifacts", json={"path": "big.bin", "num_parts": 4}
        ).json()
        urls = [c["url"] for c in created["credentials"]]
        parts = [bytes([n]) * 3000 for n in range(1, 5)]
        for n in (4, 1, 3, 2):  # out of order, alternating hosts
            r = hosts[n % 2].request("PUT", urls[n - 1], content=parts[n - 1])
            assert r.status_code == 200, r.text
        # Nothing of the upload in progress is listed.
        listing = b.request("GET", f"{PROXY}/artifacts").json()
        assert listing == {"files": []}
        body = {"path": "big.bin", "upload_id": created["upload_id"], "parts": []}
        r = b.request("POST", f"{PROXY}/mpu/complete/1/r/artifacts", json=body)
        assert r.status_code == 200, r.text
        stored = tmp_path / "proxied/1/r/artifacts/big.bin"
        assert stored.read_bytes() == b"".join(parts)
        # Nothing staged is left, in the destination or in either host's temporary folder.
        assert sorted(p.name for p in (tmp_path / "proxied").iterdir()) == ["1"]
        assert [list(h.temp.iterdir()) for h in hosts] == [[], []]


def test_multipart_part_urls_are_checked_before_the_body(proxy) -> None:
    created = proxy.post(f"{PROXY}/mpu/create/d", json={"path": "f.bin", "num_parts": 2}).json()
    upload_id = created["upload_id"]
    for url, rule in [
        (f"{PROXY}/mpu/upload/NOT-AN-ID/1", "upload_id"),
        (f"{PROXY}/mpu/upload/{upload_id.upper()}/1", "upload_id"),
        (f"{PROXY}/mpu/upload/{upload_id}/x", "part_number"),
        (f"{PROXY}/mpu/upload/{upload_id}/-1", "part_number"),
        (f"{PROXY}/mpu/upload/{upload_id}/0", "part_number must be between 1 and 2"),
        (f"{PROXY}/mpu/upload/{upload_id}/3", "part_number must be between 1 and 2"),
        (f"{PROXY}/mpu/upload/{upload_id}/99999999999", "part_number"),
    ]:
        r = proxy.put(url, content=b"x")
        assert r.status_code == 400, (url, r.text)
        assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        assert rule in r.json()["message"]
    r = proxy.put(f"{PROXY}/mpu/upload/{'0' * 32}/1", content=b"x")
    assert (r.status_code, r.json()["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
    body = {"path": "f.bin", "upload_id": upload_id}
    assert proxy.post(f"{PROXY}/mpu/abort/elsewhere", json=body).status_code == 400
    assert proxy.post(f"{PROXY}/mpu/abort/d", json=body).json() == {}


def test_without_serve_artifacts_the_proxy_is_off(store_uri: str, tmp_path: Path) -> None:
    root = (tmp_path / "shared-root").as_uri()
    client, store, _ = make_client(
        store_uri, tmp_path, serve_artifacts=False, default_artifact_root=root
    )
    with client:
        r = client.put(f"{PROXY}/artifacts/a.txt", content=b"x")
        assert (r.status_code, r.json()["error_code"]) == (404, "ENDPOINT_NOT_FOUND")
        api = Api(client)
        eid = api.ok_post("experiments/create", {"name": "direct"})["experiment_id"]
        exp = api.ok_get("experiments/get", experiment_id=eid)["experiment"]
        assert exp["artifact_location"] == f"{root}/{eid}"
        run = api.ok_post("runs/create", {"experiment_id": eid})["run"]["info"]
        folder = tmp_path / "shared-root" / eid / run["run_id"] / "artifacts"
        folder.mkdir(parents=True)
        (folder / "f.txt").write_text("x")
        files = api.ok_get("artifacts/list", run_id=run["run_id"])["files"]
        assert files == [{"path": "f.txt", "is_dir": False, "file_size": 1}]
    store.close()


def test_get_artifact_streams_one_file_of_a_run(api: Api, server) -> None:
    run = api.ok_post("runs/create", {"experiment_id": "0"})["run"]["info"]
    server.put(f"{PROXY}/artifacts/0/{run['run_id']}/artifacts/plots/loss.csv", content=b"1,2")
    r = server.get("/get-artifact", params={"run_uuid": run["run_id"], "path": "plots/loss.csv"})
    assert (r.status_code, r.content) == (200, b"1,2")
    assert r.headers["content-type"].startswith("text/csv")
    missing = server.get("/get-artifact", params={"run_id": run["run_id"], "path": "nope.txt"})
    assert (missing.status_code, missing.json()["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
    escape = server.get("/get-artifact", params={"run_id": run["run_id"], "path": "../../x"})
    assert (escape.status_code, escape.json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
