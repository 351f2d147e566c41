"""What a tracking server is told at start: where things are kept and how it listens.

``ServerSettings`` is a plain value passed to :func:`runlab.server.app.create_app`.
Several uvicorn worker processes cannot receive an object, so for ``--workers N``
the command line serialises the settings into one environment variable
(:func:`to_env` / :func:`from_env`) that the app factory string reads in each
worker; nothing else reads the environment.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

from runlab import environment_variables as env
from runlab.errors import ConfigurationError
from runlab.store.artifacts._partials import DEFAULT_GRACE_SECONDS

__all__ = ["DEFAULT_MAX_REQUEST_BYTES", "SETTINGS_ENV", "ServerSettings"]

SETTINGS_ENV = env.RUNLAB_SERVER_SETTINGS.name
DEFAULT_MAX_REQUEST_BYTES = 16 * 1024 * 1024
PROXY_ARTIFACT_ROOT = "mlflow-artifacts:/"


@dataclass(frozen=True)
class ServerSettings:
    """Settings of one server.

    ``backend_store_uri``: the tracking store (folder, ``sqlite:///``, ``postgresql://``).
    ``artifacts_destination``: where the artifact proxy keeps files (any URI that
    :func:`runlab.store.artifacts.get_artifact_repository` knows); None means
    ``artifacts/`` beside the database.
    ``default_artifact_root``: the root of new experiments' artifact locations;
    default ``mlflow-artifacts:/`` (the proxy) with ``serve_artifacts``, else the
    store's own default (``artifacts/`` beside the database). Clients write to a
    location that is not ``mlflow-artifacts:`` themselves.
    ``max_request_bytes``: the largest request body of the JSON API (413 beyond).
    ``max_upload_bytes``: the largest artifact upload through the proxy; None means
    no limit (uploads are streamed to storage, never held in memory).
    ``auth``: require credentials and check permissions (see ``docs/auth.md``);
    ``auth_default_permission`` is what users get on experiments and registered models
    nobody granted them anything on (READ, EDIT, MANAGE or NO_PERMISSIONS).
    ``allowed_hosts``: Host header values accepted (None: any); ``cors_allowed_origins``:
    origins whose browsers may call the API; ``forwarded_allow_ips``: proxies whose
    X-Forwarded-For/-Proto headers are believed (None: none).
    ``allowed_artifact_roots``: roots besides the store's own under which clients may
    place experiments' artifacts and the server reads them (see ``server._locations``).
    ``end_silent_runs``: the crash sweep also ends RUNNING runs that never sent a
    heartbeat, by their last write (see ``TrackingStore.end_crashed_runs``).
    ``partial_upload_grace``: at start, a local artifacts destination loses the partial
    files of interrupted uploads not written to for this many seconds (None: never);
    recent ones may belong to a sibling server's upload in progress.
    """

    host: str = "127.0.0.1"
    port: int = 5000
    backend_store_uri: str = ""
    artifacts_destination: str | None = None
    default_artifact_root: str | None = None
    serve_artifacts: bool = True
    end_silent_runs: bool = False
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    max_upload_bytes: int | None = None
    workers: int = 1
    auth: bool = False
    auth_default_permission: str = "READ"
    allowed_hosts: tuple[str, ...] | None = None
    cors_allowed_origins: tuple[str, ...] = ()
    forwarded_allow_ips: str | None = None
    allowed_artifact_roots: tuple[str, ...] = ()
    partial_upload_grace: float | None = DEFAULT_GRACE_SECONDS

    def store_artifact_root(self) -> str | None:
        """The artifact root the tracking store builds new experiments' locations from."""
        if self.default_artifact_root:
            return self.default_artifact_root
        return PROXY_ARTIFACT_ROOT if self.serve_artifacts else None

    def to_env(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> ServerSettings:
        raw = env.RUNLAB_SERVER_SETTINGS.get(environ)
        if not raw:
            raise ConfigurationError(
                f"{SETTINGS_ENV} is not set; start the server with `runlab server`"
            )
        values = json.loads(raw)
        for name in ("allowed_hosts", "cors_allowed_origins", "allowed_artifact_roots"):
            if isinstance(values.get(name), list):
                values[name] = tuple(values[name])
        return cls(**values)
