"""The settings of the projects package (see runlab.environment_variables)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from runlab.environment_variables import RUNLAB_PROJECTS_CACHE_DIR


@dataclass(frozen=True)
class ProjectSettings:
    """``cache_dir`` holds cloned repositories (``repos/``), checkouts of the runs being
    run (``checkouts/``) and built environments (``envs/``)."""

    cache_dir: Path

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ProjectSettings:
        given = RUNLAB_PROJECTS_CACHE_DIR.get(environ)
        if given:
            return cls(Path(given).expanduser().resolve())
        env = os.environ if environ is None else environ
        base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return cls(Path(base).expanduser().resolve() / "runlab" / "projects")

    @property
    def envs(self) -> Path:
        return self.cache_dir / "envs"

    @property
    def repos(self) -> Path:
        return self.cache_dir / "repos"

    @property
    def checkouts(self) -> Path:
        return self.cache_dir / "checkouts"
