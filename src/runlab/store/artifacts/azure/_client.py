"""Credentials from the environment, and the blob service clients shared per configuration."""

from __future__ import annotations

import importlib
import os
import threading
from typing import Any

from runlab import environment_variables as envvars
from runlab.errors import ConfigurationError
from runlab.store.artifacts.azure.settings import AzureLocation, AzureSettings

CONNECTION_STRING_ENV = "AZURE_STORAGE_CONNECTION_STRING"
ACCESS_KEY_ENV = "AZURE_STORAGE_ACCESS_KEY"
CREDENTIAL_HINT = (
    f"set {CONNECTION_STRING_ENV}, or {ACCESS_KEY_ENV} (the key of the URI's account), or "
    "install azure-identity to use its default credential (managed identity, Azure CLI, "
    "AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET…)"
)

_MAX_CLIENTS = 16
_clients: dict[tuple[Any, ...], Any] = {}
_clients_lock = threading.Lock()


def parse_connection_string(value: str) -> dict[str, str]:
    """``Key=value;…`` → a dict with lowercased keys (values may hold ``=``)."""
    fields: dict[str, str] = {}
    for part in value.split(";"):
        key, eq, item = part.strip().partition("=")
        if part.strip() and not eq:
            raise ConfigurationError(
                f"{CONNECTION_STRING_ENV} is not a connection string: {key[:40]!r} is not "
                "a Key=value field"
            )
        if key:
            fields[key.lower()] = item
    return fields


def credential_source() -> str:
    """Which credential the environment gives :func:`shared_client`, for errors to name."""
    if os.environ.get(CONNECTION_STRING_ENV):
        return CONNECTION_STRING_ENV
    if os.environ.get(ACCESS_KEY_ENV):
        return ACCESS_KEY_ENV
    return "azure-identity's DefaultAzureCredential"


def shared_client(location: AzureLocation, settings: AzureSettings) -> Any:
    """One ``BlobServiceClient`` per account, configuration and ``AZURE_*`` environment.

    A change to the credentials or the endpoint in the environment gives a new client
    rather than a stale one; the SDK's clients are thread-safe, so one serves every thread.
    """
    azure_env = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("AZURE_")))
    key = (location.account, location.suffix, settings, azure_env)
    client = _clients.get(key)
    if client is None:
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                client = new_client(location, settings)
                if len(_clients) >= _MAX_CLIENTS:  # the environment keeps changing
                    del _clients[next(iter(_clients))]
                _clients[key] = client
    return client


def clear_client_cache() -> None:
    """Forget the shared clients (after a key was rotated in place, say)."""
    with _clients_lock:
        _clients.clear()


def new_client(location: AzureLocation, settings: AzureSettings, **options: Any) -> Any:
    """A new ``BlobServiceClient`` for ``location`` with the environment's credentials;
    ``options`` go to the SDK (a test's ``raw_request_hook``, say)."""
    from azure.storage.blob import BlobServiceClient

    options = {**_client_options(settings), **options}
    connection_string = os.environ.get(CONNECTION_STRING_ENV, "").strip()
    if connection_string:
        fields = parse_connection_string(connection_string)
        named = fields.get("accountname", "").lower()
        if named and named != location.account:
            raise ConfigurationError(
                f"{CONNECTION_STRING_ENV} is for storage account {named!r}, but the artifact "
                f"URI names account {location.account!r}"
            )
        if settings.endpoint is not None:
            raise ConfigurationError(
                f"both {CONNECTION_STRING_ENV} and {envvars.RUNLAB_AZURE_BLOB_ENDPOINT.name} "
                "are set: set one (a connection string names its endpoint with BlobEndpoint=)"
            )
        return BlobServiceClient.from_connection_string(connection_string, **options)
    account_url = settings.endpoint or location.default_account_url
    key = os.environ.get(ACCESS_KEY_ENV, "").strip()
    if key:
        credential: Any = {"account_name": location.account, "account_key": key}
    else:
        try:  # optional, and not a dependency: used when the user installed it
            identity = importlib.import_module("azure.identity")
        except ImportError:
            raise ConfigurationError(
                f"no credentials for Azure storage account {location.account!r}: {CREDENTIAL_HINT}"
            ) from None
        credential = identity.DefaultAzureCredential()
    return BlobServiceClient(account_url, credential=credential, **options)


def _client_options(settings: AzureSettings) -> dict[str, Any]:
    import requests
    from azure.core.pipeline.transport import RequestsTransport

    # Room for one transfer's parallel requests plus a few callers (requests keeps 10).
    session = requests.Session()
    pool = settings.max_concurrency + 10
    adapter = requests.adapters.HTTPAdapter(pool_connections=pool, pool_maxsize=pool)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    options: dict[str, Any] = {
        "transport": RequestsTransport(session=session, session_owner=False),
        # Files above one block go in blocks; reads come one block at a time (streaming).
        "max_single_put_size": settings.block_size,
        "max_block_size": settings.block_size,
        "max_single_get_size": settings.block_size,
        "max_chunk_get_size": settings.block_size,
    }
    if settings.retries is not None:
        options["retry_total"] = settings.retries
        options["retry_connect"] = settings.retries
    return options
