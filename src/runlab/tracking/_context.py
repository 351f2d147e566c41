"""The context a run starts in (user, source, git state, host), recorded as system tags.

Tag keys follow MLflow (``mlflow.user``, ``mlflow.source.*``, ``mlflow.source.git.*``) so the
MLflow UI and MLflow-aware tools read them; runlab's own additions use the ``runlab.`` prefix.

Everything that cannot change during a process is computed once: the host and platform tags
once per process, the git state once per source directory. Starting thousands of runs in a
loop therefore runs ``git`` at most once. Call :func:`clear_cache` after a commit if a
long-lived process must pick up the new state.

Set ``RUNLAB_CAPTURE_CONTEXT=0`` (or ``false``, ``no``, ``off``) to record only the user.
"""

from __future__ import annotations

import functools
import os
import sys
from typing import Any

from runlab import environment_variables as envvars

__all__ = [
    "CAPTURE_CONTEXT_ENV",
    "clear_cache",
    "current_user",
    "installed_packages",
    "run_context_tags",
]

CAPTURE_CONTEXT_ENV = envvars.RUNLAB_CAPTURE_CONTEXT.name
_GIT_TIMEOUT_SECONDS = 3.0

USER = "mlflow.user"
SOURCE_NAME = "mlflow.source.name"
SOURCE_TYPE = "mlflow.source.type"
GIT_COMMIT = "mlflow.source.git.commit"
GIT_BRANCH = "mlflow.source.git.branch"
GIT_REPO_URL = "mlflow.source.git.repoURL"
GIT_DIRTY = "runlab.source.git.dirty"

INTERACTIVE = "<interactive>"


def run_context_tags(enabled: bool | None = None) -> dict[str, str]:
    """System tags describing where a new run was started.

    ``enabled=None`` reads ``RUNLAB_CAPTURE_CONTEXT``; when capture is off only
    ``mlflow.user`` is returned. The result is a fresh dict the caller may change.
    """
    if enabled is None:
        enabled = _capture_enabled_by_env()
    if not enabled:
        return {USER: current_user()}
    source_name, source_type, source_dir = _source()
    tags = {USER: current_user(), SOURCE_NAME: source_name, SOURCE_TYPE: source_type}
    tags.update(_git_tags(source_dir))
    tags.update(_process_tags())
    return tags


def current_user() -> str:
    """The login name of the process owner; never raises."""
    return _current_user()


@functools.cache
def _current_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (containers with arbitrary uids), no env vars
        pass
    getuid = getattr(os, "getuid", None)  # POSIX only
    return str(getuid()) if getuid is not None else "unknown"


def installed_packages() -> dict[str, str]:
    """Installed distributions as ``{name: version}``, sorted by lower-cased name.

    Not logged automatically (it is large); meant for an explicit "log requirements" step.
    """
    return dict(_installed_packages())


@functools.cache
def _installed_packages() -> tuple[tuple[str, str], ...]:
    from importlib import metadata

    found: dict[str, str] = {}
    for dist in metadata.distributions():
        try:
            name = dist.metadata["Name"]
            version = dist.version
        except Exception:  # a broken .dist-info must not break the caller
            continue
        if name and version and name not in found:  # first on sys.path wins, as for imports
            found[name] = version
    return tuple(sorted(found.items(), key=lambda item: item[0].lower()))


def clear_cache() -> None:
    """Forget the cached user, process, git and package information."""
    _current_user.cache_clear()
    _installed_packages.cache_clear()
    _process_tags_cached.cache_clear()
    _git_tags_cached.cache_clear()


def _capture_enabled_by_env() -> bool:
    return envvars.RUNLAB_CAPTURE_CONTEXT.get()


# -- source ------------------------------------------------------------------------------------


def _source() -> tuple[str, str, str]:
    """``(source name, source type, directory to look for git in)``."""
    notebook = _notebook_path()
    if notebook is not None:
        if notebook and os.path.isfile(notebook):
            path = os.path.abspath(notebook)
            return path, "NOTEBOOK", os.path.dirname(path)
        return notebook or INTERACTIVE, "NOTEBOOK", _cwd()
    argv0 = sys.argv[0] if sys.argv else ""
    if argv0 and os.path.isfile(argv0):
        path = os.path.abspath(argv0)
        return path, "LOCAL", os.path.dirname(path)
    return INTERACTIVE, "LOCAL", _cwd()


