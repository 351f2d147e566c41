"""Environments built from python_env.yaml with uv and virtualenv (from the package
registry), once per content hash; failed builds; docker and conda when they are missing."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from tests._cli import assert_one_line_error, run_cli
from tests.projects.conftest import DEPENDENCY

import runlab.projects
from runlab.entities import RunStatus
from runlab.errors import ConfigurationError, InvalidInputError, RunlabError
from runlab.projects import load_project
from runlab.projects.environments import choose_manager, env_hash, python_requirements
from runlab.tracking.client import RunlabClient


def _artifact(client: RunlabClient, run_id: str, path: str) -> str:
    return Path(client.download_artifacts(run_id, path)).read_text()


@pytest.mark.parametrize("manager", ["uv", "virtualenv"])
def test_an_environment_is_built_once_and_reused(
    manager: str, project: Path, tracking: str, fresh_cache: Path, tmp_path: Path
) -> None:
    client = RunlabClient(tracking)
    seen = []
    for attempt in ("first", "second"):
        out = tmp_path / f"{attempt}.json"
        submitted = runlab.projects.run(
            str(project), parameters={"data": "d", "out": str(out)}, env_manager=manager,
            tracking_uri=tracking, run_name=attempt,
        )  # fmt: skip
        env = submitted.environment
        assert env is not None
        assert env.prefix is not None
        assert submitted.run_id is not None
        record = json.loads(out.read_text())
        # The entry point ran on the environment's interpreter, with its dependency.
        assert record["python"] == str(env.prefix / "bin" / "python")
        assert record["six"].startswith(str(env.prefix))
        seen.append((env.reused, env.prefix, submitted.run_id))
    (built, prefix, first), (reused, prefix_again, second) = seen
    assert (built, reused) == (False, True)
    assert prefix == prefix_again
    assert prefix.parent == fresh_cache / "envs"
    assert prefix.name.startswith(f"{manager}-")
    assert [p.name for p in (fresh_cache / "envs").iterdir() if p.is_dir()] == [prefix.name]

    # Both runs record the same build: one build_at stamp, one lock of what it installed.
    records = [
        json.loads(_artifact(client, r, "environment/runlab-env.json")) for r in (first, second)
    ]
    assert records[0] == records[1]
    assert records[0]["manager"] == manager
    assert records[0]["requirements"]["dependencies"] == [DEPENDENCY]
    lock = _artifact(client, second, "environment/requirements.lock.txt")
    assert DEPENDENCY in lock.splitlines()
    for run_id in (first, second):
        run = client.get_run(run_id)
        assert run.info.status == RunStatus.FINISHED
        assert run.data.tags["mlflow.project.env"] == manager


def test_local_builds_nothing_and_uses_this_interpreter(
    project: Path, tracking: str, fresh_cache: Path, tmp_path: Path
) -> None:
    import sys

    for _ in range(2):
        out = tmp_path / "o.json"
        submitted = runlab.projects.run(str(project), parameters={"data": "d", "out": str(out)},
                                        env_manager="local", tracking_uri=tracking)  # fmt: skip
        assert submitted.environment is not None
        assert submitted.environment.prefix is None
        assert (
            Path(json.loads(out.read_text())["python"]).resolve() == Path(sys.executable).resolve()
        )
    assert not (fresh_cache / "envs").exists()


def test_build_only_builds_the_environment_and_creates_no_run(
    project: Path, tracking: str, fresh_cache: Path, tmp_path: Path
) -> None:
    result = run_cli(tracking, "run", str(project), "--env-manager", "uv", "--build-only")
    assert result.exit_code == 0, result.output
    assert "environment ready at " in result.stdout
    assert "runlab: building the uv environment" in result.stderr  # the build is streamed
    assert RunlabClient(tracking).search_runs(["0"]) == []
    again = runlab.projects.run(str(project), parameters={"data": "d", "out": str(tmp_path / "o")},
                                env_manager="uv", tracking_uri=tracking)  # fmt: skip
    assert again.environment is not None
    assert again.environment.reused


def test_a_failed_build_ends_the_run_failed_with_the_log_tail(
    project: Path, tracking: str, fresh_cache: Path
) -> None:
    (project / "python_env.yaml").write_text(
        "dependencies:\n  - runlab-test-no-such-distribution-4a1f==0.0.1\n"
    )
    result = run_cli(tracking, "run", str(project), "--env-manager", "uv", "-P", "data=d")
    client = RunlabClient(tracking)
    [run] = client.search_runs(["0"])
    assert_one_line_error(
        result, f"run {run.info.run_id} ended FAILED", "building the uv environment failed",
        "environment/build-log-tail.txt",
    )  # fmt: skip
    assert run.info.status == RunStatus.FAILED
    tail = _artifact(client, run.info.run_id, "environment/build-log-tail.txt")
    assert "runlab-test-no-such-distribution-4a1f" in tail
    assert "runlab: $ " in tail  # the commands are in the log too
    envs = fresh_cache / "envs"
    assert [p for p in envs.iterdir() if p.is_dir()] == []  # nothing half-built is kept
    assert not (project / "out.json").exists()


def test_the_environment_name_follows_its_content(project: Path) -> None:
    spec = load_project(project)
    first = env_hash("uv", spec, python_requirements(spec))
    assert env_hash("uv", spec, python_requirements(spec)) == first
    assert env_hash("virtualenv", spec, python_requirements(spec)) != first
    (project / "extra.txt").write_text("six\n")
    (project / "python_env.yaml").write_text("dependencies: ['-r extra.txt']\n")
    spec = load_project(project)
    with_file = env_hash("uv", spec, python_requirements(spec))
    (project / "extra.txt").write_text("six==1.16.0\n")
    assert env_hash("uv", spec, python_requirements(spec)) != with_file  # an included file
    (project / "python_env.yaml").write_text("dependencies: ['-r missing.txt']\n")
    spec = load_project(project)
    with pytest.raises(InvalidInputError, match="includes 'missing.txt', which is not in the"):
        env_hash("uv", spec, python_requirements(spec))


def _path_with(tmp_path: Path, **scripts: str) -> str:
    """A PATH holding only git, python and the given fake programs."""
    import shutil
    import sys

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("git", "bash", "mkdir", "ln"):
        found = shutil.which(name)
        assert found is not None
        (bin_dir / name).symlink_to(found)
    (bin_dir / "python").symlink_to(sys.executable)
    for name, body in scripts.items():
        script = bin_dir / name
        script.write_text(f"#!/bin/sh\n{body}\n")
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(bin_dir)


def _docker_project(folder: Path) -> Path:
    folder.mkdir()
    (folder / "MLproject").write_text(
        "name: d\ndocker_env:\n  image: python:3.11-slim\nentry_points:\n"
        "  main:\n    command: python -c 'print(1)'\n"
    )
    return folder


def test_docker_env_without_docker_is_a_clear_error_before_any_run(
    tmp_path: Path, tracking: str, fresh_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _docker_project(tmp_path / "d")
    monkeypatch.setenv("PATH", _path_with(tmp_path))
    result = run_cli(tracking, "run", str(folder))
    assert_one_line_error(result, "docker image 'python:3.11-slim'", "docker is not installed")
    assert RunlabClient(tracking).search_runs(["0"]) == []


def test_docker_env_with_an_unreachable_daemon_is_a_clear_error(
    tmp_path: Path, tracking: str, fresh_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _docker_project(tmp_path / "d")
    fake = "echo 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock.' >&2; exit 1"
    monkeypatch.setenv("PATH", _path_with(tmp_path, docker=fake))
    with pytest.raises(ConfigurationError) as caught:
        runlab.projects.run(str(folder), tracking_uri=tracking)
    assert caught.value.message == (
        "the project runs in the docker image 'python:3.11-slim' (docker_env), and the docker "
        "daemon is not reachable (Cannot connect to the Docker daemon at "
        "unix:///var/run/docker.sock.): start docker, or check DOCKER_HOST"
    )


def test_docker_env_runs_in_the_image_when_docker_answers(
    tmp_path: Path, tracking: str, fresh_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stand-in docker that records its arguments: the run mounts the project, passes
    the run's variables and runs the command in the image."""
    folder = _docker_project(tmp_path / "d")
    calls = tmp_path / "docker-calls"
    fake = f'[ "$1" = info ] && exit 0\nprintf "%s\\n" "$@" > {calls}\nexit 0'
    monkeypatch.setenv("PATH", _path_with(tmp_path, docker=fake))
    submitted = runlab.projects.run(str(folder), tracking_uri=tracking)
    argv = calls.read_text().splitlines()
    assert argv[:2] == ["run", "--rm"]
    assert f"{folder.resolve()}:/runlab/project" in argv
    assert f"RUNLAB_RUN_ID={submitted.run_id}" in argv
    assert argv[-4:] == ["python:3.11-slim", "bash", "-c", "python -c 'print(1)'"]
    assert submitted.run_id is not None
    tags = RunlabClient(tracking).get_run(submitted.run_id).data.tags
    assert tags["mlflow.project.env"] == "docker"


