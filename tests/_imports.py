"""Checking what importing a module loads, in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import runlab

SRC = str(Path(runlab.__file__).resolve().parents[1])


def loaded_after(statement: str, watched: Iterable[str]) -> list[str]:
    """Which of the ``watched`` modules a fresh interpreter has loaded after running
    ``statement``, with this checkout's runlab first on the path."""
    code = (
        f"{statement}\nimport json, sys\n"
        f"print(json.dumps(sorted(set({sorted(watched)!r}) & set(sys.modules))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": SRC},
    )
    return list(json.loads(out.stdout))
