"""A real Azure Blob Storage emulator for tests: Azurite's blob service, spoken to over HTTP.

Azurite is a Node.js program: ``scripts/test`` installs it with npm into ``.cache/azurite``
under the repository, and Debian's ``nodejs`` runs it. ``start_server()`` starts it in
memory on a free loopback port and returns an :class:`AzuriteServer`; ``stop()`` ends it.
A missing node or Azurite fails the tests that need it, with the command that installs it.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

from tests._local_server import LocalServer, start_local_server

REPO_ROOT = Path(__file__).resolve().parent.parent
AZURITE_BLOB = REPO_ROOT / ".cache" / "azurite" / "node_modules" / ".bin" / "azurite-blob"
INSTALL_HINT = (
    "Azurite (the Azure Storage emulator) is needed: run bash scripts/test, or "
    "apt-get install nodejs npm && npm install --prefix .cache/azurite azurite@3.37.0"
)

# Azurite's one account and its key: published in Azurite's and Azure's documentation.
ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


class AzuriteServer(LocalServer):
    """Azurite's blob service: ``url``, ``process``, ``log``; ``stop()`` ends it."""

    @property
    def endpoint(self) -> str:
        """``http://127.0.0.1:PORT/devstoreaccount1``, the account's blob endpoint."""
        return f"{self.url}/{ACCOUNT}"

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
            f"BlobEndpoint={self.endpoint};"
        )


def start_server(attempts: int = 3) -> AzuriteServer:
    """Start Azurite's blob service in memory on a free port of 127.0.0.1."""
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None or not AZURITE_BLOB.exists():
        missing = "node" if node is None else f"{AZURITE_BLOB.relative_to(REPO_ROOT)}"
        raise RuntimeError(f"{missing} not found. {INSTALL_HINT}")
    return start_local_server(
        lambda port: [
            str(AZURITE_BLOB),
            "--inMemoryPersistence",
            *("--blobHost", "127.0.0.1", "--blobPort", str(port)),
            "--skipApiVersionCheck",
            "--loose",
        ],
        name="Azurite",
        probe=f"/{ACCOUNT}?comp=list",  # any answer (403 without a signature) means it is up
        kind=AzuriteServer,
        attempts=attempts,
    )


def admin_client(server: AzuriteServer) -> Any:
    """A plain BlobServiceClient for setting up and inspecting containers, apart from runlab's."""
    from azure.storage.blob import BlobServiceClient

    return BlobServiceClient.from_connection_string(server.connection_string)


def new_container(service: Any) -> str:
    name = f"runlab-test-{uuid.uuid4().hex[:16]}"
    service.create_container(name)
    return name


def all_blobs(service: Any, container: str) -> dict[str, bytes]:
    """Every blob in ``container`` with its contents."""
    client = service.get_container_client(container)
    return {blob.name: client.download_blob(blob.name).readall() for blob in client.list_blobs()}


def uri(container: str, path: str = "", scheme: str = "wasbs") -> str:
    service = "blob" if scheme == "wasbs" else "dfs"
    return f"{scheme}://{container}@{ACCOUNT}.{service}.core.windows.net/{path}"
