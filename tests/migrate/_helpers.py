"""Helpers of the import tests: mlflow run in a subprocess, a live mlflow server, and the
field-by-field comparison."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from tests._servers import free_port

HERE = Path(__file__).parent
SCRIPT = str(HERE / "_mlflow_data.py")


def mlflow_script(
    command: str, uri: str, cwd: Path, *args: str, env: dict[str, str] | None = None
) -> str:
    full = {**os.environ, "MLFLOW_ALLOW_FILE_STORE": "true", "MLFLOW_TRACKING_URI": uri}
    done = subprocess.run(
        [sys.executable, SCRIPT, command, uri, *args], cwd=cwd, env={**full, **(env or {})},
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@contextlib.contextmanager
def mlflow_server(root: Path, *extra_args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """``mlflow server`` on a free port, its database and artifacts in ``root``."""
    port = free_port()
    log = open(root / "mlflow-server.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
         "--backend-store-uri", f"sqlite:///{root / 'server.db'}",
         "--artifacts-destination", str(root / "server-artifacts"), "--workers", "1",
         *extra_args],
        cwd=root, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240  # a loaded machine starts it slowly
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                    break
            assert process.poll() is None, (root / "mlflow-server.log").read_text()[-3000:]
            time.sleep(0.5)
        else:
            raise AssertionError("mlflow server did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def made_by_mlflow(
    root: Path, uri: str, *args: str, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Log the test data to ``uri`` with mlflow (``args``: an artifact root), and return
    what MlflowClient reads back."""
    mlflow_script("make", uri, root, *args, env=env)
    return json.loads(mlflow_script("dump", uri, root, env=env))


def assert_same(source: dict[str, Any], imported: dict[str, Any]) -> None:
    """Field by field: every experiment, run, point, input, file and model version.
    (runlab has its own Default experiment already; it keeps its creation time.)"""
    source, imported = copy.deepcopy(source), copy.deepcopy(imported)
    for name in ("Default",):
        imported["experiments"][name].pop("creation_time")
        source["experiments"][name].pop("creation_time")
    assert imported["experiments"] == source["experiments"]
    assert sorted(imported["runs"]) == sorted(source["runs"])
    for run_id, run in source["runs"].items():
        assert imported["runs"][run_id] == run, run_id
    assert imported["logged_models"] == source["logged_models"]
    assert imported["models"] == source["models"]
