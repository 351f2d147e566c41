"""The tracking server's ASGI app, built by :func:`create_app` (nothing is built at import).

Route modules are listed once, in :data:`ROUTES`, with the URL prefixes they serve;
another resource is one more line there. Handlers are plain ``def`` functions:
FastAPI runs them in its thread pool, so database and storage calls never block the
event loop. Only the streaming artifact upload is ``async``; it hands the body to a
worker thread as it arrives.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runlab._version import __version__
from runlab.backend import Backend
from runlab.server.prefixes import API_PREFIXES, PROXY_PREFIXES, RUNLAB_PREFIXES, TRACKING_PREFIXES
from runlab.server.settings import ServerSettings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from runlab.store.artifacts.base import ArtifactRepository
    from runlab.store.base import TrackingStore

__all__ = ["ROUTES", "create_app", "create_app_from_env", "default_artifacts_destination"]


# (module under runlab.server.routes, URL prefixes, path heads). The first prefix of each
# entry is described in the OpenAPI document; the others serve the same routes (the MLflow
# UI calls /ajax-api). A module with heads is imported on the first request whose path is
# a prefix followed by one of them (server._lazy); every route it declares must start so
# (a test checks). The core of tracking (experiments, runs, metrics, artifacts) loads at once.
EAGER: tuple[str, ...] = ()
ROUTES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("experiments", TRACKING_PREFIXES, EAGER),
    ("runs", TRACKING_PREFIXES, EAGER),
    ("metrics", TRACKING_PREFIXES, EAGER),
    ("artifacts", TRACKING_PREFIXES, EAGER),
    ("logged_models", TRACKING_PREFIXES, ("/logged-models", "/runs/outputs")),
    ("registry", TRACKING_PREFIXES, ("/registered-models", "/model-versions")),
    ("charts", RUNLAB_PREFIXES, ("/",)),
    ("groups", RUNLAB_PREFIXES, ("/",)),
    ("heartbeats", RUNLAB_PREFIXES, ("/",)),
    ("imports", RUNLAB_PREFIXES, ("/",)),
    ("downloads", ("",), ("/get-artifact",)),  # where MLflow's web UI reads run files
)
# mounted only when the server serves artifacts
PROXY_ROUTES: tuple[str, tuple[str, ...], tuple[str, ...]] = ("proxy", PROXY_PREFIXES, ("/",))

UI_STATIC = Path(__file__).resolve().parent.parent / "ui" / "static"


def create_app(
    backend: Backend | TrackingStore,
    settings: ServerSettings | None = None,
    *,
    artifacts: ArtifactRepository | None = None,
    close_store_on_shutdown: bool = False,
) -> FastAPI:
    """A tracking server over ``backend`` (a bare tracking store is bundled with
    :meth:`Backend.for_store`).

    With ``settings.serve_artifacts`` the artifact proxy keeps files in the backend's
    ``artifacts`` (or ``artifacts``), or, if None, in the repository for
    ``settings.artifacts_destination`` (default: ``artifacts/`` beside the database).
    """
    import contextlib

    from fastapi import FastAPI
    from fastapi.responses import PlainTextResponse

    from runlab.server._compress import GzipJsonMiddleware
    from runlab.server._crash_sweep import sweeping
    from runlab.server._lazy import LazyRoutes, install_openapi_loader
    from runlab.server._limits import BodyLimitMiddleware
    from runlab.server._locations import LocationPolicy
    from runlab.server._request_id import RequestIdMiddleware
    from runlab.server._routing import GuardedRoute
    from runlab.server._timing import ServerTimingMiddleware
    from runlab.server.auth.rules import access
    from runlab.server.errors import install_error_handlers
    from runlab.store.artifacts import get_artifact_repository

    settings = settings or ServerSettings()
    if not isinstance(backend, Backend):
        backend = Backend.for_store(backend)
    backend.artifacts = backend.artifacts or artifacts
    if not settings.serve_artifacts:
        backend.artifacts = None
    elif backend.artifacts is None:
        destination = settings.artifacts_destination or default_artifacts_destination(
            settings.backend_store_uri
        )
        backend.artifacts = get_artifact_repository(destination)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> Any:
        _sweep_partial_uploads(backend.artifacts, settings)
        async with sweeping(backend.tracking):
            yield
        if close_store_on_shutdown:
            bundle.close()

    app = FastAPI(
        title="runlab tracking server",
        version=__version__,
        description=(
            "MLflow-compatible REST API. Every `/api/2.0/...` path is also served under "
            "`/ajax-api/2.0/...`. Errors are `{error_code, message}` JSON."
        ),
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.router.route_class = GuardedRoute
    app.state.backend = bundle = backend
    app.state.settings = settings
    served = [default_artifacts_destination(settings.backend_store_uri)]
    if settings.serve_artifacts and settings.artifacts_destination:
        served.append(settings.artifacts_destination)
    app.state.locations = LocationPolicy(
        backend.artifact_root, settings.allowed_artifact_roots, tuple(served)
    )
    install_error_handlers(app)

    @app.get("/health", response_class=PlainTextResponse, tags=["server"])
    @access("public")
    def health() -> str:
        return "OK"

    @app.get("/version", response_class=PlainTextResponse, tags=["server"])
    @access("public")
    def version() -> str:
        return __version__

    routes = list(ROUTES) + ([PROXY_ROUTES] if settings.serve_artifacts else [])
    for module_name, prefixes, heads in routes:
        if heads:
            app.router.routes.append(LazyRoutes(app, module_name, prefixes, heads))
            continue
        router = importlib.import_module(f"runlab.server.routes.{module_name}").router
        for i, prefix in enumerate(prefixes):
            app.include_router(router, prefix=prefix, include_in_schema=i == 0)
    install_openapi_loader(app)

    _guard_documentation(app)
    static = _ui_files(app)
    if settings.auth:
        from runlab.server._lazy import load_all
        from runlab.server.auth import install_auth

        load_all(app)  # the auth layer reads every route's rule

        install_auth(app, backend, settings)  # inside the body limit
    app.add_middleware(
        BodyLimitMiddleware,
        limit=settings.max_request_bytes,
        upload_limit=settings.max_upload_bytes,
        upload_prefixes=tuple(f"{p}/" for p in PROXY_PREFIXES),
    )
    app.add_middleware(GzipJsonMiddleware)
    app.add_middleware(ServerTimingMiddleware)
    _install_security(app, settings)
    app.add_middleware(RequestIdMiddleware)  # outermost: every answer carries the id
    if static is not None:
        app.router.default = _ui_fallback(static)
    _check_every_route_has_access(app)
    return app


def _sweep_partial_uploads(artifacts: ArtifactRepository | None, settings: ServerSettings) -> None:
    """Start removing what uploads interrupted by a crash left in a local destination,
    in the background (see :mod:`runlab.store.artifacts._partials`). An S3 destination needs
    nothing: an interrupted PUT stores no object."""
    from runlab.store.artifacts.local import LocalArtifactRepository

    if isinstance(artifacts, LocalArtifactRepository) and settings.partial_upload_grace is not None:
        from runlab.store.artifacts._partials import sweep_in_background

        sweep_in_background(artifacts.root, settings.partial_upload_grace)


def _guard_documentation(app: FastAPI) -> None:
    """FastAPI's own routes (the OpenAPI document and its pages) get rules too: the
    document and the docs page need a signed-in user, the OAuth redirect page nothing."""
    from runlab.server.auth.rules import Access

    signed_in, public = Access("authenticated"), Access("public")
    rules = {app.openapi_url: signed_in, app.docs_url: signed_in}
    rules[app.swagger_ui_oauth2_redirect_url] = public
    for route in app.router.routes:
        path = getattr(route, "path", None)
        if path in rules and getattr(route, "access", None) is None:
            route.access = rules[path]  # type: ignore[attr-defined]


def _check_every_route_has_access(app: FastAPI) -> None:
    """No route can be reached without a rule: building an app with one fails. Routes
    that FastAPI builds itself (the OpenAPI pages) may only be public or need a user,
    which the auth middleware checks; every other rule is checked inside the route."""
    from runlab.server._routing import iter_routes

    for path, methods, rule in iter_routes(app, load=False):  # the held-back ones: at load
        if rule is None:
            raise RuntimeError(f"route {sorted(methods)} {path} has no access rule")


def _ui_files(app: FastAPI) -> Any:
    """The web UI's files, answered ahead of the router (as the innermost middleware), or
    None when the package has no UI."""
    if not (UI_STATIC / "index.html").is_file():
        return None
    from runlab.ui._serve import StaticAssets, UiFilesFirst

    static = StaticAssets(UI_STATIC)
    app.add_middleware(UiFilesFirst, static=static, api_prefixes=API_PREFIXES)
    return static


def _install_security(app: FastAPI, settings: ServerSettings) -> None:
    """CORS, the Host check and security headers; added last so they run first."""
    from runlab.server.auth.security import SecurityMiddleware

    if settings.cors_allowed_origins:
        from starlette.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_allowed_origins),
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            allow_credentials=True,
        )
    app.add_middleware(SecurityMiddleware, allowed_hosts=settings.allowed_hosts)


def _ui_fallback(static: Any) -> Any:
    """The web UI's answer (its 404) for paths no route matched.

    A fallback rather than a mount at ``/``: a mount matches every path, so a known API
    path with the wrong method would get the UI's 404 instead of 405, and unknown API
    paths would not get the JSON ENDPOINT_NOT_FOUND.
    """
    from starlette.exceptions import HTTPException

    async def serve(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith(API_PREFIXES):
            raise HTTPException(status_code=404)
        await static(scope, receive, send)

    return serve


def default_artifacts_destination(backend_store_uri: str) -> str:
    """``artifacts/`` beside the database: in the store folder, next to a SQLite file,
    or under ``./runlab/`` for a database server."""
    from runlab.store import uri as store_uri

    resolved = store_uri.resolve(backend_store_uri or None)
    scheme = store_uri._scheme(resolved)
    if scheme == "":
        return str(Path(resolved) / "artifacts")
    if scheme == "file":
        return str(store_uri._path_of_file_uri(resolved) / "artifacts")
    if scheme == "sqlite":
        raw = resolved.split(":///", 1)[1].split("?", 1)[0]
        return str(Path(raw).parent / "artifacts")
    return str(Path.cwd() / store_uri.DEFAULT_DIR / "artifacts")


def build_backend(settings: ServerSettings) -> Backend:
    """The backend the settings name, with artifact locations the server hands out."""
    return Backend.open(
        settings.backend_store_uri or None, artifact_root=settings.store_artifact_root()
    )


def create_app_from_env() -> FastAPI:
    """The app factory uvicorn calls in each worker process (``--workers N``)."""
    settings = ServerSettings.from_env()
    return create_app(build_backend(settings), settings, close_store_on_shutdown=True)
