"""Fixtures for the model format tests: a fresh tracking store, iris data, fresh processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import runlab

SRC = str(Path(runlab.__file__).resolve().parent.parent)


@pytest.fixture(autouse=True)
def _fresh_state(fresh_fluent_state: None) -> None:
    """Each test starts with no active run and no cached store."""


@pytest.fixture
def tracking(tmp_path: Path) -> str:
    uri = f"sqlite:///{tmp_path / 'runlab.db'}"
    runlab.set_tracking_uri(uri)
    return uri


@pytest.fixture
def iris() -> tuple[Any, Any]:
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True, as_frame=True)
    X.columns = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    return X, y


@pytest.fixture
def iris_pipeline(iris: tuple[Any, Any]) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = iris
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y)


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNLAB_")}
    env["PYTHONPATH"] = SRC  # this checkout's runlab, nothing else of the test tree
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def subprocess_env() -> Callable[..., dict[str, str]]:
    """``make(**extra)``: the environment for a child process running this checkout."""
    return child_env


@pytest.fixture
def fresh_process(tmp_path: Path) -> Callable[..., Any]:
    """Run a script in a new interpreter, in an empty folder; returns the JSON it prints."""

    def run(code: str, **env: str) -> Any:
        cwd = tmp_path / "elsewhere"
        cwd.mkdir(exist_ok=True)
        proc = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            cwd=cwd,
            env=child_env(**env),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout.strip().splitlines()[-1])

    return run
