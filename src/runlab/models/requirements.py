"""Which packages a saved model needs, pinned to the versions that saved it.

``requirements.txt`` lists them as ``name==version`` (local version labels such as
``+cpu`` are dropped so pip can install the pin from PyPI). At load time,
:func:`warn_on_mismatch` compares the pins with the running environment and emits
one :class:`RequirementsMismatchWarning` listing every difference; the load goes on.
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata

from runlab.errors import InvalidInputError
from runlab.models._warnings import RequirementsMismatchWarning

__all__ = [
    "REQUIREMENTS_FILE",
    "Mismatch",
    "RequirementsMismatchWarning",
    "check_requirements",
    "installed_version",
    "pin",
    "resolve_requirements",
    "warn_on_mismatch",
]

REQUIREMENTS_FILE = "requirements.txt"
_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*==\s*([^\s;#]+)")
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*$")


def normalize(name: str) -> str:
    """PEP 503 name: ``Scikit_Learn`` and ``scikit-learn`` are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_version(name: str) -> str | None:
    if normalize(name) == "runlab":
        from runlab._version import __version__

        return __version__  # the running code, whatever the install metadata says
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _public(version: str) -> str:
    return version.split("+", 1)[0]


def pin(names: Iterable[str]) -> list[str]:
    """``name==<installed version>`` for each installed package; others are left out."""
    out = []
    for name in names:
        version = installed_version(name)
        if version is not None:
            out.append(f"{name}=={_public(version)}")
    return out


def resolve_requirements(
    defaults: Sequence[str],
    pip_requirements: Sequence[str] | str | os.PathLike[str] | None = None,
    extra_pip_requirements: Sequence[str] | str | os.PathLike[str] | None = None,
) -> list[str]:
    """The lines of ``requirements.txt``.

    ``defaults`` (bare package names) are pinned to their installed versions unless
    ``pip_requirements`` replaces them; ``extra_pip_requirements`` are appended. Both
    take a list of requirement strings or the path of a requirements file, and their
    entries are kept as written, except that a bare name of an installed package is
    pinned.
    """
    if pip_requirements is not None and extra_pip_requirements is not None:
        raise InvalidInputError(
            "pass pip_requirements (the whole list) or extra_pip_requirements (additions), not both"
        )
    base = _user_lines(pip_requirements) if pip_requirements is not None else pin(defaults)
    extra = _user_lines(extra_pip_requirements) if extra_pip_requirements is not None else []
    seen: set[str] = set()
    out: list[str] = []
    for line in [*base, *extra]:
        m = _NAME.match(line) or _PIN.match(line)
        key = normalize(m.group(1)) if m else line
        if key in seen:
            out = [o for o in out if _key(o) != key]
        seen.add(key)
        out.append(line)
    return out


def _key(line: str) -> str:
    m = _NAME.match(line) or _PIN.match(line)
    return normalize(m.group(1)) if m else line


def _user_lines(value: Sequence[str] | str | os.PathLike[str]) -> list[str]:
    if isinstance(value, (str, os.PathLike)):
        path = os.fspath(value)
        try:
            with open(path, encoding="utf-8") as f:
                raw = f.read().splitlines()
        except OSError as exc:
            raise InvalidInputError(
                f"requirements file {path!r} cannot be read: {exc.strerror}"
            ) from None
    else:
        raw = list(value)
    out = []
    for line in raw:
        if not isinstance(line, str):
            raise InvalidInputError(f"requirements must be strings, got {line!r}")
        line = line.split("#", 1)[0].strip() if not line.strip().startswith("-") else line.strip()
        if not line:
            continue
        m = _NAME.match(line)
        if m and installed_version(m.group(1)) is not None:
            line = f"{m.group(1)}{m.group(2) or ''}=={_public(installed_version(m.group(1)) or '')}"
        out.append(line)
    return out


def write_requirements(model_dir: str, requirements: Sequence[str]) -> None:
    with open(os.path.join(model_dir, REQUIREMENTS_FILE), "w", encoding="utf-8") as f:
        f.write("".join(f"{r}\n" for r in requirements))


def write_environments(model_dir: str, requirements: Sequence[str]) -> dict[str, str]:
    """``python_env.yaml`` and ``conda.yaml`` beside ``requirements.txt``, as MLflow writes
    them, so ``virtualenv``/``conda`` based tools can rebuild the environment."""
    import yaml

    python = ".".join(str(v) for v in sys.version_info[:3])
    build = pin(["pip", "setuptools", "wheel"])
    with open(os.path.join(model_dir, "python_env.yaml"), "w", encoding="utf-8") as f:
        yaml.safe_dump(
            {
                "python": python,
                "build_dependencies": build or ["pip"],
                "dependencies": [f"-r {REQUIREMENTS_FILE}"],
            },
            f,
            sort_keys=False,
        )
    with open(os.path.join(model_dir, "conda.yaml"), "w", encoding="utf-8") as f:
        yaml.safe_dump(
            {
                "channels": ["conda-forge"],
                "dependencies": [f"python={python}", "pip", {"pip": list(requirements)}],
                "name": "runlab-env",
            },
            f,
            sort_keys=False,
        )
    return {"conda": "conda.yaml", "virtualenv": "python_env.yaml"}


# ============================================================================ load-time check
@dataclass(frozen=True)
class Mismatch:
    package: str
    recorded: str
    installed: str | None  # None: not installed

    def __str__(self) -> str:
        now = self.installed if self.installed is not None else "not installed"
        return f"{self.package}: recorded {self.recorded}, installed {now}"


def read_requirements(model_dir: str) -> list[str]:
    path = os.path.join(model_dir, REQUIREMENTS_FILE)
    try:
        with open(path, encoding="utf-8") as f:
            return [line.strip() for line in f if line.strip() and not line.startswith("#")]
    except FileNotFoundError:
        return []


def check_requirements(model_dir: str) -> list[Mismatch]:
    """Each ``name==version`` pin of the model that the environment does not satisfy."""
    out = []
    for line in read_requirements(model_dir):
        m = _PIN.match(line)
        if not m:
            continue  # ranges, URLs and options are pip's business, not a pin to compare
        name, recorded = m.group(1), m.group(3)
        installed = installed_version(name)
        if installed is None or _public(installed) != _public(recorded):
            out.append(Mismatch(name, recorded, installed))
    return out


def warn_on_mismatch(model_dir: str, model_uri: str | None = None) -> list[Mismatch]:
    mismatches = check_requirements(model_dir)
    if mismatches:
        where = model_uri or model_dir
        lines = "\n".join(f"  - {m}" for m in mismatches)
        warnings.warn(
            f"the model at {where} was saved with package versions that differ from this "
            f"environment; it may fail or predict differently:\n{lines}\n"
            f"Install the recorded versions with: pip install -r "
            f"{os.path.join(model_dir, REQUIREMENTS_FILE)}",
            RequirementsMismatchWarning,
            stacklevel=3,
        )
    return mismatches
