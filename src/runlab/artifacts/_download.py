"""Fetch, list and read artifacts by run, by ``runs:/`` or ``models:/`` URI, or by any
artifact URI."""

from __future__ import annotations

import json
import posixpath
import tempfile
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from runlab.errors import InvalidInputError
from runlab.store.artifacts import get_artifact_repository
from runlab.tracking.client import RunlabClient
from runlab.tracking.model_uris import resolve_model_uri

if TYPE_CHECKING:
    from PIL.Image import Image

    from runlab.store.artifacts.base import FileInfo

__all__ = ["download_artifacts", "list_artifacts", "load_dict", "load_image", "load_text"]


def _check_target(
    func: str, artifact_uri: str | None, run_id: str | None, path: str | None
) -> None:
    if artifact_uri is not None and (run_id is not None or path is not None):
        raise InvalidInputError(f"{func}: pass artifact_uri alone, or run_id with artifact_path")
    if artifact_uri is None and run_id is None:
        raise InvalidInputError(f"{func}: pass artifact_uri or run_id")


def _resolve(artifact_uri: str, tracking_uri: str | None, registry_uri: str | None) -> str:
    """The artifact URI behind ``runs:/`` and ``models:/`` forms (others are themselves)."""
    return resolve_model_uri(artifact_uri, RunlabClient(registry_uri or tracking_uri))


def download_artifacts(
    artifact_uri: str | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
    dst_path: str | None = None,
    tracking_uri: str | None = None,
    registry_uri: str | None = None,
) -> str:
    """Download a file or a directory and return its local path.

    Pass either ``artifact_uri`` (``runs:/<run_id>/<path>``, ``models:/<name>/<version>``
    and the other ``models:/`` forms, or any artifact URI), or ``run_id`` with an optional
    ``artifact_path``. ``dst_path`` is created if needed; it defaults to a new temporary
    directory. ``registry_uri`` (default: the tracking URI) resolves ``models:/`` URIs.
    """
    _check_target("download_artifacts", artifact_uri, run_id, artifact_path)
    if run_id is not None:
        return RunlabClient(tracking_uri).download_artifacts(run_id, artifact_path or "", dst_path)
    assert artifact_uri is not None
    root, name = _split_last(_resolve(artifact_uri, tracking_uri, registry_uri))
    return get_artifact_repository(root, tracking_uri).download_artifacts(name, dst_path)


def list_artifacts(
    artifact_uri: str | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
    tracking_uri: str | None = None,
) -> list[FileInfo]:
    """The files and folders directly under a directory artifact (paths relative to it
    when given by URI, to the run's root when given by ``run_id``)."""
    _check_target("list_artifacts", artifact_uri, run_id, artifact_path)
    if run_id is not None:
        return RunlabClient(tracking_uri).list_artifacts(run_id, artifact_path)
    assert artifact_uri is not None
    resolved = _resolve(artifact_uri, tracking_uri, None)
    return get_artifact_repository(resolved, tracking_uri).list_artifacts(None)


def load_text(artifact_uri: str) -> str:
    """The text (UTF-8) of one file artifact."""
    with tempfile.TemporaryDirectory() as tmp:
        with open(download_artifacts(artifact_uri, dst_path=tmp), encoding="utf-8") as f:
            return f.read()


def load_dict(artifact_uri: str) -> dict[str, Any]:
    """A JSON (or YAML, by file extension) artifact, as a dict."""
    text = load_text(artifact_uri)
    if artifact_uri.lower().endswith((".yaml", ".yml")):
        import yaml

        loaded = yaml.safe_load(text)
    else:
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"artifact {artifact_uri!r} is not valid JSON: {exc}") from None
    if not isinstance(loaded, dict):
        raise InvalidInputError(
            f"artifact {artifact_uri!r} holds a {type(loaded).__name__}, not a JSON object"
        )
    return loaded


def load_image(artifact_uri: str) -> Image:
    """An image artifact as a ``PIL.Image.Image`` (needs ``runlab[images]``)."""
    from PIL import Image as pil

    with tempfile.TemporaryDirectory() as tmp:
        image = pil.open(download_artifacts(artifact_uri, dst_path=tmp))
        image.load()  # read the pixels before the file goes
        return image


def _split_last(uri: str) -> tuple[str, str]:
    """``scheme://host/a/b/c`` → (``scheme://host/a/b``, ``c``): the repository holding
    the target and the target's name in it."""
    parts = urlsplit(uri)
    if len(parts.scheme) <= 1:  # a plain path (or a Windows drive letter)
        parent, name = posixpath.split(uri.rstrip("/"))
        return parent or ".", name
    path = parts.path.rstrip("/")
    parent, name = posixpath.split(path)
    if not name:
        raise InvalidInputError(
            f"artifact URI {uri!r} names no file or directory to download (it is a root)"
        )
    return urlunsplit((parts.scheme, parts.netloc, parent or "/", parts.query, "")), name
