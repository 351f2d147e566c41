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
