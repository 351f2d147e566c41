"""The one place the projects package reads its environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

CACHE_DIR_ENV = "RUNLAB_PROJECTS_CACHE_DIR"


@dataclass(frozen=True)
class ProjectSettings:
    """``cache_dir`` holds cloned repositories (``repos/``), checkouts of the runs being
    run (``checkouts/``) and built environments (``envs/``)."""

    cache_dir: Path

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ProjectSettings:
        env = os.environ if environ is None else environ
        given = env.get(CACHE_DIR_ENV)
        if given:
            return cls(Path(given).expanduser().resolve())
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
