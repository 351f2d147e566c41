"""`runlab run` against `mlflow run` on one sample project, with the same env manager.

    python bench/projects_bench.py                     # uv, virtualenv and local; medians of 3
    python bench/projects_bench.py --managers uv --repeats 5

The project is the one of tests/projects (an MLproject with two entry points and a
python_env.yaml with one small dependency, `six`), in a git repository made here. Each
repeat times, per tool and manager, a *first* run (empty environment cache: the
environment is built) and a *cached* run (the same command again: the environment is
reused). Both tools run from this interpreter as subprocesses, wall time, with their
stores created beforehand, so store creation is not counted; uv's own package cache is
warm for both. The entry point imports neither library, so the figures are the tools'
own cost: start-up, project checks, run creation, environment build or lookup, the
child, ending the run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.projects.conftest import write_sample  # noqa: E402  (the tests' sample project)


def _git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.org",
           "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.org"}  # fmt: skip
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def _command(tool: str, project: Path, manager: str, out: Path) -> list[str]:
    params = ["-P", "data=s3://b/k", "-P", f"out={out}"]
    if tool == "runlab":
        head = [sys.executable, "-c", "from runlab.cli import main; main()"]
    else:
        head = [sys.executable, "-m", "mlflow"]
    return [*head, "run", str(project), "--env-manager", manager, *params]


def _env(tool: str, work: Path, cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH")) if p)
    if tool == "runlab":
        env["RUNLAB_TRACKING_URI"] = str(work / "runlab-store")
        env["RUNLAB_PROJECTS_CACHE_DIR"] = str(cache)
    else:
        env["MLFLOW_TRACKING_URI"] = f"sqlite:///{work / 'mlflow.db'}"
        env["MLFLOW_ENV_ROOT"] = str(cache)
    return env


def _prepare_stores(work: Path) -> None:
    code = {
        "runlab": "from runlab.tracking.client import RunlabClient as C; C().search_experiments()",
        "mlflow": "import mlflow; mlflow.MlflowClient().search_experiments()",
    }
    for tool, line in code.items():
        env = _env(tool, work, work / "unused")
        subprocess.run([sys.executable, "-c", line], env=env, check=True, capture_output=True)


def _timed(argv: list[str], env: dict[str, str], log: Path) -> float:
    started = time.perf_counter()
    with log.open("a") as handle:
        done = subprocess.run(argv, env=env, stdout=handle, stderr=subprocess.STDOUT)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed; see {log}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--managers", default="uv,virtualenv,local")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="projects-bench-"))
    project = work / "sample"
    write_sample(project)
    _git(project, "init", "--quiet")
    _git(project, "add", "-A")
    _git(project, "commit", "--quiet", "-m", "sample")
    _prepare_stores(work)
    log = work / "bench.log"
    results: dict[tuple[str, str, str], list[float]] = {}
    for manager in args.managers.split(","):
        for repeat in range(args.repeats):
            for tool in ("runlab", "mlflow"):
                cache = work / f"cache-{tool}-{manager}-{repeat}"
                env = _env(tool, work, cache)
                argv = _command(tool, project, manager, work / "out.json")
                for phase in ("first", "cached"):
                    seconds = _timed(argv, env, log)
                    results.setdefault((manager, tool, phase), []).append(seconds)
                shutil.rmtree(cache, ignore_errors=True)
    print(f"{'manager':<11} {'phase':<7} {'runlab s':>9} {'mlflow s':>9} {'mlflow/runlab':>14}")
    for manager in args.managers.split(","):
        for phase in ("first", "cached"):
            ours = statistics.median(results[(manager, "runlab", phase)])
            theirs = statistics.median(results[(manager, "mlflow", phase)])
            print(f"{manager:<11} {phase:<7} {ours:>9.2f} {theirs:>9.2f} {theirs / ours:>13.1f}x")
    print(f"(medians of {args.repeats}; logs in {log})")


if __name__ == "__main__":
    main()
