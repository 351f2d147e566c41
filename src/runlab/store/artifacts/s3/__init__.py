"""Artifacts in Amazon S3 or an S3-compatible object store: ``s3://bucket/prefix``.

Every request goes through boto3, so AWS buckets and S3-compatible stores (MinIO,
Ceph, Cloudflare R2, moto…) take the same code path. Large files use boto3's managed
transfers (multipart uploads, parallel ranged downloads), tuned by the settings below.

=================================  ========================================================
environment variable               meaning
=================================  ========================================================
``RUNLAB_S3_ENDPOINT_URL``         endpoint of an S3-compatible store
``AWS_ENDPOINT_URL_S3``            read by boto3 itself when the above is unset
``AWS_ENDPOINT_URL``               read by boto3 itself when both of the above are unset
``MLFLOW_S3_ENDPOINT_URL``         used when none of the above is set
``RUNLAB_S3_IGNORE_TLS``           ``true``: do not verify the endpoint's certificate
``RUNLAB_S3_ADDRESSING_STYLE``     ``auto`` (default), ``path`` or ``virtual``
``RUNLAB_S3_MULTIPART_THRESHOLD``  files from this size up go multipart (8MB)
``RUNLAB_S3_MULTIPART_CHUNKSIZE``  size of each part (8MB; S3's minimum is 5MB)
``RUNLAB_S3_MAX_CONCURRENCY``      parallel requests of one transfer (10)
``RUNLAB_S3_UPLOAD_EXTRA_ARGS``    JSON object of upload arguments for every write, e.g.
                                   ``{"ServerSideEncryption": "aws:kms"}`` (then
                                   ``MLFLOW_S3_UPLOAD_EXTRA_ARGS``)
=================================  ========================================================

Credentials and the region come from boto3's standard chain (environment, shared
config and credentials files, SSO, instance and container roles). One client per
configuration is made per process and shared: boto3 clients are thread-safe.

S3 has no directories: a "directory" is the common prefix of some keys, so it exists
while a file lies below it, and an empty directory cannot be stored.
"""

from __future__ import annotations

from runlab.store.artifacts.s3._client import clear_client_cache, parse_s3_uri
from runlab.store.artifacts.s3.repository import S3ArtifactRepository
from runlab.store.artifacts.s3.settings import MB, S3Settings

__all__ = ["MB", "S3ArtifactRepository", "S3Settings", "clear_client_cache", "parse_s3_uri"]