def _notebook_path() -> str | None:
    """The notebook's path ("" when unknown) inside a Jupyter kernel, else None.

    Only a kernel counts: terminal IPython, or a script that merely imported IPython, is not
    a notebook. Jupyter Server 2 sets ``JPY_SESSION_NAME`` in the kernel's environment;
    ipykernel sets ``__session__`` and VS Code sets ``__vsc_ipynb_file__`` in the user
    namespace.
    """
    if "ipykernel" not in sys.modules:
        return None
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    try:
        shell: Any = get_ipython() if get_ipython is not None else None
    except Exception:
        shell = None
    if shell is None or getattr(shell, "kernel", None) is None:
        return None
    for hint in (os.environ.get("JPY_SESSION_NAME"), os.environ.get("__session__")):
        if hint:
            return hint
    user_ns = getattr(shell, "user_ns", None) or {}
    for name in ("__session__", "__vsc_ipynb_file__"):
        value = user_ns.get(name)
        if isinstance(value, str) and value:
            return value
    return ""


def _cwd() -> str:
    try:
        return os.getcwd()
    except OSError:  # the working directory was removed
        return ""


# -- process -----------------------------------------------------------------------------------


def _process_tags() -> dict[str, str]:
    return dict(_process_tags_cached())


@functools.cache
def _process_tags_cached() -> tuple[tuple[str, str], ...]:
    import platform
    import socket

    from runlab._version import __version__

    try:
        host = socket.gethostname()
    except OSError:
        host = ""
    tags = {
        "runlab.host": host,
        "runlab.python_version": platform.python_version(),
        "runlab.version": __version__,
        "runlab.platform": platform.platform(terse=True),
    }
    return tuple((k, v) for k, v in tags.items() if v)


# -- git ---------------------------------------------------------------------------------------


def _git_tags(directory: str) -> dict[str, str]:
    if not directory:
        return {}
    return dict(_git_tags_cached(directory))


@functools.cache
def _git_tags_cached(directory: str) -> tuple[tuple[str, str], ...]:
    """Two git calls, run side by side: the status (commit, branch, dirty) and the origin URL.

    ``--no-optional-locks`` keeps ``git status`` from taking ``index.lock`` to refresh the
    index, so recording a run never collides with a git command the user is running.
    """
    import subprocess

    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):  # set when run from a git hook
        env.pop(var, None)
    commands = [
        ["git", "--no-optional-locks", "status", "--porcelain=v2", "--branch"]
        + ["--untracked-files=no", "--ignore-submodules=dirty"],
        ["git", "config", "--get", "remote.origin.url"],
    ]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for command in commands:
            procs.append(
                subprocess.Popen(
                    command,
                    cwd=directory,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                )
            )
        outputs = []
        for proc in procs:
            out, _ = proc.communicate(timeout=_GIT_TIMEOUT_SECONDS)
            outputs.append((proc.returncode, out.decode("utf-8", "replace")))
    except (OSError, ValueError, subprocess.SubprocessError):  # no git, bad cwd, timeout
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()  # reap the process and close its pipe
        return ()
    (status_rc, status_out), (url_rc, url_out) = outputs
    if status_rc != 0:  # not a work tree, or a repository git refuses to read
        return ()
    commit, branch, dirty = _parse_status(status_out)
    if commit is None:  # no commit yet: nothing to point at
        return ()
    tags = {GIT_COMMIT: commit}
    if branch:
        tags[GIT_BRANCH] = branch
    url = url_out.strip() if url_rc == 0 else ""
    if url:
        tags[GIT_REPO_URL] = strip_url_credentials(url)
    tags[GIT_DIRTY] = "true" if dirty else "false"
    return tuple(tags.items())


def _parse_status(text: str) -> tuple[str | None, str | None, bool]:
    """Read ``git status --porcelain=v2 --branch``: ``(commit, branch, dirty)``."""
    commit: str | None = None
    branch: str | None = None
    dirty = False
    for line in text.splitlines():
        if line.startswith("# branch.oid "):
            value = line[len("# branch.oid ") :].strip()
            commit = None if value == "(initial)" else value
        elif line.startswith("# branch.head "):
            value = line[len("# branch.head ") :].strip()
            branch = None if value == "(detached)" else value
        elif line and not line.startswith("#"):
            dirty = True
    return commit, branch, dirty


def strip_url_credentials(url: str) -> str:
    """Remove secrets from a remote URL.

    For http(s) the whole user-info goes (access tokens are often passed as the user name);
    for other schemes (``ssh://git@host/...``) only a password is removed. scp-like remotes
    (``git@host:org/repo``) carry no secret and are returned unchanged.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, path = rest.partition("/")
    userinfo, at, host = authority.rpartition("@")
    if not at:
        return url
    if scheme.lower() in ("http", "https"):
        authority = host
    else:
        authority = f"{userinfo.split(':', 1)[0]}@{host}"
    return f"{scheme}://{authority}{slash}{path}"
