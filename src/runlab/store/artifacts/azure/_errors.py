"""The SDK's exceptions as runlab errors that name the container, the blob and what to check."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from runlab.errors import NotFoundError, RunlabError, StorageError
from runlab.store.artifacts.azure._client import credential_source
from runlab.store.artifacts.azure.settings import AzureLocation, AzureSettings

try:
    from azure.core.exceptions import (
        AzureError,
        ClientAuthenticationError,
        HttpResponseError,
        ResourceNotFoundError,
        ServiceRequestError,
    )
except ImportError:  # pragma: no cover - the repository says the SDK is missing
    pass

_DENIED = {
    "AuthenticationFailed",
    "AuthorizationFailure",
    "AuthorizationPermissionMismatch",
    "AuthorizationSourceIPMismatch",
    "InsufficientAccountPermissions",
    "AccountIsDisabled",
}


class AzureErrorMapping:
    """Mixed into :class:`~runlab.store.artifacts.azure.repository.AzureBlobArtifactRepository`."""

    artifact_uri: str
    location: AzureLocation
    settings: AzureSettings
    service: Any

    if TYPE_CHECKING:  # provided by the repository

        def _key(self, relative: str) -> str: ...

    def _where(self, relative: str) -> str:
        return self.location.url(self._key(relative))

    @contextlib.contextmanager
    def _errors(self, action: str, relative: str) -> Iterator[None]:
        """Turn the SDK's exceptions into runlab errors naming the container and blob."""
        try:
            yield
        except RunlabError:
            raise
        except ResourceNotFoundError as exc:
            raise self._not_found(exc, relative) from exc
        except ClientAuthenticationError as exc:  # also azure-identity's "no credential"
            raise self._denied(exc, action, relative) from exc
        except HttpResponseError as exc:
            if exc.status_code == 403 or _code(exc) in _DENIED:
                raise self._denied(exc, action, relative) from exc
            raise StorageError(
                f"could not {action} {self._where(relative)} at {self._endpoint()}: "
                f"{_code(exc) or exc.status_code}: {_first_line(exc)}"
            ) from exc
        except ServiceRequestError as exc:
            raise StorageError(
                f"could not {action} {self._where(relative)}: the blob endpoint "
                f"{self._endpoint()} cannot be reached ({_first_line(exc)})"
            ) from exc
        except AzureError as exc:
            raise StorageError(
                f"could not {action} {self._where(relative)}: {_first_line(exc)}"
            ) from exc
        except OSError as exc:
            raise StorageError(
                f"could not {action} {self._where(relative)}: {exc.strerror or exc}"
            ) from exc

    def _not_found(self, exc: Any, relative: str) -> NotFoundError:
        if _code(exc) == "ContainerNotFound":
            return NotFoundError(
                f"Azure container {self.location.container!r} does not exist in storage "
                f"account {self.location.account!r} (artifact URI {self.artifact_uri}, "
                f"endpoint {self._endpoint()})"
            )
        name = f"artifact {relative!r}" if relative else "the artifact root"
        return NotFoundError(
            f"{name} does not exist in {self.artifact_uri} ({self._where(relative)})"
        )

    def _denied(self, exc: Any, action: str, relative: str) -> StorageError:
        source = credential_source()
        return StorageError(
            f"access denied: could not {action} {self._where(relative)} at {self._endpoint()} "
            f"with {source} ({_code(exc) or 'authentication failed'}: {_first_line(exc)}); "
            f"check the key, or the identity's role on container {self.location.container!r}"
        )

    def _endpoint(self) -> str:
        url = str(getattr(self.service, "url", "") or self.location.default_account_url)
        return url.rstrip("/")


def _code(exc: Any) -> str:
    """The service's error code ("BlobNotFound"); the SDK gives an enum for known ones."""
    code = getattr(exc, "error_code", None)
    return str(getattr(code, "value", code) or "")


def _first_line(exc: BaseException) -> str:
    """The SDK's messages run on with request ids and XML: the first line says it."""
    message = str(getattr(exc, "message", None) or exc).strip()
    return message.splitlines()[0] if message else type(exc).__name__
