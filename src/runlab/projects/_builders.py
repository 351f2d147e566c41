"""Building environments once, into the cache, and reusing them.

A built environment is the folder ``envs/<manager>-<hash>``; it counts as built once its
``.runlab-env.json`` exists (written last), so a build that failed or was stopped is
started again from scratch. A file lock per environment keeps two runs from building
the same one at once: the second waits, then reuses it.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from runlab.errors import RunlabError
from runlab.projects import _docker
from runlab.projects._locks import file_lock
from runlab.projects._process import BuildLog, ProcessGroup
from runlab.projects._settings import ProjectSettings
from runlab.projects.environments import (
    PythonRequirements,
    env_hash,
    find_uv,
    included_files,
    python_requirements,
)
from runlab.projects.spec import Project

MARKER = ".runlab-env.json"
FREEZE = ".runlab-freeze.txt"


@dataclass(frozen=True)
class Environment:
    """A ready environment: how to run a command inside it, and what it is made of."""

    manager: str
    prefix: Path | None = None
    reused: bool = False
    record: dict[str, Any] = field(default_factory=dict)  # the environment's JSON artifact
    freeze: str | None = None  # the packages installed, as pip freeze lists them
    docker: dict[str, Any] | None = None

    def wrap(
        self, command: str, work_dir: Path, env: dict[str, str], tracking_dir: Path | None
    ) -> tuple[list[str], dict[str, str]]:
        """The argv and environment variables that run ``command`` in this environment."""
        if self.docker is not None:
            return _docker.argv(self.docker, command, work_dir, env, tracking_dir), env
        env = dict(env)
        if self.prefix is not None:
            env["PATH"] = f"{self.prefix / 'bin'}{os.pathsep}{env.get('PATH', '')}"
            env["CONDA_PREFIX" if self.manager == "conda" else "VIRTUAL_ENV"] = str(self.prefix)
            env.pop("PYTHONHOME", None)
        else:  # local: `python` is the interpreter runlab runs on
            here = str(Path(sys.executable).parent)
            env["PATH"] = f"{here}{os.pathsep}{env.get('PATH', '')}"
        return ["bash", "-c", command], env


def prepare(
    project: Project,
    manager: str,
    settings: ProjectSettings,
    log: BuildLog,
    group: ProcessGroup,
) -> Environment:
    if manager == "local":
        return Environment("local", record={"manager": "local", "python": sys.executable})
    if manager == "docker":
        assert project.env.docker is not None
        return Environment("docker", record={"manager": "docker", **project.env.docker},
                           docker=project.env.docker)  # fmt: skip
    reqs = None if manager == "conda" else python_requirements(project)
    name = f"{manager}-{env_hash(manager, project, reqs)}"
    prefix = settings.envs / name
    with file_lock(settings.envs / f"{name}.lock"):
        marker = prefix / MARKER
        if marker.is_file():
            log.note(f"reusing the {manager} environment {name} (built before)")
            return _ready(manager, prefix, reused=True)
        shutil.rmtree(prefix, ignore_errors=True)  # a build that did not finish
        settings.envs.mkdir(parents=True, exist_ok=True)
        log.path = settings.envs / f"{name}.log"
        log.path.write_text("", encoding="utf-8")
        log.note(f"building the {manager} environment {name}")
        started = time.monotonic()
        try:
            steps = _conda_steps(project, prefix) if reqs is None else (
                _python_steps(manager, project, prefix, reqs, log))  # fmt: skip
            for argv in steps:
                code = group.run_logged(argv, project.directory, _build_env(), log)
                if code != 0:
                    raise RunlabError(
                        f"building the {manager} environment failed ({argv[0]} "
                        f"{argv[1] if len(argv) > 1 else ''} exited with {code})"
                    )
            if not (prefix / "bin").is_dir():
                raise RunlabError(f"building the {manager} environment made no {prefix}")
            freeze = _freeze(manager, prefix, project.directory, group)
        except BaseException:
            shutil.rmtree(prefix, ignore_errors=True)
            raise
        (prefix / FREEZE).write_text(freeze, encoding="utf-8")
        record = {
            "manager": manager,
            "name": name,
            "python": _python_version(prefix),
            "built_at": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "build_seconds": round(time.monotonic() - started, 3),
            "requirements": None if reqs is None else {
                "python": reqs.python,
                "build_dependencies": list(reqs.build_dependencies),
                "dependencies": list(reqs.dependencies),
            },
        }  # fmt: skip
        marker.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        log.note(f"built {name} in {record['build_seconds']} s")
        return _ready(manager, prefix, reused=False)


def _ready(manager: str, prefix: Path, reused: bool) -> Environment:
    record = json.loads((prefix / MARKER).read_text(encoding="utf-8"))
    freeze_file = prefix / FREEZE
    freeze = freeze_file.read_text(encoding="utf-8") if freeze_file.is_file() else None
    return Environment(manager, prefix, reused, record, freeze)


def _build_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONHOME")}
    env.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    return env


def _python_for(spec: str | None) -> str:
    """The running interpreter when it is the version asked for (no search), else the spec."""
    current = platform.python_version()
    if spec is None or current == spec or current.startswith(spec + "."):
        return sys.executable
    return spec


def _python_steps(
    manager: str, project: Project, prefix: Path, reqs: PythonRequirements, log: BuildLog
) -> list[list[str]]:
    for note in reqs.notes:
        log.note(note)
    python = _python_for(reqs.python)
    interpreter = str(prefix / "bin" / "python")
    if manager == "uv":
        uv = find_uv()
        assert uv is not None  # choose_manager checked
        steps = [[uv, "venv", "--python", python, str(prefix)]]
        install = [uv, "pip", "install", "--python", interpreter]
    else:
        steps = [[*_virtualenv_command(), "--python", python, str(prefix)]]
        install = [interpreter, "-m", "pip", "install"]
    prefix.mkdir(parents=True, exist_ok=True)
    for label, lines in (("build", reqs.build_dependencies), ("run", reqs.dependencies)):
        if not lines:
            continue
        req_file = prefix.parent / f"{prefix.name}.{label}-requirements.txt"
        req_file.write_text(_absolute_includes(lines, project.directory), encoding="utf-8")
        steps.append([*install, "-r", str(req_file)])
    return steps


def _absolute_includes(lines: tuple[str, ...], base: Path) -> str:
    """The requirement lines, their ``-r`` files made absolute (the file lives elsewhere)."""
    includes = included_files(lines, base)
    out = []
    for line in lines:
        for written, path in includes.items():
            if line.strip().endswith(written) and line.lstrip().startswith("-"):
                line = line.replace(written, str(path))
        out.append(line)
    return "\n".join(out) + "\n"


def _virtualenv_command() -> list[str]:
    import importlib.util

    if importlib.util.find_spec("virtualenv") is not None:
        return [sys.executable, "-m", "virtualenv"]
    found = shutil.which("virtualenv")
    if found is None:
        from runlab.errors import ConfigurationError

        raise ConfigurationError(
            "--env-manager virtualenv: virtualenv is not installed (pip install virtualenv), "
            "or choose uv"
        )
    return [found]


def _conda_steps(project: Project, prefix: Path) -> list[list[str]]:
    assert project.env.path is not None
    conda = shutil.which("conda") or "conda"
    return [[conda, "env", "create", "--quiet", "--prefix", str(prefix),
             "--file", str(project.env.path)]]  # fmt: skip


def _freeze(manager: str, prefix: Path, cwd: Path, group: ProcessGroup) -> str:
    """What the build installed (kept as an artifact of every run in the environment)."""
    if manager == "conda":
        argv = [shutil.which("conda") or "conda", "list", "--export", "--prefix", str(prefix)]
    elif manager == "uv":
        argv = [find_uv() or "uv", "pip", "freeze", "--python", str(prefix / "bin" / "python")]
    else:
        argv = [str(prefix / "bin" / "python"), "-m", "pip", "freeze", "--all"]
    captured = BuildLog(None, keep=None)
    code = group.run_logged(argv, cwd, _build_env(), captured)
    lines = list(captured.tail)[1:]  # the first line is the command itself
    return "".join(lines) if code == 0 else ""


def _python_version(prefix: Path) -> str | None:
    cfg = prefix / "pyvenv.cfg"
    if not cfg.is_file():
        return None
    for line in cfg.read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("=")
        if key.strip() in ("version", "version_info"):
            return value.strip()
    return None
