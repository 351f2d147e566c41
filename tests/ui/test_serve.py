"""The UI's files as the server answers them: from memory, revalidated by ETag, never
outside the UI folder."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from runlab.ui._serve import StaticAssets


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "static"
    (root / "js").mkdir(parents=True)
    (root / "index.html").write_text("<html>home</html>")
    (root / "js" / "app.js").write_text("export const a = 1;")
    (tmp_path / "secret.txt").write_text("not for the browser")
    return root


async def _call(folder: Path, path: str, **headers: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=StaticAssets(folder))
    async with httpx.AsyncClient(transport=transport, base_url="http://ui") as client:
        return await client.get(path, headers=headers)


@pytest.mark.anyio
async def test_files_types_and_folder_index(folder: Path) -> None:
    home = await _call(folder, "/")
    assert home.status_code == 200
    assert home.text == "<html>home</html>"
    assert home.headers["content-type"].startswith("text/html")
    script = await _call(folder, "/js/app.js")
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert script.headers["cache-control"] == "no-cache"


@pytest.mark.anyio
async def test_etag_revalidation_and_a_changed_file(folder: Path) -> None:
    app = StaticAssets(folder)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ui") as client:
        first = await client.get("/js/app.js")
        etag = first.headers["etag"]
        again = await client.get("/js/app.js", headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""
        (folder / "js" / "app.js").write_text("export const a = 22;")
        changed = await client.get("/js/app.js", headers={"If-None-Match": etag})
        assert changed.status_code == 200
        assert changed.text == "export const a = 22;"
        assert changed.headers["etag"] != etag


@pytest.mark.anyio
@pytest.mark.parametrize("path", ["/../secret.txt", "/js/../../secret.txt", "/nope.js", "/js"])
async def test_missing_and_escaping_paths_are_404(folder: Path, path: str) -> None:
    answer = await _call(folder, path)
    assert answer.status_code == 404
    assert "not for the browser" not in answer.text
