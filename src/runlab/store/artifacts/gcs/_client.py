"""The google-cloud-storage clients shared per configuration, and ``gs://`` URIs."""

from __future__ import annotations

import os
import threading
from typing import Any
from urllib.parse import urlsplit

from runlab.errors import InvalidInputError
from runlab.store.artifacts import _paths
from runlab.store.artifacts.gcs.settings import CREDENTIALS_ENV, EMULATOR_ENV, PROJECT_ENV

_MAX_CLIENTS = 16
_clients: dict[tuple[Any, ...], Any] = {}
_clients_lock = threading.Lock()


def shared_client() -> Any:
    """One client per configuration and process.

    The key holds the variables that choose the endpoint, credentials and project, so a
    change to them in the environment gives a new client rather than a stale one.
    """
    env = tuple(
        sorted((k, v) for k, v in os.environ.items() if k.startswith(("GOOGLE_", "CLOUDSDK_")))
    )
    key = (os.environ.get(EMULATOR_ENV), env)
    client = _clients.get(key)
    if client is None:
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                client = _new_client()
                if len(_clients) >= _MAX_CLIENTS:
                    del _clients[next(iter(_clients))]
                _clients[key] = client
    return client


def _new_client() -> Any:
    from google.cloud import storage

    if os.environ.get(EMULATOR_ENV) and not os.environ.get(CREDENTIALS_ENV):
        # An emulator checks no credentials; looking for real ones would only be slow
        # (the metadata server) or fail where none exist.
        from google.auth.credentials import AnonymousCredentials

        project = os.environ.get(PROJECT_ENV) or "runlab-emulator"
        return storage.Client(project=project, credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
    return storage.Client()


def clear_client_cache() -> None:
    """Forget the shared clients (after credentials were rotated in place, say)."""
    with _clients_lock:
        _clients.clear()


def parse_gcs_uri(artifact_uri: str) -> tuple[str, str]:
    """``gs://bucket/some/prefix`` → ``("bucket", "some/prefix")``; the prefix may be ``""``."""
    parsed = urlsplit(artifact_uri)
    if parsed.scheme.lower() != "gs":
        raise InvalidInputError(f"artifact URI {artifact_uri!r} is not a gs:// URI")
    if not parsed.netloc:
        raise InvalidInputError(f"artifact URI {artifact_uri!r} names no bucket (gs://bucket/...)")
    if parsed.query or parsed.fragment:
        raise InvalidInputError(f"artifact URI {artifact_uri!r}: gs URIs take no query or fragment")
    if not _valid_bucket(parsed.netloc):
        raise InvalidInputError(
            f"artifact URI {artifact_uri!r}: {parsed.netloc!r} is not a valid bucket name "
            "(3 to 222 lowercase letters, digits, '-', '_' and '.', starting and ending with "
            "a letter or digit)"
        )
    try:
        prefix = _paths.normalize(parsed.path.lstrip("/"))
    except InvalidInputError as exc:
        raise InvalidInputError(
            f"artifact URI {artifact_uri!r} has an object prefix that is not a clean path: "
            f"{exc.message}"
        ) from None
    return parsed.netloc, prefix


def _valid_bucket(name: str) -> bool:
    allowed = set("abcdefghijklmnopqrstuvwxyz0123456789-_.")
    return (
        3 <= len(name) <= 222 and set(name) <= allowed and name[0].isalnum() and name[-1].isalnum()
    )
