"""Route modules imported on the first request that needs them.

Building a module's routes is most of what ``create_app`` costs: FastAPI analyses each
handler's signature and pydantic builds a schema per request and response model. A
server that is only logging and searching runs never needs the model registry, the
logged-model or UI-only routes, so those modules are held by a :class:`LazyRoutes`
placeholder in the app's route list. When a request's path starts with one of the paths
the placeholder names, it includes the module's router in the app (its routes are
appended to the route list, where the router's scan of that very request reaches them)
and from then on matches nothing. The OpenAPI document, the access-rule walk of
:func:`runlab.server._routing.iter_routes` and ``--auth`` (whose middleware reads every
route's rule when the app is built) load every module first.
"""

from __future__ import annotations

import importlib
import threading
from typing import TYPE_CHECKING, Any

from starlette.routing import BaseRoute, Match

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["LazyRoutes", "install_openapi_loader", "load_all"]


class LazyRoutes(BaseRoute):
    """Stands for the routes of ``runlab.server.routes.<module>`` under ``prefixes``
    until a request's path starts with a prefix followed by one of ``heads``."""

    def __init__(
        self, app: FastAPI, module: str, prefixes: tuple[str, ...], heads: tuple[str, ...]
    ) -> None:
        self.app = app
        self.module = module
        self.prefixes = prefixes
        self.starts = tuple(prefix + head for prefix in prefixes for head in heads)
        self.loaded = False
        self._lock = threading.Lock()

    def load(self) -> None:
        """Include the module's router (once); its routes go to the end of the list."""
        with self._lock:
            if self.loaded:
                return
            router = importlib.import_module(f"runlab.server.routes.{self.module}").router
            for i, prefix in enumerate(self.prefixes):
                self.app.include_router(router, prefix=prefix, include_in_schema=i == 0)
            self.loaded = True

    def matches(self, scope: Any) -> tuple[Match, dict[str, Any]]:
        if not self.loaded and scope["type"] == "http" and scope["path"].startswith(self.starts):
            self.load()
        return Match.NONE, {}

    async def handle(self, scope: Any, receive: Any, send: Any) -> None:  # never matched
        raise RuntimeError("a LazyRoutes placeholder does not handle requests")

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        from starlette.routing import NoMatchFound

        raise NoMatchFound(name, path_params)


def load_all(app: FastAPI) -> None:
    """Import every module still held back (the app then has all its routes)."""
    for route in list(app.router.routes):
        if isinstance(route, LazyRoutes):
            route.load()


def install_openapi_loader(app: FastAPI) -> None:
    """The OpenAPI document describes every route: load them all before FastAPI builds it."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        load_all(app)
        return build()

    app.openapi = openapi  # type: ignore[method-assign]
