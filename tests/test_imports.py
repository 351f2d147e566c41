"""`import runlab` runs inside every training script: it must stay light."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "sqlalchemy",
    "alembic",
    "pandas",
    "numpy",
    "matplotlib",
    "PIL",
    "yaml",
    "rich",
    "click",
    "psycopg",
    # frameworks autologging patches, and the system-metrics readers
    "sklearn",
    "torch",
    "lightning",
    "pytorch_lightning",
    "tensorboard",
    "psutil",
    "pynvml",
)


def test_import_runlab_loads_nothing_heavy() -> None:
    code = "import json, sys, runlab; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout)
    heavy = [m for m in loaded if m.split(".")[0] in HEAVY]
    assert heavy == []
    runlab_modules = {m for m in loaded if m.startswith("runlab")}
    assert "runlab.store.sql.store" not in runlab_modules


def test_import_runlab_loads_no_server_cli_or_ui() -> None:
    """Training scripts import the client side only: no web framework, server or CLI."""
    code = "import json, sys, runlab; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout)
    web = [m for m in loaded if m.split(".")[0] in ("fastapi", "starlette", "uvicorn")]
    assert web == []
    for package in ("runlab.server", "runlab.cli", "runlab.ui", "runlab.backend"):
        assert not [m for m in loaded if m == package or m.startswith(package + ".")], package


def test_autolog_imports_no_framework() -> None:
    """``runlab.autolog()`` patches frameworks as they are imported, importing none."""
    code = "import json, sys, runlab; runlab.autolog(); print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout)
    assert [m for m in loaded if m.split(".")[0] in HEAVY] == []
