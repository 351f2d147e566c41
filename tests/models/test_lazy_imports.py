"""The flavours load on first use: ``import runlab`` and ``runlab --help`` stay light."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

FLAVOURS = ("sklearn", "pytorch", "pyfunc", "xgboost", "lightgbm", "keras", "transformers")
FRAMEWORKS = ("sklearn", "torch", "xgboost", "lightgbm", "keras", "transformers", "tensorflow")


def _loaded(code: str, env: dict[str, str]) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport json, sys; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_flavours_load_on_attribute_access_without_their_frameworks(subprocess_env: Any) -> None:
    env = subprocess_env()
    flavours = [f"runlab.{f}" for f in FLAVOURS]
    bare = _loaded("import runlab", env)
    assert not {"runlab.models", *flavours} & bare
    touched = _loaded(
        "import runlab\n" + "\n".join(f"runlab.{f}.save_model" for f in FLAVOURS), env
    )
    assert {*flavours, "runlab.models.model"} <= touched
    heavy = {m.split(".")[0] for m in touched} & {*FRAMEWORKS, "fastapi", "uvicorn"}
    assert heavy == set()


def test_cli_help_does_not_load_the_model_server(subprocess_env: Any) -> None:
    loaded = _loaded(
        "import sys\nfrom runlab.cli import cli\n"
        "try:\n    cli(['models', 'serve', '--help'])\nexcept SystemExit:\n    pass",
        subprocess_env(),
    )
    assert {m.split(".")[0] for m in loaded} & {"fastapi", "uvicorn", *FRAMEWORKS} == set()
    assert "runlab.models.serving" not in loaded
