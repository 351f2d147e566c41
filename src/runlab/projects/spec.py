"""The project file: MLflow's ``MLproject`` (YAML), read as MLflow writes it.

A folder without one is still a project: its ``.py`` and ``.sh`` files are entry points
by file name, and its environment is ``python_env.yaml`` or ``conda.yaml`` when present.
Every rule broken here is one :class:`InvalidInputError` naming the file and the field.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runlab.errors import InvalidInputError

PROJECT_FILE = "MLproject"
PYTHON_ENV_FILE = "python_env.yaml"
CONDA_ENV_FILE = "conda.yaml"
PARAM_TYPES = ("string", "float", "int", "path", "uri")
SCRIPT_SUFFIXES = (".py", ".sh")
_ENV_KEYS = ("python_env", "conda_env", "docker_env")


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str = "string"
    default: str | None = None  # None: the parameter is required


@dataclass(frozen=True)
class EntryPoint:
    name: str
    command: str
    parameters: dict[str, Parameter] = field(default_factory=dict)


@dataclass(frozen=True)
class EnvSpec:
    """Where the project says its environment comes from.

    ``kind`` is ``python`` (``python_env.yaml``, or nothing: a bare environment), ``conda``
    or ``docker``; ``path`` is the environment file, ``docker`` the ``docker_env`` mapping.
    """

    kind: str
    path: Path | None = None
    docker: dict[str, Any] | None = None


@dataclass(frozen=True)
class Project:
    directory: Path
    name: str | None
    env: EnvSpec
    entry_points: dict[str, EntryPoint]
    has_project_file: bool

    def entry_point(self, name: str) -> EntryPoint:
        """The declared entry point ``name``, or a script of the folder run by file name."""
        if name in self.entry_points:
            return self.entry_points[name]
        script = (self.directory / name).resolve()
        suffix = Path(name).suffix
        inside = script.is_relative_to(self.directory.resolve())
        if suffix in SCRIPT_SUFFIXES and inside and script.is_file():
            import shlex

            # As MLflow: Python files with python, shell files with the user's shell.
            program = "python" if suffix == ".py" else os.environ.get("SHELL") or "sh"
            return EntryPoint(name, f"{program} {shlex.quote(name)}")
        declared = ", ".join(repr(n) for n in self.entry_points) or "none"
        raise InvalidInputError(
            f"entry point {name!r} is not declared in {PROJECT_FILE} (declared: {declared}) "
            f"and is not a .py or .sh file of the project"
        )


def read_yaml(path: Path) -> Any:
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        detail = " ".join(str(exc).split())
        raise InvalidInputError(f"{path.name} is not valid YAML: {detail}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"cannot read {path}: {exc}") from None


def find_project_file(directory: Path) -> Path | None:
    """``MLproject`` in ``directory``, matched case-insensitively as MLflow does."""
    for entry in sorted(directory.iterdir()):
        if entry.name.lower() == PROJECT_FILE.lower() and entry.is_file():
            return entry
    return None


def load_project(directory: str | os.PathLike[str]) -> Project:
    root = Path(directory)
    if not root.is_dir():
        raise InvalidInputError(f"project folder {str(root)!r} does not exist")
    path = find_project_file(root)
    raw: Any = read_yaml(path) if path is not None else {}
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise InvalidInputError(f"{PROJECT_FILE} must be a mapping of keys, not a YAML list")
    name = raw.get("name")
    if name is not None and not isinstance(name, str | int | float):
        raise InvalidInputError(f"{PROJECT_FILE}: 'name' must be a string")
    entry_points = _entry_points(raw.get("entry_points"))
    return Project(
        directory=root,
        name=None if name is None else str(name),
        env=_env_spec(root, raw),
        entry_points=entry_points,
        has_project_file=path is not None,
    )


def _env_spec(root: Path, raw: Mapping[str, Any]) -> EnvSpec:
    given = [key for key in _ENV_KEYS if raw.get(key) is not None]
    if len(given) > 1:
        raise InvalidInputError(
            f"{PROJECT_FILE} may name one environment, not several: {', '.join(given)}"
        )
    if given == ["docker_env"]:
        docker = raw["docker_env"]
        if not isinstance(docker, Mapping) or not isinstance(docker.get("image"), str):
            raise InvalidInputError(
                f"{PROJECT_FILE}: 'docker_env' must be a mapping with an 'image' (a string)"
            )
        return EnvSpec("docker", docker=dict(docker))
    if given:
        key = given[0]
        value = raw[key]
        if not isinstance(value, str) or not value:
            raise InvalidInputError(f"{PROJECT_FILE}: {key!r} must be the name of a YAML file")
        env_path = (root / value).resolve()
        if not env_path.is_relative_to(root.resolve()) or not env_path.is_file():
            raise InvalidInputError(
                f"{PROJECT_FILE}: {key} file {value!r} was not found in the project"
            )
        return EnvSpec("python" if key == "python_env" else "conda", path=env_path)
    for file_name, kind in ((PYTHON_ENV_FILE, "python"), (CONDA_ENV_FILE, "conda")):
        if (root / file_name).is_file():
            return EnvSpec(kind, path=root / file_name)
    return EnvSpec("python")


def _entry_points(raw: Any) -> dict[str, EntryPoint]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise InvalidInputError(f"{PROJECT_FILE}: 'entry_points' must be a mapping of names")
    found: dict[str, EntryPoint] = {}
    for name, body in raw.items():
        where = f"{PROJECT_FILE}: entry point {str(name)!r}"
        if not isinstance(body, Mapping):
            raise InvalidInputError(f"{where} must be a mapping with a 'command'")
        command = body.get("command")
        if not isinstance(command, str) or not command.strip():
            raise InvalidInputError(f"{where} needs a 'command' (a string)")
        params = body.get("parameters") or {}
        if not isinstance(params, Mapping):
            raise InvalidInputError(f"{where}: 'parameters' must be a mapping of names")
        parameters = {str(k): _parameter(where, str(k), v) for k, v in params.items()}
        found[str(name)] = EntryPoint(str(name), command, parameters)
    return found


def _parameter(where: str, name: str, raw: Any) -> Parameter:
    """``alpha: float`` or ``alpha: {type: float, default: 0.5}``."""
    if isinstance(raw, str):
        raw = {"type": raw}
    elif raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise InvalidInputError(f"{where}: parameter {name!r} must be a type or a mapping")
    kind = raw.get("type", "string")
    if kind not in PARAM_TYPES:
        raise InvalidInputError(
            f"{where}: parameter {name!r} has type {kind!r}; the types are "
            + ", ".join(PARAM_TYPES)
        )
    default = raw.get("default")
    if isinstance(default, Mapping | list):
        raise InvalidInputError(f"{where}: the default of parameter {name!r} must be a scalar")
    return Parameter(name, str(kind), None if default is None else str(default))
