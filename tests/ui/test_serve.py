"""The UI's files as the server answers them: from memory, revalidated by ETag, never
outside the UI folder."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from tests.server.conftest import TestClient

from runlab.ui._serve import StaticAssets


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "static"
    (root / "js").mkdir(parents=True)
    (root / "index.html").write_text("<html>home</html>")
    (root / "js" / "app.js").write_text("export const a = 1;")
    (tmp_path / "secret.txt").write_text("not for the browser")
    return root


def _client(folder: Path) -> TestClient:
    return TestClient(StaticAssets(folder), base_url="http://ui")


def _call(folder: Path, path: str, **headers: str) -> httpx.Response:
    with _client(folder) as client:
        return client.get(path, headers=headers)


def test_files_types_and_folder_index(folder: Path) -> None:
    home = _call(folder, "/")
    assert home.status_code == 200
    assert home.text == "<html>home</html>"
    assert home.headers["content-type"].startswith("text/html")
    script = _call(folder, "/js/app.js")
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert script.headers["cache-control"] == "no-cache"


def test_etag_revalidation_and_a_changed_file(folder: Path) -> None:
    with _client(folder) as client:
        first = client.get("/js/app.js")
        etag = first.headers["etag"]
        again = client.get("/js/app.js", headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""
        (folder / "js" / "app.js").write_text("export const a = 22;")
        changed = client.get("/js/app.js", headers={"If-None-Match": etag})
        assert changed.status_code == 200
        assert changed.text == "export const a = 22;"
        assert changed.headers["etag"] != etag


@pytest.mark.parametrize("path", ["/../secret.txt", "/js/../../secret.txt", "/nope.js", "/js"])
def test_missing_and_escaping_paths_are_404(folder: Path, path: str) -> None:
    answer = _call(folder, path)
    assert answer.status_code == 404
    assert "not for the browser" not in answer.text


def test_the_app_answers_ui_files_ahead_of_its_routes_with_its_headers(tmp_path: Path) -> None:
    """The UI's files skip the router but not the outer middleware (security headers,
    Server-Timing); API paths, the UI's 404 and wrong methods are the routes' as before."""
    from tests.server.conftest import make_client

    client, store, _ = make_client(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path)
    with client:
        for path in ("/", "/app.js", "/js/api.js", "/prefetch.js"):
            answer = client.get(path)
            assert answer.status_code == 200, path
            assert answer.headers["x-frame-options"] == "DENY"
            assert answer.headers["server-timing"].startswith("app;dur=")
        assert "runlab" in client.get("/").text
        assert client.head("/app.js").content == b""
        assert client.get("/nope.js").status_code == 404
        missing = client.get("/api/2.0/mlflow/nope")
        assert missing.status_code == 404
        assert missing.json()["error_code"] == "ENDPOINT_NOT_FOUND"
        assert client.post("/app.js").status_code == 405
        assert client.get("/health").text == "OK"
    store.close()
