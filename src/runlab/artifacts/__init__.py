"""Artifacts by URI (``runlab.artifacts``, like ``mlflow.artifacts``).

::

    path = runlab.artifacts.download_artifacts("models:/fraud@champion")
    config = runlab.artifacts.load_dict("runs:/<run_id>/config.json")

Every function takes ``runs:/`` and ``models:/`` URIs as well as artifact URIs, so it
sits above the tracking client that resolves them; the repositories themselves (one
per storage backend) live in :mod:`runlab.store.artifacts` and are re-exported here.
"""

from __future__ import annotations

from runlab.artifacts._download import (
    download_artifacts,
    list_artifacts,
    load_dict,
    load_image,
    load_text,
)
from runlab.store.artifacts import (
    ArtifactRepository,
    ArtifactRepositoryFactory,
    FileInfo,
    LocalArtifactRepository,
    get_artifact_repository,
    register_artifact_repository,
)

__all__ = [
    "ArtifactRepository",
    "ArtifactRepositoryFactory",
    "FileInfo",
    "LocalArtifactRepository",
    "download_artifacts",
    "get_artifact_repository",
    "list_artifacts",
    "load_dict",
    "load_image",
    "load_text",
    "register_artifact_repository",
]