def test_conda_when_it_is_missing(
    tmp_path: Path, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "MLproject").write_text("conda_env: conda.yaml\nentry_points: {}\n")
    (folder / "conda.yaml").write_text("dependencies:\n  - python=3.11\n")
    monkeypatch.setenv("PATH", _path_with(tmp_path))
    conda_project = load_project(folder)
    with pytest.raises(ConfigurationError, match="--env-manager conda: conda is not on PATH"):
        choose_manager(conda_project, "conda")
    # Without conda, a conda_env project's default is a Python environment from its pip list.
    assert choose_manager(conda_project, None) in ("uv", "virtualenv")
    with pytest.raises(InvalidInputError, match="--env-manager conda needs a project with a "):
        choose_manager(load_project(project), "conda")


def test_uv_missing_is_a_clear_error(project: Path, monkeypatch: pytest.MonkeyPatch,
                                     tmp_path: Path) -> None:  # fmt: skip
    monkeypatch.setenv("PATH", _path_with(tmp_path))
    monkeypatch.setitem(__import__("sys").modules, "uv", None)  # the PyPI package, hidden
    with pytest.raises(ConfigurationError, match="uv is not installed"):
        choose_manager(load_project(project), "uv")
    assert choose_manager(load_project(project), None) == "virtualenv"


