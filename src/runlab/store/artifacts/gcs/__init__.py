"""Artifacts in Google Cloud Storage: ``gs://bucket/prefix`` (``runlab[gcs]``).

Every request goes through google-cloud-storage. Files above the upload chunk size go
as resumable uploads, one chunk per request; files above the download chunk size come
back in ranged requests run in parallel (the library's transfer manager); many files
move on a pool of threads.

===================================  ======================================================
environment variable                 meaning
===================================  ======================================================
``GOOGLE_APPLICATION_CREDENTIALS``   a service account key file (else the default
                                     credentials: ``gcloud auth application-default
                                     login``, the metadata server of GCE, GKE, Cloud Run…)
``GOOGLE_CLOUD_PROJECT``             the project billed for requests, when credentials
                                     name none
``STORAGE_EMULATOR_HOST``            ``http://host:port`` of a Cloud Storage emulator; the
                                     library sends everything there, and runlab then uses
                                     anonymous credentials unless a key file is set
``RUNLAB_GCS_UPLOAD_CHUNK_SIZE``     resumable uploads above this size, in chunks of it
                                     (8MB; a multiple of 256KB)
``RUNLAB_GCS_DOWNLOAD_CHUNK_SIZE``   ranged parallel downloads above this size (8MB)
``RUNLAB_GCS_MAX_CONCURRENCY``       parallel requests of one transfer (8)
``RUNLAB_GCS_TIMEOUT``               seconds to wait for each request (60)
===================================  ======================================================

Like S3, Cloud Storage has no directories: a "directory" is the common prefix of some
objects, so it exists while a file lies below it.
"""

from __future__ import annotations

from runlab.store.artifacts.gcs._client import clear_client_cache, parse_gcs_uri
from runlab.store.artifacts.gcs.repository import GCSArtifactRepository
from runlab.store.artifacts.gcs.settings import GCSSettings

__all__ = ["GCSArtifactRepository", "GCSSettings", "clear_client_cache", "parse_gcs_uri"]
