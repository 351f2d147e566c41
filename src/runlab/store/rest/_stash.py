"""Artifact uploads through the journal: files set aside at log time, uploaded in order.

``log_artifact`` with a tracking server does not upload at once: the file is set aside
in the journal's own folder (``<journal>.files/``), hard-linked when it is on the same
file system and copied otherwise, and one ``artifacts`` row names it, after everything
logged to the run before it. The sender uploads it when its turn comes and deletes the
copy once the upload is acknowledged; a file's upload is a PUT of the whole file, so
sending it twice leaves the same file.

A hard link shares the file with its owner: rewriting it in place after logging it
changes what is uploaded. The size and modification time are recorded, and an upload
that finds them changed says so in a warning (docs/reliability.md).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import posixpath
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runlab.errors import NotFoundError, StorageError

if TYPE_CHECKING:
    from runlab.store.artifacts.base import ArtifactRepository
    from runlab.store.rest.journal import Entry, Journal
    from runlab.store.rest.store import RestStore

__all__ = ["Uploader", "discard", "stash_bytes", "stash_files"]

log = logging.getLogger("runlab")


def stash_files(journal: Journal, pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Set each ``(local file, artifact path)`` aside; the body of their journal row."""
    folder = uuid.uuid4().hex
    files = []
    try:
        for i, (source, relative) in enumerate(pairs):
            name = f"{folder}/{i}/{posixpath.basename(relative)}"
            target = journal.files_dir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            _link_or_copy(source, target)
            st = target.stat()
            files.append(
                {"file": name, "path": relative, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
            )
    except OSError as exc:
        shutil.rmtree(journal.files_dir / folder, ignore_errors=True)
        raise StorageError(
            f"cannot set {source!r} aside in the runlab journal {journal.files_dir}: "
            f"{exc.strerror or exc}"
        ) from exc
    return {"folder": folder, "files": files}


def stash_bytes(journal: Journal, data: bytes, relative: str) -> dict[str, Any]:
    """Write ``data`` (a text, dict, figure or image being logged) beside the journal."""
    folder = uuid.uuid4().hex
    name = f"{folder}/0/{posixpath.basename(relative)}"
    target = journal.files_dir / name
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        st = target.stat()
    except OSError as exc:
        shutil.rmtree(journal.files_dir / folder, ignore_errors=True)
        raise StorageError(
            f"cannot write {relative!r} to the runlab journal {journal.files_dir}: "
            f"{exc.strerror or exc}"
        ) from exc
    entry = {"file": name, "path": relative, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    return {"folder": folder, "files": [entry]}


def discard(journal: Journal, body: dict[str, Any]) -> None:
    """Delete the files an ``artifacts`` row set aside (once it is done with)."""
    folder = str(body.get("folder") or "")
    if folder and "/" not in folder and folder not in (".", ".."):
        shutil.rmtree(journal.files_dir / folder, ignore_errors=True)


def _link_or_copy(source: str, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or one without hard links
        shutil.copyfile(source, target)


class Uploader:
    """Uploads ``artifacts`` rows for one store, each run's repository looked up once."""

    def __init__(self, store: RestStore, quiet: bool) -> None:
        self._store = store
        self._quiet = quiet  # try once: the outbox does its own waiting
        self._repos: dict[str, ArtifactRepository] = {}

    def upload(self, journal: Journal, entry: Entry) -> None:
        repo = self._repo(entry.run_id)
        for item in entry.body.get("files") or ():
            local = journal.files_dir / str(item["file"])
            relative = str(item["path"])
            try:
                st = local.stat()
            except FileNotFoundError:
                raise NotFoundError(
                    f"artifact {relative!r} of run {entry.run_id}: the copy kept for it in "
                    f"{journal.files_dir} is gone"
                ) from None
            if (st.st_size, st.st_mtime_ns) != (item.get("size"), item.get("mtime_ns")):
                log.warning(
                    "runlab: %s changed after it was logged to run %s; uploading it as it is now",
                    relative,
                    entry.run_id,
                )
            directory = posixpath.dirname(relative)
            repo.log_artifact(local, directory or None)

    def _repo(self, run_id: str) -> ArtifactRepository:
        repo = self._repos.get(run_id)
        if repo is None:
            from runlab.store.artifacts import get_artifact_repository
            from runlab.store.artifacts.http import HttpArtifactRepository

            uri = self._store.get_run(run_id).info.artifact_uri
            repo = get_artifact_repository(uri, tracking_uri=self._store.tracking_uri)
            if self._quiet and isinstance(repo, HttpArtifactRepository):
                repo.http.settings = dataclasses.replace(repo.http.settings, max_retries=0)
            self._repos[run_id] = repo
        return repo
