"""``runlab server`` and ``runlab ui``: run the tracking server with uvicorn."""

from __future__ import annotations

import errno
import os
import socket
from typing import TYPE_CHECKING

import click

from runlab.cli import _output as out
from runlab.errors import RunlabError

if TYPE_CHECKING:
    from runlab.backend import Backend
    from runlab.server.settings import ServerSettings


def _check_port(host: str, port: int) -> None:
    """Fail with one line now rather than with uvicorn's traceback-free exit later."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise click.ClickException(
                    f"port {port} on {host} is already in use; choose another with --port"
                ) from None
            raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def _open_backend(settings: ServerSettings) -> Backend:
    from runlab.server.app import build_backend

    try:
        return build_backend(settings)
    except RunlabError as exc:
        raise click.ClickException(_first_line(exc.message)) from None
    except Exception as exc:  # a driver's error: unreachable database, bad credentials
        raise click.ClickException(
            f"cannot open backend store {settings.backend_store_uri!r}: "
            f"{_first_line(str(exc)) or type(exc).__name__}"
        ) from None


def _first_line(text: str) -> str:
    """Drivers explain over several lines; the command's error is one."""
    lines = text.strip().splitlines()
    return lines[0] if lines else ""


def serve(settings: ServerSettings) -> None:
    """Run the server until interrupted; in-flight requests finish on shutdown."""
    import uvicorn

    from runlab.server.app import create_app, default_artifacts_destination
    from runlab.server.settings import SETTINGS_ENV

    _check_port(settings.host, settings.port)
    backend = _open_backend(settings)  # also creates or checks the schema once, before workers
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    if settings.serve_artifacts:
        destination = settings.artifacts_destination or default_artifacts_destination(
            settings.backend_store_uri
        )
        artifacts = f"artifacts: {destination} (proxied)"
    else:
        artifacts = f"artifacts: {settings.store_artifact_root() or 'beside the database'}"
    click.echo(f"runlab server on http://{host}:{settings.port}")
    click.echo(f"  backend: {settings.backend_store_uri}; {artifacts}")
    if settings.auth:
        click.echo(f"  auth: on (default permission {settings.auth_default_permission})")
    common = {
        "host": settings.host,
        "port": settings.port,
        # Forwarded headers are believed only from the proxies named.
        "proxy_headers": settings.forwarded_allow_ips is not None,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
        "log_level": "info",
        "timeout_graceful_shutdown": 30,
    }
    if settings.workers > 1:
        backend.close()
        os.environ[SETTINGS_ENV] = settings.to_env()
        uvicorn.run(
            "runlab.server.app:create_app_from_env",
            factory=True,
            workers=settings.workers,
            **common,  # type: ignore[arg-type]
        )
        return
    app = create_app(backend, settings, close_store_on_shutdown=True)
    uvicorn.run(app, **common)  # type: ignore[arg-type]


def _backend(state: out.CliState, backend_store_uri: str | None) -> str:
    from runlab.store.uri import resolve

    return resolve(backend_store_uri or state.tracking_uri or None)


