"""boto3's exceptions as runlab errors that name the bucket, the key and what to check."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from runlab.errors import NotFoundError, StorageError
from runlab.store.artifacts.s3.settings import ENDPOINT_ENV, S3Settings

try:
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        PartialCredentialsError,
    )
except ImportError:  # pragma: no cover - the repository says boto3 is missing
    pass


class S3ErrorMapping:
    """Mixed into :class:`~runlab.store.artifacts.s3.repository.S3ArtifactRepository`."""

    artifact_uri: str
    bucket: str
    client: Any
    settings: S3Settings

    if TYPE_CHECKING:  # provided by the repository

        def _key(self, relative: str) -> str: ...

    def _location(self, relative: str) -> str:
        return f"s3://{self.bucket}/{self._key(relative)}"

    @contextlib.contextmanager
    def _errors(self, action: str, relative: str) -> Iterator[None]:
        """Turn boto3's exceptions into runlab errors naming the bucket and key."""
        try:
            yield
        except ClientError as exc:
            raise self._client_error(exc, action, relative) from exc
        except (EndpointConnectionError, ConnectTimeoutError) as exc:
            raise StorageError(
                f"could not {action} {self._location(relative)}: the S3 endpoint "
                f"{self._endpoint()} cannot be reached ({exc}); for an S3-compatible store, "
                f"set {ENDPOINT_ENV}"
            ) from exc
        except (NoCredentialsError, PartialCredentialsError) as exc:
            raise StorageError(
                f"could not {action} {self._location(relative)}: {exc}. Set AWS_ACCESS_KEY_ID "
                "and AWS_SECRET_ACCESS_KEY, choose a profile with AWS_PROFILE, or run where an "
                "instance or container role is available"
            ) from exc
        except BotoCoreError as exc:
            raise StorageError(f"could not {action} {self._location(relative)}: {exc}") from exc
        except OSError as exc:
            raise StorageError(
                f"could not {action} {self._location(relative)}: {exc.strerror or exc}"
            ) from exc
        except Exception as exc:
            # boto3 wraps failed managed uploads in S3UploadFailedError with the cause attached.
            cause = exc.__context__
            if type(exc).__name__ == "S3UploadFailedError" and isinstance(cause, ClientError):
                raise self._client_error(cause, action, relative) from exc
            raise

    def _client_error(self, exc: Any, action: str, relative: str) -> Exception:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        message = error.get("Message") or exc
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        where = self._location(relative)
        if code == "NoSuchBucket":
            return NotFoundError(
                f"S3 bucket {self.bucket!r} does not exist (artifact URI {self.artifact_uri}, "
                f"endpoint {self._endpoint()})"
            )
        if code == "NoSuchUpload":
            return NotFoundError(f"the S3 multipart upload of {where} has ended")
        if code in ("NoSuchKey", "404", "NotFound"):
            name = f"artifact {relative!r}" if relative else "the artifact root"
            return NotFoundError(f"{name} does not exist in {self.artifact_uri} ({where})")
        if status == 403 or code in (
            "AccessDenied",
            "403",
            "Forbidden",
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
            "AllAccessDisabled",
        ):
            hint = (
                f"check the credentials and the bucket's policy; for an S3-compatible store, set "
                f"{ENDPOINT_ENV}"
                if self.settings.endpoint_url is None
                else "check the credentials and the bucket's policy"
            )
            return StorageError(
                f"access denied: could not {action} {where} at {self._endpoint()} "
                f"({code}: {message}); {hint}"
            )
        return StorageError(f"could not {action} {where} at {self._endpoint()}: {code}: {message}")

    def _endpoint(self) -> str:
        return str(getattr(self.client.meta, "endpoint_url", None) or "the default AWS endpoint")
