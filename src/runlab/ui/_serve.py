"""The UI's files, answered from memory, ahead of the API's router.

A page load asks for about fifteen small files at once; reading each from disk in a worker
thread (as a general static-files app does) made each cost tens of milliseconds on a busy
machine. Here a file is read once, kept with its ETag, and read again only when its size or
modification time changes.

:class:`UiFilesFirst` answers those files before FastAPI's router, which otherwise tries
each of its few hundred API routes on every file (about 3 ms of CPU a file, 50 ms a page
load, all of it competing with the page's first API calls).
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
from pathlib import Path
from typing import Any

_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


class StaticAssets:
    """An ASGI app for GET and HEAD of the files under ``directory`` (``index.html`` for a
    folder). Browsers revalidate (``no-cache``) and get 304 while the ETag matches."""

    def __init__(self, directory: Path) -> None:
        self.root = directory.resolve()
        self._cache: dict[Path, tuple[tuple[int, int], bytes, str, str]] = {}

    def serves(self, url_path: str) -> bool:
        """Whether ``url_path`` names one of the files."""
        return self._find(url_path) is not None

    def _find(self, url_path: str) -> Path | None:
        parts = [p for p in url_path.split("/") if p]
        if any(p in (".", "..") or "\\" in p or "\x00" in p for p in parts):
            return None
        path = self.root.joinpath(*parts)
        if path.is_dir():
            path = path / "index.html"
        return path if path.is_file() and path.resolve().is_relative_to(self.root) else None

    def _load(self, path: Path) -> tuple[bytes, str, str]:
        stat = os.stat(path)
        key = (stat.st_mtime_ns, stat.st_size)
        cached = self._cache.get(path)
        if cached and cached[0] == key:
            return cached[1], cached[2], cached[3]
        body = path.read_bytes()
        kind = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
        kind = kind or "application/octet-stream"
        if kind.startswith("text/") and "charset" not in kind:
            kind += "; charset=utf-8"
        etag = '"' + hashlib.sha1(body, usedforsecurity=False).hexdigest()[:20] + '"'
        self._cache[path] = (key, body, kind, etag)
        return body, kind, etag

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":  # served on its own: nothing to start or stop
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        status, headers, body = self._answer(scope)
        if scope["method"] == "HEAD":
            body = b""
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _answer(self, scope: Any) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        if scope["method"] not in ("GET", "HEAD"):
            plain = [(b"content-type", b"text/plain; charset=utf-8"), (b"allow", b"GET, HEAD")]
            return 405, [*plain, (b"content-length", b"18")], b"Method Not Allowed"
        path = self._find(scope["path"])
        if path is None:
            plain = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"9")]
            return 404, plain, b"Not Found"
        body, kind, etag = self._load(path)
        headers = [
            (b"content-type", kind.encode()),
            (b"etag", etag.encode()),
            (b"cache-control", b"no-cache"),
        ]
        sent = dict(scope.get("headers") or []).get(b"if-none-match", b"").decode("latin-1")
        if etag in [tag.strip() for tag in sent.split(",")]:
            return 304, headers, b""
        return 200, [*headers, (b"content-length", str(len(body)).encode())], body


class UiFilesFirst:
    """ASGI middleware: GET and HEAD of a UI file outside ``api_prefixes`` go straight to
    ``static``; everything else to ``app``. Meant to be the innermost middleware, so that
    the outer ones (security headers, timing) still see every answer."""

    def __init__(self, app: Any, static: StaticAssets, api_prefixes: tuple[str, ...]) -> None:
        self.app = app
        self.static = static
        self.api_prefixes = api_prefixes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and not scope["path"].startswith(self.api_prefixes)
            and self.static.serves(scope["path"])
        ):
            await self.static(scope, receive, send)
            return
        await self.app(scope, receive, send)