@click.command("server")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--backend-store-uri",
    metavar="URI",
    help="Tracking store: a folder, sqlite:///file.db or postgresql://… "
    "[default: the tracking URI, ./runlab]",
)
@click.option(
    "--artifacts-destination",
    metavar="URI",
    help="Where the artifact proxy keeps files (a folder, file: or s3:// URI) "
    "[default: artifacts/ beside the database]",
)
@click.option(
    "--default-artifact-root",
    metavar="URI",
    help="Artifact location root of new experiments [default: mlflow-artifacts:/ with "
    "--serve-artifacts, else artifacts/ beside the database]",
)
@click.option(
    "--serve-artifacts/--no-serve-artifacts",
    default=True,
    show_default=True,
    help="Proxy artifact uploads and downloads through this server.",
)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 256))
@click.option(
    "--max-request-bytes",
    type=click.IntRange(1024),
    default=None,
    help="Largest JSON request body; larger ones get 413 [default: 16 MiB].",
)
@click.option(
    "--max-upload-bytes",
    type=click.IntRange(1),
    default=None,
    help="Largest artifact upload through the proxy [default: no limit].",
)
@click.option("--auth", is_flag=True, help="Require sign-in and check permissions (docs/auth.md).")
@click.option(
    "--auth-default-permission",
    type=click.Choice(["READ", "EDIT", "MANAGE", "NO_PERMISSIONS"], case_sensitive=False),
    default="READ",
    show_default=True,
    help="What users may do on experiments and models nobody granted them anything on.",
)
@click.option(
    "--allowed-hosts",
    metavar="HOSTS",
    help="Comma-separated Host header values accepted ('*.example.com' allowed, '*' any) "
    "[default: loopback names when --host is loopback, else any]",
)
@click.option(
    "--cors-allowed-origins",
    metavar="ORIGINS",
    help="Comma-separated origins whose web pages may call the API [default: none]",
)
@click.option(
    "--forwarded-allow-ips",
    metavar="IPS",
    help="Comma-separated addresses of TLS-terminating proxies whose X-Forwarded-* headers "
    "are believed [default: none]",
)
@click.option(
    "--allowed-artifact-root",
    "allowed_artifact_roots",
    metavar="URI",
    multiple=True,
    help="A further root under which clients may place experiments' artifacts and the "
    "server reads them (s3://bucket/prefix, an absolute folder, an http(s) artifact proxy); "
    "repeat for several [default: only the server's own root]",
)
@click.option(
    "--end-silent-runs/--keep-silent-runs",
    default=None,
    help="Also end FAILED (as crashed) RUNNING runs that never sent a heartbeat (the MLflow "
    "client's) once their last write is older than RUNLAB_HEARTBEAT_TIMEOUT "
    "[default: RUNLAB_END_SILENT_RUNS, else keep them]",
)
@click.pass_obj
def server(
    state: out.CliState,
    host: str,
    port: int,
    backend_store_uri: str | None,
    artifacts_destination: str | None,
    default_artifact_root: str | None,
    serve_artifacts: bool,
    workers: int,
    max_request_bytes: int | None,
    max_upload_bytes: int | None,
    auth: bool,
    auth_default_permission: str,
    allowed_hosts: str | None,
    cors_allowed_origins: str | None,
    forwarded_allow_ips: str | None,
    allowed_artifact_roots: tuple[str, ...],
    end_silent_runs: bool | None,
) -> None:
    """Run the tracking server (MLflow-compatible REST API, artifact proxy and UI).

    \b
    Point MLflow or runlab clients at it:
      export MLFLOW_TRACKING_URI=http://127.0.0.1:5000
    """
    from runlab.server.auth.security import default_allowed_hosts
    from runlab.server.settings import DEFAULT_MAX_REQUEST_BYTES, ServerSettings

    settings = ServerSettings(
        host=host,
        port=port,
        backend_store_uri=_backend(state, backend_store_uri),
        artifacts_destination=artifacts_destination,
        default_artifact_root=default_artifact_root,
        serve_artifacts=serve_artifacts,
        max_request_bytes=max_request_bytes or DEFAULT_MAX_REQUEST_BYTES,
        max_upload_bytes=max_upload_bytes,
        workers=workers,
        auth=auth,
        auth_default_permission=auth_default_permission.upper(),
        allowed_hosts=_split(allowed_hosts) if allowed_hosts else default_allowed_hosts(host),
        cors_allowed_origins=_split(cors_allowed_origins) if cors_allowed_origins else (),
        forwarded_allow_ips=forwarded_allow_ips,
        allowed_artifact_roots=allowed_artifact_roots,
        end_silent_runs=_end_silent_runs(end_silent_runs),
    )
    serve(settings)


def _end_silent_runs(chosen: bool | None) -> bool:
    from runlab import environment_variables as env

    return env.RUNLAB_END_SILENT_RUNS.get() if chosen is None else chosen


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


@click.command("ui")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535))
@click.pass_obj
def ui(state: out.CliState, host: str, port: int) -> None:
    """Browse the local store (the tracking URI, ./runlab by default) in a web UI.

    Starts the tracking server on it and prints the URL; opens no browser.
    """
    from runlab.server.auth.security import default_allowed_hosts
    from runlab.server.settings import ServerSettings

    serve(
        ServerSettings(
            host=host,
            port=port,
            backend_store_uri=_backend(state, None),
            allowed_hosts=default_allowed_hosts(host),
        )
    )