def test_the_failed_build_message_is_the_api_error_too(
    project: Path, tracking: str, fresh_cache: Path
) -> None:
    (project / "python_env.yaml").write_text("python: '2.1'\n")  # no such interpreter
    with pytest.raises(RunlabError, match="building the virtualenv environment failed"):
        runlab.projects.run(str(project), parameters={"data": "d"}, env_manager="virtualenv",
                            tracking_uri=tracking)  # fmt: skip
    assert os.listdir(fresh_cache / "envs")  # the log stays beside the environments


def test_runs_of_a_git_url_share_one_environment_across_checkouts(
    sample_repo: Any, tracking: str, fresh_cache: Path, tmp_path: Path
) -> None:
    prefixes = []
    for version in ("v1", "main"):
        out = tmp_path / f"{version}.json"
        submitted = runlab.projects.run(
            sample_repo.url, parameters={"data": "d", "out": str(out)}, version=version,
            env_manager="uv", tracking_uri=tracking,
        )  # fmt: skip
        assert submitted.environment is not None
        prefixes.append((submitted.environment.prefix, submitted.environment.reused))
        assert json.loads(out.read_text())["six"].startswith(str(submitted.environment.prefix))
    assert prefixes[0][0] == prefixes[1][0]
    assert [reused for _, reused in prefixes] == [False, True]


FAKE_CONDA = """\
# A stand-in for conda's command line: `env create --prefix P --file F` makes P an
# environment whose python is this interpreter; `list --export` lists one package.
case "$1 $2" in
  "env create")
    while [ $# -gt 0 ]; do [ "$1" = --prefix ] && prefix="$2"; shift; done
    mkdir -p "$prefix/bin" && ln -s "{python}" "$prefix/bin/python"
    echo "created $prefix";;
  "list --export") echo "six=1.17.0=py_0";;
  *) exit 2;;
esac
"""


def test_conda_builds_from_the_conda_file_once(
    tmp_path: Path, tracking: str, fresh_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "MLproject").write_text(
        "conda_env: conda.yaml\nentry_points:\n  main:\n"
        "    command: python -c 'import os, sys; "
        'print(sys.executable, os.environ["CONDA_PREFIX"])\' > where.txt\n'
    )
    (folder / "conda.yaml").write_text("dependencies:\n  - python=3.11\n  - six\n")
    monkeypatch.setenv("PATH", _path_with(tmp_path, conda=FAKE_CONDA.format(python=sys.executable)))
    for reused in (False, True):
        submitted = runlab.projects.run(str(folder), tracking_uri=tracking)  # conda: the default
        env = submitted.environment
        assert env is not None
        assert env.manager == "conda"
        assert env.reused is reused
        python, prefix = (folder / "where.txt").read_text().split()
        assert prefix == str(env.prefix)
        assert python == str(env.prefix / "bin" / "python")
    assert submitted.run_id is not None
    client = RunlabClient(tracking)
    assert client.get_run(submitted.run_id).data.tags["mlflow.project.env"] == "conda"
    assert _artifact(client, submitted.run_id, "environment/requirements.lock.txt") == (
        "six=1.17.0=py_0\n"
    )
