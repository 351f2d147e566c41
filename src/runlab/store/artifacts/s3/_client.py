"""The boto3 clients shared per configuration, and ``s3://`` URIs."""

from __future__ import annotations

import os
import threading
from typing import Any
from urllib.parse import urlsplit

from runlab.errors import InvalidInputError
from runlab.store.artifacts import _paths

try:
    import boto3
    from botocore.config import Config
except ImportError:  # pragma: no cover - the repository says boto3 is missing
    boto3 = None

from runlab.store.artifacts.s3.settings import S3Settings

# ----------------------------------------------------------------------- clients

_MAX_CLIENTS = 16
_clients: dict[tuple[Any, ...], Any] = {}
_clients_lock = threading.Lock()


def _shared_client(settings: S3Settings) -> Any:
    """One client per configuration and process.

    The key holds every ``AWS_*`` variable, so a change to the credentials, profile,
    region or endpoint in the environment gives a new client rather than a stale one.
    """
    aws_env = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_")))
    key = (
        settings.endpoint_url,
        settings.verify_tls,
        settings.addressing_style,
        settings.max_concurrency,
        aws_env,
    )
    client = _clients.get(key)
    if client is None:
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                # Sessions are not thread-safe: each client gets its own, made under the lock.
                session = boto3.session.Session()
                client = session.client(
                    "s3",
                    endpoint_url=settings.endpoint_url,
                    verify=settings.verify_tls,
                    config=Config(
                        s3={"addressing_style": settings.addressing_style},
                        # Room for one transfer's requests and submissions, plus a few callers.
                        max_pool_connections=settings.max_concurrency + 10,
                    ),
                )
                if len(_clients) >= _MAX_CLIENTS:  # the environment keeps changing: drop the oldest
                    del _clients[next(iter(_clients))]
                _clients[key] = client
    return client


def clear_client_cache() -> None:
    """Forget the shared clients (after credentials were rotated in place, say)."""
    with _clients_lock:
        _clients.clear()


# ---------------------------------------------------------------------- the URI


def parse_s3_uri(artifact_uri: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` → ``("bucket", "some/prefix")``; the prefix may be ``""``."""
    parsed = urlsplit(artifact_uri)
    if parsed.scheme.lower() != "s3":
        raise InvalidInputError(f"artifact URI {artifact_uri!r} is not an s3:// URI")
    if not parsed.netloc:
        raise InvalidInputError(f"artifact URI {artifact_uri!r} names no bucket (s3://bucket/...)")
    if parsed.query or parsed.fragment:
        raise InvalidInputError(f"artifact URI {artifact_uri!r}: s3 URIs take no query or fragment")
    try:
        prefix = _paths.normalize(parsed.path.lstrip("/"))
    except InvalidInputError as exc:
        raise InvalidInputError(
            f"artifact URI {artifact_uri!r} has a key prefix that is not a clean path: "
            f"{exc.message}"
        ) from None
    return parsed.netloc, prefix
