"""Fixtures of the projects tests: a sample project in a git repository made here.

=====================  ========  =========================================================
fixture                scope     value
=====================  ========  =========================================================
``sample_repo``        session   a git repository holding the sample project (two entry
                                 points, typed params, a python_env.yaml with one small
                                 dependency); tag ``v1`` and a later commit on ``main``
``project``            function  a copy of the sample project folder (no git) to change
``tracking``           function  a store folder of its own
``cache``              function  RUNLAB_PROJECTS_CACHE_DIR, shared by the tests of a module
                                 (``fresh_cache`` gives one of the test's own)
=====================  ========  =========================================================

Entry points are run by this interpreter (``local``), or in environments built from
the package registry (``uv``, ``virtualenv``); the children import this checkout's runlab.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
DEPENDENCY = "six==1.17.0"  # tiny, pure Python, no dependencies of its own

MLPROJECT = """\
name: sample
python_env: python_env.yaml
entry_points:
  main:
    parameters:
      alpha: {type: float, default: 0.5}
      epochs: {type: int, default: 2}
      out: {type: path, default: out.json}
      data: uri
    command: "python train.py --alpha {alpha} --epochs {epochs} --out {out} --data {data}"
  report:
    parameters:
      name: {type: string, default: "world"}
      out: path
    command: "python report.py {name} {out}"
"""

PYTHON_ENV = f"""\
python: "{platform.python_version()}"
build_dependencies:
  - pip
dependencies:
  - {DEPENDENCY}
"""

TRAIN = """\
import argparse, json, os, sys

parser = argparse.ArgumentParser()
for name in ("--alpha", "--epochs", "--out", "--data"):
    parser.add_argument(name)
args, extra = parser.parse_known_args()
try:
    import six
    six_file = six.__file__
except ImportError:
    six_file = None
record = {"args": vars(args), "extra": extra, "python": sys.executable, "six": six_file,
          "cwd": os.getcwd(), "run_env": os.environ.get("RUNLAB_RUN_ID")}
if os.environ.get("SAMPLE_LOGS_WITH_RUNLAB"):
    import runlab
    with runlab.start_run() as run:
        runlab.log_metric("loss", float(args.alpha) / int(args.epochs))
        runlab.set_tag("logged.by", "entry point")
    record["logged_run"] = run.info.run_id
with open(args.out, "w") as handle:
    json.dump(record, handle)
"""

REPORT = """\
import sys
name, out = sys.argv[1], sys.argv[2]
if name == "fail":
    sys.exit(3)
open(out, "w").write(f"hello {name}")
"""


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}  # fmt: skip
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def write_sample(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "MLproject").write_text(MLPROJECT)
    (folder / "python_env.yaml").write_text(PYTHON_ENV)
    (folder / "train.py").write_text(TRAIN)
    (folder / "report.py").write_text(REPORT)


@dataclass(frozen=True)
class SampleRepo:
    root: Path  # the repository; the project is its ``sample/`` folder
    v1: str  # commit of tag v1
    head: str  # a later commit on main, whose train.py differs

    @property
    def url(self) -> str:
        return f"file://{self.root}#sample"


@pytest.fixture(scope="session")
def sample_repo(tmp_path_factory: pytest.TempPathFactory) -> SampleRepo:
    root = tmp_path_factory.mktemp("sample-repo")
    git(root, "init", "--quiet", "--initial-branch", "main")
    write_sample(root / "sample")
    git(root, "add", "-A")
    git(root, "commit", "--quiet", "-m", "sample project")
    git(root, "tag", "v1")
    v1 = git(root, "rev-parse", "HEAD")
    train = root / "sample" / "train.py"
    train.write_text(train.read_text().replace('"cwd"', '"version": "head", "cwd"'))
    git(root, "commit", "--quiet", "-am", "train.py tells its version")
    return SampleRepo(root, v1, git(root, "rev-parse", "HEAD"))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    write_sample(folder)
    return folder


@pytest.fixture(autouse=True)
def _fresh_state(fresh_fluent_state: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """No active run or cached store; children import this checkout's runlab."""
    path = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(SRC), path) if p))


@pytest.fixture
def tracking(tmp_path: Path) -> str:
    return str(tmp_path / "store")


@pytest.fixture(scope="module")
def module_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("projects-cache")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def cache(module_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RUNLAB_PROJECTS_CACHE_DIR", str(module_cache))
    return module_cache


@pytest.fixture
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("RUNLAB_PROJECTS_CACHE_DIR", str(folder))
    return folder
