"""Model URIs to local folders.

==================================  ==============================================
URI                                 resolved by
==================================  ==============================================
``/path/to/model``, ``file:///...``  used in place
``runs:/<run_id>/<path>``           downloading the run's artifacts at ``path``
``models:/m-<id>``                  the logged model's artifact location
``models:/<name>/<version>``,       the model registry
``models:/<name>@<alias>``,
``models:/<name>/<stage>``
any artifact URI (``s3://``...)     the artifact repository of its scheme
==================================  ==============================================
"""

from __future__ import annotations

import os
import tempfile
from urllib.parse import unquote, urlsplit

from runlab.errors import InvalidInputError, NotFoundError

__all__ = ["download_model", "parse_runs_uri"]


def parse_runs_uri(uri: str) -> tuple[str, str]:
    """``runs:/<run_id>/<path>`` as ``(run_id, path)``."""
    rest = uri[len("runs:") :].lstrip("/")
    run_id, _, path = rest.partition("/")
    if not run_id:
        raise InvalidInputError(f"model URI {uri!r}: expected runs:/<run_id>/<artifact path>")
    return run_id, path.strip("/")


def download_model(model_uri: str | os.PathLike[str], dst_path: str | None = None) -> str:
    """A local folder holding the files at ``model_uri`` (a path of the model itself when
    it is already local; otherwise a new folder below ``dst_path`` or a temporary one)."""
    return _download(os.fspath(model_uri), dst_path, depth=0)


def _download(uri: str, dst_path: str | None, depth: int) -> str:
    if depth > 3:
        raise InvalidInputError(f"model URI {uri!r} resolves to itself")
    scheme = urlsplit(uri).scheme.lower()
    if len(scheme) <= 1:  # a plain path (or a Windows drive letter)
        return _local(uri, uri)
    if scheme == "file":
        parts = urlsplit(uri)
        if parts.netloc not in ("", "localhost"):
            raise InvalidInputError(f"model URI {uri!r}: file URIs must name a local path")
        return _local(unquote(parts.path), uri)
    if scheme == "runs":
        from runlab.tracking.client import RunlabClient

        run_id, path = parse_runs_uri(uri)
        dst = dst_path or tempfile.mkdtemp(prefix="runlab-model-")
        # The client finds the files of a model the run logged, where MLflow 3 keeps them.
        return RunlabClient().download_artifacts(run_id, path, dst)
    if scheme == "models":
        from runlab.registry.uris import resolve_model_uri

        return _download(str(resolve_model_uri(uri)), dst_path, depth + 1)
    from runlab.store.artifacts import get_artifact_repository

    dst = dst_path or tempfile.mkdtemp(prefix="runlab-model-")
    return get_artifact_repository(uri).download_artifacts("", dst)


def _local(path: str, uri: str) -> str:
    if not os.path.exists(path):
        raise NotFoundError(f"model URI {uri!r}: {path!r} does not exist")
    return os.path.abspath(path)
