"""Artifacts in Azure Blob Storage: ``wasbs://`` and ``abfss://`` URIs.

``wasbs://container@account.blob.core.windows.net/path`` and the Data Lake form
``abfss://container@account.dfs.core.windows.net/path`` name the same blobs: both go
through the blob API of ``https://account.blob.core.windows.net`` (``azure-storage-blob``,
installed by ``pip install 'runlab[azure]'``, imported only when such a URI is opened).

Credentials, the first found:

1. ``AZURE_STORAGE_CONNECTION_STRING``: its account must be the URI's; its
   ``BlobEndpoint=`` names another endpoint (an emulator such as Azurite);
2. ``AZURE_STORAGE_ACCESS_KEY``: the key of the URI's account;
3. azure-identity's ``DefaultAzureCredential``, when azure-identity is installed
   (managed identity, workload identity, the Azure CLI's login, ``AZURE_CLIENT_*``…).

======================================  ====================================================
environment variable                    meaning
======================================  ====================================================
``RUNLAB_AZURE_BLOB_ENDPOINT``          blob endpoint for key and identity credentials,
                                        instead of ``https://ACCOUNT.blob.<domain>``
``RUNLAB_AZURE_BLOCK_SIZE``             files above this size move in blocks of it (8MB)
``RUNLAB_AZURE_MAX_CONCURRENCY``        blocks (or files) moved at once (8)
======================================  ====================================================

A large file is uploaded as blocks staged in parallel and committed as one block list,
and downloaded in parallel ranges. Blob names have no directories: a "directory" is a
name prefix, which exists while a file lies below it (the folder blobs of an account
with a hierarchical namespace are shown as directories).
"""

from __future__ import annotations

from runlab.store.artifacts.azure._client import clear_client_cache
from runlab.store.artifacts.azure.repository import AzureBlobArtifactRepository
from runlab.store.artifacts.azure.settings import MB, AzureLocation, AzureSettings, parse_azure_uri

__all__ = [
    "MB",
    "AzureBlobArtifactRepository",
    "AzureLocation",
    "AzureSettings",
    "clear_client_cache",
    "parse_azure_uri",
]
