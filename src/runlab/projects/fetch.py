"""Where a project's files come from: a local folder, or a git repository.

A git URI (``https://``, ``ssh://``, ``git@host:path``, ``file://``...) is cloned once
into the cache as a bare mirror (``repos/``), fetched again on later runs unless the
version asked for is a commit the mirror already has, and checked out for each run into
a fresh folder under ``checkouts/``, removed when the run ends. ``#subdirectory`` names
the project's folder inside the repository, for git URIs and local folders alike.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from runlab.errors import ConfigurationError, InvalidInputError, NotFoundError
from runlab.projects._locks import file_lock
from runlab.projects._settings import ProjectSettings

_GIT_SCHEMES = ("https", "http", "ssh", "git", "file", "git+ssh", "git+https")
_SCP_LIKE = re.compile(r"^[\w.-]+@[\w.-]+:(?!//)")
_FULL_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


@dataclass(frozen=True)
class Source:
    """The project's files on disk and what the run records about their origin."""

    uri: str  # as the user gave it, a local path made absolute
    work_dir: Path
    source_name: str  # the mlflow.source.name tag
    commit: str | None
    repo_url: str | None
    branch: str | None
    is_git_uri: bool
    checkout: Path | None = None  # a per-run folder to remove afterwards

    def cleanup(self) -> None:
        if self.checkout is not None:
            shutil.rmtree(self.checkout, ignore_errors=True)


def split_uri(uri: str) -> tuple[str, str]:
    """``base#sub/dir`` → (``base``, ``sub/dir``)."""
    base, _, sub = uri.partition("#")
    return base, sub.strip("/")


def is_git_uri(base: str) -> bool:
    return urlparse(base).scheme in _GIT_SCHEMES or bool(_SCP_LIKE.match(base))


def _git(*args: str, cwd: Path | None = None, what: str) -> str:
    if shutil.which("git") is None:
        raise ConfigurationError("git is not installed (needed to run a project from git)")
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        raise NotFoundError(f"{what}: {lines[-1] if lines else f'git exit {done.returncode}'}")
    return done.stdout.strip()


def _inside(root: Path, sub: str, uri: str) -> Path:
    folder = (root / sub).resolve() if sub else root.resolve()
    if not folder.is_relative_to(root.resolve()) or not folder.is_dir():
        raise InvalidInputError(f"subdirectory {sub!r} of {uri!r} is not a folder of it")
    return folder


def fetch(uri: str, version: str | None, settings: ProjectSettings) -> Source:
    base, sub = split_uri(uri)
    if is_git_uri(base):
        return _fetch_git(base, sub, version, settings)
    if version is not None:
        raise InvalidInputError(
            "--version applies to git URIs (https://, ssh://, file://...), not to the local "
            f"folder {base!r}: check the version out there, or pass file://{Path(base).resolve()}"
        )
    root = Path(base).expanduser().resolve()
    if not root.is_dir():
        raise InvalidInputError(f"project {base!r} is neither a folder nor a git URI")
    folder = _inside(root, sub, uri)
    return _local_source(folder, str(root) + (f"#{sub}" if sub else ""))


def _local_source(folder: Path, uri: str) -> Source:
    """A folder of a git work tree is recorded the way MLflow does: file://top#sub."""
    try:
        top = Path(_git("rev-parse", "--show-toplevel", cwd=folder, what="not git"))
        commit = _git("rev-parse", "HEAD", cwd=folder, what="no commit")
    except (NotFoundError, ConfigurationError):
        return Source(uri, folder, str(folder), None, None, None, is_git_uri=False)
    rel = folder.relative_to(top.resolve()).as_posix()
    name = f"file://{top}" + (f"#{rel}" if rel != "." else "")
    origin: str | None = None
    with contextlib.suppress(NotFoundError):
        origin = _git("remote", "get-url", "origin", cwd=folder, what="no origin")
    branch = _git("rev-parse", "--abbrev-ref", "HEAD", cwd=folder, what="no branch")
    return Source(uri, folder, name, commit, origin, None if branch == "HEAD" else branch, False)


def _mirror(base: str, version: str | None, settings: ProjectSettings) -> Path:
    key = hashlib.sha256(base.encode()).hexdigest()[:20]
    mirror = settings.repos / f"{key}.git"
    settings.repos.mkdir(parents=True, exist_ok=True)
    with file_lock(settings.repos / f"{key}.lock"):
        if not (mirror / "HEAD").is_file():
            shutil.rmtree(mirror, ignore_errors=True)
            _git("clone", "--quiet", "--mirror", base, str(mirror), what=f"cannot clone {base}")
        elif not (version and _FULL_SHA.match(version) and _has_commit(mirror, version)):
            _git("fetch", "--quiet", "--prune", cwd=mirror, what=f"cannot fetch {base}")
    return mirror


def _has_commit(mirror: Path, version: str) -> bool:
    try:
        _git("cat-file", "-e", f"{version}^{{commit}}", cwd=mirror, what="missing")
    except NotFoundError:
        return False
    return True


def _fetch_git(base: str, sub: str, version: str | None, settings: ProjectSettings) -> Source:
    mirror = _mirror(base, version, settings)
    wanted = version or "HEAD"
    try:
        commit = _git("rev-parse", "--verify", "--quiet", f"{wanted}^{{commit}}", cwd=mirror,
                      what="unknown")  # fmt: skip
    except NotFoundError:
        raise NotFoundError(
            f"version {wanted!r} is not a commit, branch or tag of {base}"
        ) from None
    branch = None
    if version and not _FULL_SHA.match(version):
        with contextlib.suppress(NotFoundError):
            _git("show-ref", "--verify", "--quiet", f"refs/heads/{version}", cwd=mirror, what="")
            branch = version
    settings.checkouts.mkdir(parents=True, exist_ok=True)
    checkout = Path(tempfile.mkdtemp(prefix=f"{commit[:12]}-", dir=settings.checkouts))
    try:
        what = f"cannot check out {wanted} of {base}"
        _git("clone", "--quiet", "--shared", "--no-checkout", str(mirror), str(checkout),
             what=what)  # fmt: skip
        _git("checkout", "--quiet", "--detach", commit, cwd=checkout, what=what)
        _git("remote", "set-url", "origin", base, cwd=checkout, what=what)
        folder = _inside(checkout, sub, f"{base}#{sub}")
    except BaseException:
        shutil.rmtree(checkout, ignore_errors=True)
        raise
    uri = base + (f"#{sub}" if sub else "")
    return Source(uri, folder, uri, commit, base, branch, True, checkout)
