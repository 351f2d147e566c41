"""Every environment variable runlab reads, declared once with its type and default.

::

    from runlab.environment_variables import RUNLAB_HTTP_TIMEOUT
    RUNLAB_HTTP_TIMEOUT.get()        # 120.0, or the variable's value, parsed and checked

Code reads the environment only through these declarations (a test checks that no other
module names a ``RUNLAB_`` variable, and that docs/configuration.md lists each one). A
value that does not parse is a :class:`~runlab.errors.ConfigurationError` naming the
variable and the rule. Where MLflow has a variable for the same setting, its name is
read when runlab's is unset, so an MLflow user's environment keeps working.

The settings objects of each part (``PoolSettings``, ``S3Settings``, the HTTP client's
``Settings``, ``ServerSettings``) are built from these at the moment they are made.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from runlab.errors import ConfigurationError

__all__ = ["ALL", "EnvironmentVariable"]

T = TypeVar("T")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_SIZE_RE = re.compile(r"^(\d+)\s*(?:([kmg])i?b?)?$", re.IGNORECASE)

ALL: dict[str, EnvironmentVariable[object]] = {}
"""Every declared variable by name, in declaration order."""


@dataclass(frozen=True)
class EnvironmentVariable(Generic[T]):
    """One variable: ``get()`` gives its parsed value, or ``default`` when unset or empty."""

    name: str
    parse: Callable[[str], T]  # raises ValueError with the rule a bad value breaks
    default: T
    doc: str
    mlflow_name: str | None = None

    def __post_init__(self) -> None:
        ALL[self.name] = self  # type: ignore[assignment]

    def raw(self, environ: Mapping[str, str] | None = None) -> str | None:
        """The text set for the variable (runlab's name first, then MLflow's), or None."""
        env = os.environ if environ is None else environ
        for name in (self.name, self.mlflow_name):
            if name is not None:
                value = env.get(name, "")
                if value.strip():
                    return value
        return None

    def is_set(self, environ: Mapping[str, str] | None = None) -> bool:
        return self.raw(environ) is not None

    def get(self, environ: Mapping[str, str] | None = None) -> T:
        raw = self.raw(environ)
        if raw is None:
            return self.default
        try:
            return self.parse(raw.strip())
        except ValueError as exc:
            env = os.environ if environ is None else environ
            name = self.name if env.get(self.name, "").strip() else self.mlflow_name
            raise ConfigurationError(f"{name}={raw!r} {exc}") from None


# ------------------------------------------------------------------------ parsers
def text(raw: str) -> str:
    return raw


def boolean(raw: str) -> bool:
    word = raw.lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError("is not a boolean (use true or false)")


def whole(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            value = minimum - 1
        if maximum is not None and not minimum <= value <= maximum:
            raise ValueError(f"is not a whole number from {minimum} to {maximum}")
        if value < minimum:
            raise ValueError(f"is not a whole number of at least {minimum}")
        return value

    return parse


def number(minimum: float) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            raise ValueError("is not a number") from None
        if not value >= minimum or math.isinf(value):
            raise ValueError(f"must be a finite number of at least {minimum:g}")
        return value

    return parse


def positive_seconds(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0 or math.isinf(value):
        raise ValueError("is not a positive number of seconds")
    return value


def size(minimum: int, multiple: int = 1) -> Callable[[str], int]:
    """Bytes, written as a number with an optional KB, MB or GB (powers of 1024)."""

    def parse(raw: str) -> int:
        match = _SIZE_RE.match(raw)
        value = -1
        if match:
            unit = (match.group(2) or "").lower()
            value = int(match.group(1)) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit]
        if value < minimum:
            raise ValueError(
                f"is not a size of at least {minimum} bytes (a number, or with KB, MB, GB)"
            )
        if value % multiple:
            raise ValueError(f"is not a multiple of {multiple // 1024} KB")
        return value

    return parse


def _var(
    name: str,
    parse: Callable[[str], T],
    default: T,
    doc: str,
    mlflow_name: str | None = None,
) -> EnvironmentVariable[T]:
    return EnvironmentVariable(name, parse, default, doc, mlflow_name)


# ------------------------------------------------------------------------ tracking
RUNLAB_TRACKING_URI = _var(
    "RUNLAB_TRACKING_URI",
    text,
    None,
    "where runs are stored: a folder (default ./runlab), a database or a server",
)
RUNLAB_ARTIFACT_ROOT = _var(
    "RUNLAB_ARTIFACT_ROOT", text, None, "artifact root of new experiments of a database store"
)
RUNLAB_EXPERIMENT_NAME = _var(
    "RUNLAB_EXPERIMENT_NAME", text, None, "experiment of runs started without one (by name)"
)
RUNLAB_EXPERIMENT_ID = _var(
    "RUNLAB_EXPERIMENT_ID", text, None, "experiment of runs started without one (by id)"
)
RUNLAB_CAPTURE_CONTEXT = _var(
    "RUNLAB_CAPTURE_CONTEXT", boolean, True, "tag new runs with git, source, user and host"
)
RUNLAB_PRELOAD_PANDAS = _var(
    "RUNLAB_PRELOAD_PANDAS", boolean, True, "import pandas in the background after ten runs"
)
RUNLAB_PRINT_RUN_URL = _var(
    "RUNLAB_PRINT_RUN_URL",
    boolean,
    True,
    "print the run's and experiment's web UI links when a run logged to a server ends",
)

RUNLAB_RUN_ID = _var(
    "RUNLAB_RUN_ID",
    text,
    None,
    "run the first top-level start_run resumes (set by `runlab run` for its entry point)",
    "MLFLOW_RUN_ID",
)
RUNLAB_ENABLE_SYSTEM_METRICS_LOGGING = _var(
    "RUNLAB_ENABLE_SYSTEM_METRICS_LOGGING",
    boolean,
    False,
    "log system metrics (CPU, memory, disk, network, GPU) for every run",
    "MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING",
)
RUNLAB_SYSTEM_METRICS_SAMPLING_INTERVAL = _var(
    "RUNLAB_SYSTEM_METRICS_SAMPLING_INTERVAL",
    positive_seconds,
    10.0,
    "seconds between two samples of system metrics",
    "MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL",
)
RUNLAB_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING = _var(
    "RUNLAB_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING",
    whole(1),
    1,
    "samples averaged into each logged system metric point",
    "MLFLOW_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING",
)
RUNLAB_SYSTEM_METRICS_NODE_ID = _var(
    "RUNLAB_SYSTEM_METRICS_NODE_ID",
    text,
    None,
    "this machine's name in system metric keys (system/<node id>/...), for multi-node training",
    "MLFLOW_SYSTEM_METRICS_NODE_ID",
)

# ------------------------------------------------------------------------ heartbeats
RUNLAB_HEARTBEAT_INTERVAL = _var(
    "RUNLAB_HEARTBEAT_INTERVAL", positive_seconds, 30.0, "seconds between two heartbeats of a run"
)
RUNLAB_HEARTBEAT_TIMEOUT = _var(
    "RUNLAB_HEARTBEAT_TIMEOUT",
    positive_seconds,
    300.0,
    "seconds without a heartbeat after which a RUNNING run is ended FAILED as crashed",
)
RUNLAB_HEARTBEAT_SWEEP_INTERVAL = _var(
    "RUNLAB_HEARTBEAT_SWEEP_INTERVAL",
    positive_seconds,
    60.0,
    "seconds between two sweeps of a server for runs whose heartbeats stopped",
)
RUNLAB_END_SILENT_RUNS = _var(
    "RUNLAB_END_SILENT_RUNS",
    boolean,
    False,
    "a server's sweep also ends RUNNING runs that never sent a heartbeat, once their last "
    "write is older than the timeout",
)

# ------------------------------------------------------------------------ HTTP client
RUNLAB_TRACKING_USERNAME = _var(
    "RUNLAB_TRACKING_USERNAME", text, None, "user name for a server", "MLFLOW_TRACKING_USERNAME"
)
RUNLAB_TRACKING_PASSWORD = _var(
    "RUNLAB_TRACKING_PASSWORD", text, None, "password for a server", "MLFLOW_TRACKING_PASSWORD"
)
RUNLAB_TRACKING_TOKEN = _var(
    "RUNLAB_TRACKING_TOKEN", text, None, "bearer token for a server", "MLFLOW_TRACKING_TOKEN"
)
RUNLAB_TRACKING_INSECURE_TLS = _var(
    "RUNLAB_TRACKING_INSECURE_TLS",
    boolean,
    False,
    "skip the TLS certificate check of a server",
    "MLFLOW_TRACKING_INSECURE_TLS",
)
RUNLAB_TRACKING_SERVER_CERT_PATH = _var(
    "RUNLAB_TRACKING_SERVER_CERT_PATH",
    text,
    None,
    "CA bundle to check a server's certificate with",
    "MLFLOW_TRACKING_SERVER_CERT_PATH",
)
RUNLAB_HTTP_CONNECT_TIMEOUT = _var(
    "RUNLAB_HTTP_CONNECT_TIMEOUT", number(0.001), 10.0, "seconds to wait for a connection"
)
RUNLAB_HTTP_TIMEOUT = _var(
    "RUNLAB_HTTP_TIMEOUT", number(0.001), 120.0, "seconds to wait for an answer"
)
RUNLAB_HTTP_MAX_RETRIES = _var(
    "RUNLAB_HTTP_MAX_RETRIES", whole(0), 7, "retries of a failed request"
)
RUNLAB_HTTP_BACKOFF_FACTOR = _var(
    "RUNLAB_HTTP_BACKOFF_FACTOR", number(0), 1.0, "first wait between retries, in seconds"
)
RUNLAB_HTTP_BACKOFF_MAX = _var(
    "RUNLAB_HTTP_BACKOFF_MAX", number(0), 60.0, "longest wait between retries, in seconds"
)
RUNLAB_JOURNAL = _var(
    "RUNLAB_JOURNAL", boolean, True, "keep writes to a server in a local journal until sent"
)
RUNLAB_JOURNAL_DIR = _var(
    "RUNLAB_JOURNAL_DIR",
    text,
    None,
    "folder of the journals (default: runlab/journal in the user cache)",
)

# ------------------------------------------------------------------------ SQL databases
RUNLAB_SQL_POOL_SIZE = _var(
    "RUNLAB_SQL_POOL_SIZE", whole(1), 10, "connections kept open per process"
)
RUNLAB_SQL_MAX_OVERFLOW = _var(
    "RUNLAB_SQL_MAX_OVERFLOW", whole(0), 10, "extra connections opened under load"
)
RUNLAB_SQL_POOL_TIMEOUT = _var(
    "RUNLAB_SQL_POOL_TIMEOUT", positive_seconds, 30.0, "seconds to wait for a free connection"
)
RUNLAB_SQL_POOL_RECYCLE = _var(
    "RUNLAB_SQL_POOL_RECYCLE", whole(1), 1800, "seconds before a connection is replaced"
)
RUNLAB_SQL_CONNECT_TIMEOUT = _var(
    "RUNLAB_SQL_CONNECT_TIMEOUT", whole(1), 10, "seconds to wait for the database to answer"
)
RUNLAB_SQL_STATEMENT_TIMEOUT_MS = _var(
    "RUNLAB_SQL_STATEMENT_TIMEOUT_MS", whole(0), 0, "longest a statement may run (0: no limit)"
)

# ------------------------------------------------------------------------ S3
# Parsed by runlab.store.artifacts.s3.settings, which knows sizes and upload arguments.
RUNLAB_S3_ENDPOINT_URL = _var(
    "RUNLAB_S3_ENDPOINT_URL", text, None, "S3-compatible endpoint", "MLFLOW_S3_ENDPOINT_URL"
)
RUNLAB_S3_IGNORE_TLS = _var(
    "RUNLAB_S3_IGNORE_TLS", boolean, False, "skip the endpoint's TLS certificate check"
)
RUNLAB_S3_ADDRESSING_STYLE = _var(
    "RUNLAB_S3_ADDRESSING_STYLE",
    text,
    None,
    "auto (the default), path or virtual bucket addressing",
)
RUNLAB_S3_MULTIPART_THRESHOLD = _var(
    "RUNLAB_S3_MULTIPART_THRESHOLD",
    text,
    None,
    "file size from which uploads go in parts (default 8 MB)",
)
RUNLAB_S3_MULTIPART_CHUNKSIZE = _var(
    "RUNLAB_S3_MULTIPART_CHUNKSIZE", text, None, "size of each part (default 8 MB)"
)
RUNLAB_S3_MAX_CONCURRENCY = _var(
    "RUNLAB_S3_MAX_CONCURRENCY", text, None, "parts sent at once (default 10)"
)
RUNLAB_S3_UPLOAD_EXTRA_ARGS = _var(
    "RUNLAB_S3_UPLOAD_EXTRA_ARGS",
    text,
    None,
    "JSON object of extra upload arguments (e.g. encryption)",
    "MLFLOW_S3_UPLOAD_EXTRA_ARGS",
)

# ------------------------------------------------------------------------ Google Cloud Storage
RUNLAB_GCS_UPLOAD_CHUNK_SIZE = _var(
    "RUNLAB_GCS_UPLOAD_CHUNK_SIZE",
    size(256 * 1024, 256 * 1024),
    8 * 1024**2,
    "files above this size upload resumably, in chunks of it (a multiple of 256 KB)",
    "MLFLOW_GCS_UPLOAD_CHUNK_SIZE",
)
RUNLAB_GCS_DOWNLOAD_CHUNK_SIZE = _var(
    "RUNLAB_GCS_DOWNLOAD_CHUNK_SIZE",
    size(256 * 1024),
    8 * 1024**2,
    "files above this size download in ranged chunks of it, in parallel",
    "MLFLOW_GCS_DOWNLOAD_CHUNK_SIZE",
)
RUNLAB_GCS_MAX_CONCURRENCY = _var(
    "RUNLAB_GCS_MAX_CONCURRENCY", whole(1, 64), 8, "requests of one transfer sent at once"
)
RUNLAB_GCS_TIMEOUT = _var(
    "RUNLAB_GCS_TIMEOUT",
    positive_seconds,
    60.0,
    "seconds to wait for each request to Cloud Storage",
    "MLFLOW_GCS_DEFAULT_TIMEOUT",
)
# ------------------------------------------------------------------------ Azure Blob Storage
# Parsed by runlab.store.artifacts.azure.settings, which knows sizes and endpoints.
RUNLAB_AZURE_BLOB_ENDPOINT = _var(
    "RUNLAB_AZURE_BLOB_ENDPOINT",
    text,
    None,
    "blob endpoint to use instead of https://ACCOUNT.blob.core.windows.net (e.g. Azurite)",
)
RUNLAB_AZURE_BLOCK_SIZE = _var(
    "RUNLAB_AZURE_BLOCK_SIZE",
    text,
    None,
    "files above this size move in blocks of it, in parallel (default 8 MB)",
)
RUNLAB_AZURE_MAX_CONCURRENCY = _var(
    "RUNLAB_AZURE_MAX_CONCURRENCY", whole(1, 64), 8, "blocks or files sent at once"
)
# ------------------------------------------------------------------------ SFTP
RUNLAB_SFTP_TIMEOUT = _var(
    "RUNLAB_SFTP_TIMEOUT",
    positive_seconds,
    30.0,
    "seconds to wait for an SFTP server to connect, log in or answer a request",
)

# ------------------------------------------------------------------------ server and CLI
RUNLAB_AUTH_ADMIN_USERNAME = _var(
    "RUNLAB_AUTH_ADMIN_USERNAME", text, None, "admin an --auth server creates at first start"
)
RUNLAB_AUTH_ADMIN_PASSWORD = _var("RUNLAB_AUTH_ADMIN_PASSWORD", text, None, "that admin's password")
RUNLAB_USER_PASSWORD = _var(
    "RUNLAB_USER_PASSWORD", text, None, "password for `runlab users create/set-password`"
)
RUNLAB_SERVER_SETTINGS = _var(
    "RUNLAB_SERVER_SETTINGS",
    text,
    None,
    "internal: `runlab server` hands its settings to its worker processes in it",
)

# ------------------------------------------------------------------------ imports and copies
RUNLAB_IMPORT_WORKERS = _var(
    "RUNLAB_IMPORT_WORKERS", whole(1, 256), 8, "artifact files copied at once by import and copy"
)
RUNLAB_IMPORT_BATCH_POINTS = _var(
    "RUNLAB_IMPORT_BATCH_POINTS",
    whole(1, 10_000_000),
    50_000,
    "metric points written per transaction (at least one run each)",
)

# ------------------------------------------------------------------------ projects
RUNLAB_PROJECTS_CACHE_DIR = _var(
    "RUNLAB_PROJECTS_CACHE_DIR",
    text,
    None,
    "where `runlab run` keeps cloned repositories, checkouts and built environments "
    "(default: the user's cache folder, runlab/projects)",
)
