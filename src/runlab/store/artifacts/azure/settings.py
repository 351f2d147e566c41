"""Azure artifact URIs and how transfers are tuned (the variables :mod:`.azure` lists)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from runlab import environment_variables as envvars
from runlab.errors import ConfigurationError, InvalidInputError
from runlab.store.artifacts import _paths

MB = 1024 * 1024
DEFAULT_BLOCK_SIZE = 8 * MB
MAX_BLOCK_SIZE = 4000 * MB  # the largest block Azure accepts
LIST_PAGE_SIZE = 1000  # the most blobs one List Blobs page holds
DELETE_BATCH = 256  # the most sub-requests one Blob Batch request takes

INSTALL_HINT = "Azure Blob Storage artifacts need azure-storage-blob: pip install 'runlab[azure]'"
SCHEMES = {"wasbs": "blob", "abfss": "dfs"}  # scheme → the host's service label

# Azure's naming rules, so a typo is named here rather than as an HTTP 400 later.
_ACCOUNT_RE = re.compile(r"^[a-z0-9]{3,24}$")
_CONTAINER_RE = re.compile(r"^(?=.{3,63}$)[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$")
_SIZE_RE = re.compile(r"^\s*(\d+)\s*(?:([kmg])i?b?)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class AzureLocation:
    """Where an artifact URI points: ``scheme://container@account.<service>.<suffix>/prefix``."""

    scheme: str
    container: str
    account: str
    suffix: str  # "core.windows.net", or a sovereign cloud's
    prefix: str

    @property
    def default_account_url(self) -> str:
        # abfss:// names the Data Lake endpoint; the same data is served by the blob API.
        return f"https://{self.account}.blob.{self.suffix}"

    def url(self, key: str) -> str:
        """The ``scheme://container@host/key`` form errors show."""
        host = f"{self.account}.{SCHEMES[self.scheme]}.{self.suffix}"
        return f"{self.scheme}://{self.container}@{host}/{key}"


def parse_azure_uri(artifact_uri: str) -> AzureLocation:
    """``wasbs://container@account.blob.core.windows.net/prefix`` (or ``abfss://…dfs…``)
    → its parts; InvalidInputError naming the rule that a malformed URI breaks."""
    parsed = urlsplit(artifact_uri)
    scheme = parsed.scheme.lower()
    if scheme not in SCHEMES:
        raise InvalidInputError(f"artifact URI {artifact_uri!r} is not a wasbs:// or abfss:// URI")
    service = SCHEMES[scheme]
    shape = f"{scheme}://CONTAINER@ACCOUNT.{service}.core.windows.net/PATH"
    container, at, host = parsed.netloc.rpartition("@")
    if not at or not container:
        raise InvalidInputError(f"artifact URI {artifact_uri!r} names no container ({shape})")
    account, _, rest = host.lower().partition(".")
    label, _, suffix = rest.partition(".")
    if label != service or not suffix or ":" in suffix:
        raise InvalidInputError(
            f"artifact URI {artifact_uri!r}: the host must be ACCOUNT.{service}.<domain> "
            f"({shape}); to reach an emulator or another endpoint, set "
            f"{envvars.RUNLAB_AZURE_BLOB_ENDPOINT.name} or a connection string's BlobEndpoint"
        )
    if not _ACCOUNT_RE.match(account):
        raise InvalidInputError(
            f"artifact URI {artifact_uri!r}: storage account {account!r} is not valid "
            "(3 to 24 lowercase letters and digits)"
        )
    if not _CONTAINER_RE.match(container):
        raise InvalidInputError(
            f"artifact URI {artifact_uri!r}: container {container!r} is not valid (3 to 63 "
            "lowercase letters, digits and single hyphens, starting and ending with a letter "
            "or digit)"
        )
    if parsed.query or parsed.fragment:
        raise InvalidInputError(
            f"artifact URI {artifact_uri!r}: {scheme} URIs take no query or fragment"
        )
    try:
        prefix = _paths.normalize(parsed.path.lstrip("/"))
    except InvalidInputError as exc:
        raise InvalidInputError(
            f"artifact URI {artifact_uri!r} has a path that is not a clean artifact path: "
            f"{exc.message}"
        ) from None
    return AzureLocation(scheme, container, account, suffix, prefix)


@dataclass(frozen=True)
class AzureSettings:
    """How transfers run; :meth:`from_env` reads them from the environment.

    ``endpoint`` replaces the account's URL for key and identity credentials (a
    connection string names its own). ``retries`` None keeps the SDK's retry policy.
    """

    endpoint: str | None = None
    block_size: int = DEFAULT_BLOCK_SIZE
    max_concurrency: int = 8
    retries: int | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AzureSettings:
        endpoint = envvars.RUNLAB_AZURE_BLOB_ENDPOINT.get(environ)
        return cls(
            endpoint=_endpoint(endpoint) if endpoint else None,
            block_size=_block_size(envvars.RUNLAB_AZURE_BLOCK_SIZE.get(environ)),
            max_concurrency=envvars.RUNLAB_AZURE_MAX_CONCURRENCY.get(environ),
        )


def _endpoint(value: str) -> str:
    value = value.strip().rstrip("/")
    parsed = urlsplit(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigurationError(
            f"{envvars.RUNLAB_AZURE_BLOB_ENDPOINT.name}={value!r} is not a valid endpoint URL "
            "(expected http(s)://host[:port][/account])"
        )
    return value


def _block_size(raw: str | None) -> int:
    name = envvars.RUNLAB_AZURE_BLOCK_SIZE.name
    if not raw or not raw.strip():
        return DEFAULT_BLOCK_SIZE
    match = _SIZE_RE.match(raw)
    size = 0
    if match:
        unit = (match.group(2) or "").lower()
        size = int(match.group(1)) * {"": 1, "k": 1024, "m": MB, "g": 1024 * MB}[unit]
    if not 0 < size <= MAX_BLOCK_SIZE:
        raise ConfigurationError(
            f"{name}={raw!r} is not a block size (a positive number of bytes, or with KB, MB "
            f"or GB, at most {MAX_BLOCK_SIZE // MB} MB)"
        )
    return size
