"""How Cloud Storage artifact storage is configured (see :mod:`runlab.store.artifacts.gcs`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from runlab import environment_variables as envvars

EMULATOR_ENV = "STORAGE_EMULATOR_HOST"  # google-cloud-storage's own variable
CREDENTIALS_ENV = "GOOGLE_APPLICATION_CREDENTIALS"
PROJECT_ENV = "GOOGLE_CLOUD_PROJECT"
INSTALL_HINT = "Google Cloud Storage artifacts need google-cloud-storage: pip install 'runlab[gcs]'"
LIST_PAGE_SIZE = 1000


@dataclass(frozen=True)
class GCSSettings:
    """Chunk sizes (bytes), parallelism and the per-request timeout (seconds)."""

    upload_chunk_size: int = envvars.RUNLAB_GCS_UPLOAD_CHUNK_SIZE.default
    download_chunk_size: int = envvars.RUNLAB_GCS_DOWNLOAD_CHUNK_SIZE.default
    max_concurrency: int = envvars.RUNLAB_GCS_MAX_CONCURRENCY.default
    timeout: float = envvars.RUNLAB_GCS_TIMEOUT.default

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> GCSSettings:
        return cls(
            upload_chunk_size=envvars.RUNLAB_GCS_UPLOAD_CHUNK_SIZE.get(environ),
            download_chunk_size=envvars.RUNLAB_GCS_DOWNLOAD_CHUNK_SIZE.get(environ),
            max_concurrency=envvars.RUNLAB_GCS_MAX_CONCURRENCY.get(environ),
            timeout=envvars.RUNLAB_GCS_TIMEOUT.get(environ),
        )
