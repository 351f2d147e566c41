"""google-cloud-storage's exceptions as runlab errors that name the bucket, the object and
what to check."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from runlab.errors import NotFoundError, StorageError
from runlab.store.artifacts.gcs.settings import CREDENTIALS_ENV, EMULATOR_ENV

_CREDENTIALS_HINT = (
    f"set {CREDENTIALS_ENV} to a service account key file, run `gcloud auth "
    "application-default login`, or run where a metadata server gives credentials"
)


def credentials_error(exc: BaseException, where: str) -> StorageError:
    return StorageError(f"no Google Cloud credentials for {where} ({exc}); {_CREDENTIALS_HINT}")


class GCSErrorMapping:
    """Mixed into :class:`~runlab.store.artifacts.gcs.repository.GCSArtifactRepository`."""

    artifact_uri: str
    bucket_name: str
    bucket: Any
    prefix: str

    def _object(self, relative: str) -> str:
        return "/".join(part for part in (self.prefix, relative) if part)

    def _location(self, relative: str) -> str:
        return f"gs://{self.bucket_name}/{self._object(relative)}"

    @contextlib.contextmanager
    def _errors(self, action: str, relative: str) -> Iterator[None]:
        """Turn the library's exceptions into runlab errors naming the bucket and object."""
        from google.api_core import exceptions as api
        from google.auth import exceptions as auth
        from google.cloud.storage import exceptions as media

        where = self._location(relative)
        try:
            yield
        except api.NotFound as exc:
            raise self._not_found(relative) from exc
        except (api.Forbidden, api.Unauthorized) as exc:
            raise StorageError(
                f"access denied: could not {action} {where} ({exc.code}: {exc.message}); "
                f"check the credentials' roles on bucket {self.bucket_name!r}"
            ) from exc
        except api.GoogleAPICallError as exc:
            raise StorageError(f"could not {action} {where}: {exc.code}: {exc.message}") from exc
        except auth.DefaultCredentialsError as exc:
            raise credentials_error(exc, where) from exc
        except auth.GoogleAuthError as exc:
            raise StorageError(f"could not {action} {where}: {exc}; {_CREDENTIALS_HINT}") from exc
        except api.RetryError as exc:
            raise StorageError(
                f"could not {action} {where}: Cloud Storage at {self._endpoint()} did not "
                f"answer in time ({exc.cause or exc})"
            ) from exc
        except OSError as exc:
            # requests' ConnectionError and Timeout are OSErrors, and so are local file errors.
            raise StorageError(
                f"could not {action} {where}: {exc.strerror or exc} (endpoint {self._endpoint()})"
            ) from exc
        except (media.InvalidResponse, media.DataCorruption) as exc:
            # An unexpected status from an upload or download, or a checksum mismatch.
            raise StorageError(f"could not {action} {where}: {exc}") from exc

    def _not_found(self, relative: str) -> NotFoundError:
        # Cloud Storage answers 404 for a missing bucket and for a missing object alike.
        if not self._bucket_exists():
            return NotFoundError(
                f"Cloud Storage bucket {self.bucket_name!r} does not exist "
                f"(artifact URI {self.artifact_uri}, endpoint {self._endpoint()})"
            )
        name = f"artifact {relative!r}" if relative else "the artifact root"
        return NotFoundError(
            f"{name} does not exist in {self.artifact_uri} ({self._location(relative)})"
        )

    def _bucket_exists(self) -> bool:
        try:
            return bool(self.bucket.exists())
        except Exception:  # the question was only to word the error better
            return True

    def _endpoint(self) -> str:
        return os.environ.get(EMULATOR_ENV) or "storage.googleapis.com"
