"""Which environment a project runs in, and what goes into it.

``python_env.yaml`` (``python``, ``build_dependencies``, ``dependencies``) is read as
MLflow writes it; a ``conda.yaml`` gives a uv or virtualenv environment its Python
version and its ``pip`` dependencies. An environment is named by the hash of what
builds it (manager, Python, the dependency lists and the files they ``-r`` include), so
every project with the same needs shares one build.
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runlab.errors import ConfigurationError, InvalidInputError
from runlab.projects.spec import Project, read_yaml

MANAGERS = ("local", "virtualenv", "uv", "conda")
FORMAT = 1  # bump when the layout of a built environment changes
_PYTHON_ENV_KEYS = frozenset({"python", "build_dependencies", "dependencies"})
_INCLUDE = re.compile(r"^\s*(-r|--requirement|-c|--constraint)[\s=]+(\S+)\s*$")
_CONDA_PYTHON = re.compile(r"^python\s*(?:[=<>!~]=?\s*([\w.*]+))?")


@dataclass(frozen=True)
class PythonRequirements:
    """What a uv or virtualenv environment is built from."""

    python: str | None  # a version such as "3.11", or None for the running interpreter
    build_dependencies: tuple[str, ...] = ()
    dependencies: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=(), compare=False)  # what was left out, and why


def _strings(path: Path, key: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInputError(f"{path.name}: {key!r} must be a list of strings")
    return tuple(value)


def read_python_env(path: Path) -> PythonRequirements:
    raw = read_yaml(path)
    if not isinstance(raw, Mapping):
        raise InvalidInputError(f"{path.name} must be a mapping with 'python' and lists")
    unknown = sorted(set(raw) - _PYTHON_ENV_KEYS)
    if unknown:
        raise InvalidInputError(
            f"{path.name}: unknown key {unknown[0]!r}; the keys are python, "
            "build_dependencies and dependencies"
        )
    python = raw.get("python")
    if python is not None and not isinstance(python, str):
        raise InvalidInputError(
            f"{path.name}: 'python' must be a string: quote it (python: \"{python}\"), "
            "or YAML reads 3.10 as the number 3.1"
        )
    return PythonRequirements(
        python,
        _strings(path, "build_dependencies", raw.get("build_dependencies")),
        _strings(path, "dependencies", raw.get("dependencies")),
    )


def read_conda_as_python(path: Path) -> PythonRequirements:
    """The Python version and pip dependencies of a conda.yaml, for uv or virtualenv."""
    raw = read_yaml(path)
    if not isinstance(raw, Mapping):
        raise InvalidInputError(f"{path.name} must be a mapping with 'dependencies'")
    deps = raw.get("dependencies") or []
    if not isinstance(deps, list):
        raise InvalidInputError(f"{path.name}: 'dependencies' must be a list")
    python: str | None = None
    pip: tuple[str, ...] = ()
    skipped: list[str] = []
    for dep in deps:
        if isinstance(dep, Mapping) and "pip" in dep:
            pip += _strings(path, "pip", dep["pip"])
        elif isinstance(dep, str) and (found := _CONDA_PYTHON.match(dep.strip())):
            python = found.group(1).rstrip(".*") if found.group(1) else None
        elif isinstance(dep, str) and dep.strip() not in ("pip", ""):
            skipped.append(dep)
    notes = (f"conda packages left out (not pip ones): {', '.join(skipped)}",) if skipped else ()
    return PythonRequirements(python, ("pip",), pip, notes)


def find_uv() -> str | None:
    found = shutil.which("uv")
    if found:
        return found
    try:
        from uv import find_uv_bin  # the PyPI package ships the binary
    except ImportError:
        return None
    try:
        return str(find_uv_bin())
    except FileNotFoundError:
        return None


def choose_manager(project: Project, asked: str | None) -> str:
    """The env manager to use: the one asked for, or the project's natural one."""
    if asked is not None and asked not in MANAGERS:
        raise InvalidInputError(f"--env-manager {asked!r} is not one of {', '.join(MANAGERS)}")
    kind = project.env.kind
    if kind == "docker":
        return "docker"  # as in MLflow, a docker_env decides
    if asked == "conda" and kind != "conda":
        raise InvalidInputError(
            "--env-manager conda needs a project with a conda_env; this one has a "
            "python_env: use uv, virtualenv or local"
        )
    if asked is None:
        if kind == "conda" and shutil.which("conda"):
            asked = "conda"
        else:
            asked = "uv" if find_uv() else "virtualenv"
    if asked == "uv" and find_uv() is None:
        raise ConfigurationError(
            "--env-manager uv: uv is not installed (pip install uv), or choose virtualenv"
        )
    if asked == "conda" and shutil.which("conda") is None:
        raise ConfigurationError(
            "--env-manager conda: conda is not on PATH; install it, or choose uv or virtualenv"
        )
    return asked


def python_requirements(project: Project) -> PythonRequirements:
    env = project.env
    if env.path is None:
        return PythonRequirements(None)
    if env.kind == "conda":
        return read_conda_as_python(env.path)
    return read_python_env(env.path)


def included_files(lines: tuple[str, ...], base: Path) -> dict[str, Path]:
    """The files ``-r``/``-c`` lines name (as written → where), from the project folder."""
    found = {}
    for line in lines:
        match = _INCLUDE.match(line)
        if match:
            found[match.group(2)] = (base / match.group(2)).resolve()
    return found


def env_hash(manager: str, project: Project, reqs: PythonRequirements | None) -> str:
    """The name of the environment: changes whenever anything that builds it changes."""
    parts: dict[str, Any] = {"format": FORMAT, "manager": manager, "arch": platform.machine()}
    if reqs is None:  # conda: the file is the whole recipe
        assert project.env.path is not None
        parts["conda"] = project.env.path.read_text(encoding="utf-8")
    else:
        parts["python"] = reqs.python or f"{sys.executable} {platform.python_version()}"
        parts["build"] = list(reqs.build_dependencies)
        parts["deps"] = list(reqs.dependencies)
        included = {}
        lines = reqs.build_dependencies + reqs.dependencies
        for name, path in included_files(lines, project.directory).items():
            try:
                included[name] = path.read_text(encoding="utf-8")
            except OSError:
                raise InvalidInputError(
                    f"the environment includes {name!r}, which is not in the project"
                ) from None
        parts["included"] = included
    blob = json.dumps(parts, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]
