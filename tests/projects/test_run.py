"""Running projects with the current interpreter (``--env-manager local``): by folder and by
``file://`` git URL, what the run records, failures, attaching, cancelling, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from tests._cli import assert_one_line_error, run_cli
from tests._servers import runlab_command
from tests.projects.conftest import SampleRepo

import runlab.projects
from runlab.entities import RunStatus
from runlab.errors import InvalidInputError, NotFoundError, RunlabError
from runlab.tracking.client import RunlabClient

WAIT_SECONDS = 60.0


def _only_run(tracking: str, experiment: str = "0") -> str:
    runs = RunlabClient(tracking).search_runs([experiment])
    assert len(runs) == 1, runs
    return runs[0].info.run_id


def test_a_folder_runs_with_typed_params_and_records_what_reproduces_it(
    project: Path, tracking: str, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SAMPLE_LOGS_WITH_RUNLAB", "1")
    result = run_cli(
        tracking, "run", str(project), "-P", "alpha=0.30", "-P", "data=s3://b/k",
        "-P", "out=result.json", "-P", "seed=7", "--env-manager", "local",
        "--experiment-name", "wine", "--run-name", "first",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    client = RunlabClient(tracking)
    experiment = client.get_experiment_by_name("wine")
    assert experiment is not None
    run_id = _only_run(tracking, experiment.experiment_id)
    assert f"run {run_id} FINISHED" in result.stdout

    record = json.loads((tmp_path / "result.json").read_text())
    assert record["args"] == {"alpha": "0.30", "epochs": "2", "out": str(tmp_path / "result.json"),
                              "data": "s3://b/k"}  # fmt: skip
    assert record["extra"] == ["--seed", "7"]
    assert record["cwd"] == str(project)
    assert record["logged_run"] == run_id  # the entry point's start_run() joined the run

    run = client.get_run(run_id)
    assert run.info.status == RunStatus.FINISHED
    assert run.info.run_name == "first"
    assert run.data.params == {"alpha": "0.30", "epochs": "2", "out": "result.json",
                               "data": "s3://b/k", "seed": "7"}  # fmt: skip
    assert run.data.metrics["loss"] == pytest.approx(0.15)
    tags = run.data.tags
    assert tags["logged.by"] == "entry point"
    assert tags["mlflow.source.type"] == "PROJECT"
    assert tags["mlflow.source.name"] == str(project)  # not in a git work tree
    assert tags["mlflow.project.entryPoint"] == "main"
    assert tags["mlflow.project.env"] == "local"
    assert tags["mlflow.project.backend"] == "local"
    assert "mlflow.source.git.commit" not in tags
    assert tags["runlab.project.command"] == (
        f"runlab run {project} -e main -P alpha=0.30 -P data=s3://b/k "
        f"-P out={tmp_path / 'result.json'} -P seed=7 --env-manager local "
        f"--experiment-id {experiment.experiment_id}"
    )
    paths = {f.path for f in client.list_artifacts(run_id, "environment")}
    assert paths == {"environment/python_env.yaml", "environment/runlab-env.json"}
    spec = client.download_artifacts(run_id, "environment/python_env.yaml")
    assert Path(spec).read_text() == (project / "python_env.yaml").read_text()


def test_a_file_git_url_runs_the_version_asked_for(
    sample_repo: SampleRepo, tracking: str, cache: Path, tmp_path: Path
) -> None:
    outputs = {}
    for version in ("v1", "main", sample_repo.v1):
        out = tmp_path / f"{version}.json"
        submitted = runlab.projects.run(
            sample_repo.url, parameters={"data": "d", "out": str(out)}, version=version,
            env_manager="local", tracking_uri=tracking,
        )  # fmt: skip
        assert submitted.wait()
        outputs[version] = (submitted.run_id, json.loads(out.read_text()))
    assert "version" not in outputs["v1"][1]  # the tagged commit's train.py
    assert outputs["main"][1]["version"] == "head"
    assert "version" not in outputs[sample_repo.v1][1]
    checkout = Path(outputs["v1"][1]["cwd"])
    assert checkout.name == "sample"
    assert checkout.is_relative_to(cache / "checkouts")
    assert not checkout.exists()  # each run's checkout is removed at its end

    client = RunlabClient(tracking)
    v1 = client.get_run(outputs["v1"][0]).data.tags
    assert v1["mlflow.source.name"] == sample_repo.url
    assert v1["mlflow.source.git.commit"] == sample_repo.v1
    assert v1["mlflow.source.git.repoURL"] == f"file://{sample_repo.root}"
    assert "mlflow.source.git.branch" not in v1  # a tag, not a branch
    assert f"--version {sample_repo.v1} " in v1["runlab.project.command"]
    head = client.get_run(outputs["main"][0]).data.tags
    assert head["mlflow.source.git.commit"] == sample_repo.head
    assert head["mlflow.source.git.branch"] == "main"
    assert len(list((cache / "repos").glob("*.git"))) == 1  # one mirror, reused


def test_a_folder_inside_a_git_work_tree_is_recorded_as_mlflow_does(
    sample_repo: SampleRepo, tracking: str, cache: Path, tmp_path: Path
) -> None:
    submitted = runlab.projects.run(
        str(sample_repo.root / "sample"), parameters={"data": "d", "out": str(tmp_path / "o")},
        env_manager="local", tracking_uri=tracking,
    )  # fmt: skip
    assert submitted.run_id is not None
    tags = RunlabClient(tracking).get_run(submitted.run_id).data.tags
    assert tags["mlflow.source.name"] == sample_repo.url
    assert tags["mlflow.source.git.commit"] == sample_repo.head
    assert tags["mlflow.source.git.branch"] == "main"


def test_git_errors_are_one_line(sample_repo: SampleRepo, tracking: str, cache: Path) -> None:
    with pytest.raises(NotFoundError, match="version 'v9' is not a commit, branch or tag of"):
        runlab.projects.run(sample_repo.url, version="v9", tracking_uri=tracking)
    with pytest.raises(NotFoundError, match="cannot clone file:///nowhere/repo"):
        runlab.projects.run("file:///nowhere/repo", tracking_uri=tracking)
    with pytest.raises(InvalidInputError, match="subdirectory 'nope' of"):
        runlab.projects.run(f"file://{sample_repo.root}#nope", tracking_uri=tracking)
    with pytest.raises(InvalidInputError, match="--version applies to git URIs"):
        runlab.projects.run(str(sample_repo.root / "sample"), version="v1", tracking_uri=tracking)
    assert RunlabClient(tracking).search_runs(["0"]) == []


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["-P", "alpha=0.1"], ["entry point 'main' needs a value for 'data'"]),
        (["-P", "data=x", "-P", "epochs=many"], ["'epochs'", "is an int, and 'many'"]),
        (["-e", "evaluate"], ["entry point 'evaluate' is not declared in MLproject"]),
        (["-P", "alpha"], ["-P 'alpha' is not KEY=VALUE"]),
        (["-P", "data=x", "--run-id", "f" * 32], ["f" * 32]),
        (["-P", "data=x", "--experiment-id", "99"], ["99"]),
    ],
)
def test_user_errors_are_one_line_before_anything_runs(
    project: Path, tracking: str, cache: Path, args: list[str], fragments: list[str]
) -> None:
    result = run_cli(tracking, "run", str(project), "--env-manager", "local", *args)
    assert_one_line_error(result, *fragments)
    assert RunlabClient(tracking).search_runs(["0"]) == []
    assert not (project / "out.json").exists()


def test_a_bad_mlproject_is_one_line_before_anything_runs(
    project: Path, tracking: str, cache: Path
) -> None:
    (project / "MLproject").write_text("entry_points:\n  main:\n    parameters: {}\n")
    assert_one_line_error(run_cli(tracking, "run", str(project)), "needs a 'command'")
    assert RunlabClient(tracking).search_runs(["0"]) == []


def test_a_failing_entry_point_ends_the_run_failed(
    project: Path, tracking: str, cache: Path, tmp_path: Path
) -> None:
    out = tmp_path / "hello.txt"
    result = run_cli(
        tracking, "run", str(project), "-e", "report", "-P", "name=fail", "-P", f"out={out}",
        "--env-manager", "local",
    )  # fmt: skip
    run_id = _only_run(tracking)
    assert_one_line_error(result, f"run {run_id} ended FAILED", "exited with code 3")
    assert RunlabClient(tracking).get_run(run_id).info.status == RunStatus.FAILED
    with pytest.raises(RunlabError, match="ended FAILED: the entry point exited with code 3"):
        runlab.projects.run(str(project), "report", {"name": "fail", "out": str(out)},
                            env_manager="local", tracking_uri=tracking)  # fmt: skip
    submitted = runlab.projects.run(str(project), "report", {"name": "fail", "out": str(out)},
                                    env_manager="local", tracking_uri=tracking,
                                    synchronous=False)  # fmt: skip
    assert submitted.wait() is False
    assert submitted.get_status() == RunStatus.FAILED
    assert submitted.exit_code == 3
    assert submitted.failure == "the entry point exited with code 3"


def test_run_id_attaches_to_an_existing_run(
    project: Path, tracking: str, cache: Path, tmp_path: Path
) -> None:
    client = RunlabClient(tracking)
    exp = client.create_experiment("attach")
    existing = client.create_run(exp, run_name="made-before")
    run_id = existing.info.run_id
    client.log_param(run_id, "alpha", "0.7")
    client.set_terminated(run_id, RunStatus.FAILED)

    out = tmp_path / "o.json"
    result = run_cli(
        tracking, "run", str(project), "--run-id", run_id, "-P", "alpha=0.7",
        "-P", "data=d", "-P", f"out={out}", "--env-manager", "local",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["run_env"] == run_id
    run = client.get_run(run_id)
    assert run.info.status == RunStatus.FINISHED
    assert run.info.run_name == "made-before"
    assert run.data.params["epochs"] == "2"
    assert run.data.tags["mlflow.source.type"] == "PROJECT"
    assert f"--experiment-id {exp}" in run.data.tags["runlab.project.command"]
    assert [r.info.run_id for r in client.search_runs([exp])] == [run_id]

    clash = run_cli(tracking, "run", str(project), "--run-id", run_id, "-P", "alpha=0.1",
                    "-P", "data=d", "--env-manager", "local")  # fmt: skip
    assert_one_line_error(clash, f"run {run_id} already has parameter alpha='0.7'")


SLEEPER = """\
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
open(sys.argv[1] + ".tmp", "w").write(f"{os.getpid()} {child.pid}")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(300)
"""


def _sleeper_project(folder: Path) -> Path:
    folder.mkdir()
    (folder / "MLproject").write_text(
        "name: sleeper\nentry_points:\n  main:\n    parameters: {pids: path}\n"
        "    command: python sleep.py {pids}\n"
    )
    (folder / "sleep.py").write_text(SLEEPER)
    return folder


def _wait_for(path: Path) -> list[int]:
    deadline = time.monotonic() + WAIT_SECONDS
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)
    return [int(p) for p in path.read_text().split()]


def _gone(pid: int) -> bool:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_cancel_stops_the_whole_process_group_and_ends_the_run_killed(
    tmp_path: Path, tracking: str, cache: Path
) -> None:
    folder = _sleeper_project(tmp_path / "sleeper")
    pids_file = tmp_path / "pids"
    submitted = runlab.projects.run(str(folder), parameters={"pids": str(pids_file)},
                                    env_manager="local", tracking_uri=tracking,
                                    synchronous=False)  # fmt: skip
    pids = _wait_for(pids_file)
    assert submitted.get_status() == RunStatus.RUNNING
    submitted.cancel()
    assert submitted.get_status() == RunStatus.KILLED
    assert submitted.wait() is False
    assert all(_gone(pid) for pid in pids)  # the entry point and what it started
    assert submitted.run_id is not None
    assert RunlabClient(tracking).get_run(submitted.run_id).info.status == RunStatus.KILLED


def test_ctrl_c_ends_the_run_killed_and_stops_the_child_group(
    tmp_path: Path, tracking: str, cache: Path
) -> None:
    folder = _sleeper_project(tmp_path / "sleeper")
    pids_file = tmp_path / "pids"
    process = subprocess.Popen(
        runlab_command("--tracking-uri", tracking, "run", str(folder), "-P",
                       f"pids={pids_file}", "--env-manager", "local"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        pids = _wait_for(pids_file)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=WAIT_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr
    assert "the run ended KILLED" in stderr
    assert "Traceback" not in stderr
    assert all(_gone(pid) for pid in pids)
    assert RunlabClient(tracking).get_run(_only_run(tracking)).info.status == RunStatus.KILLED


def test_a_folder_without_mlproject_runs_its_scripts_by_name(
    tmp_path: Path, tracking: str, cache: Path
) -> None:
    folder = tmp_path / "scripts"
    folder.mkdir()
    (folder / "hello.py").write_text(
        "import sys; open('py.txt', 'w').write(' '.join(sys.argv[1:]))"
    )
    (folder / "hello.sh").write_text('echo "$@" > sh.txt\n')
    runlab.projects.run(str(folder), "hello.py", {"n": 3}, env_manager="local",
                        tracking_uri=tracking)  # fmt: skip
    runlab.projects.run(str(folder), "hello.sh", {"who": "you all"}, env_manager="local",
                        tracking_uri=tracking)  # fmt: skip
    assert (folder / "py.txt").read_text() == "--n 3"
    assert (folder / "sh.txt").read_text() == "--who you all\n"
    entry_points = {r.data.tags["mlflow.project.entryPoint"] for r in
                    RunlabClient(tracking).search_runs(["0"])}  # fmt: skip
    assert entry_points == {"hello.py", "hello.sh"}


@pytest.mark.parametrize(
    ("uri", "git", "base", "sub"),
    [
        ("https://example.org/team/wine.git#training", True, "https://example.org/team/wine.git",
         "training"),
        ("ssh://git@example.org/team/wine.git", True, "ssh://git@example.org/team/wine.git", ""),
        ("git@example.org:team/wine.git#a/b/", True, "git@example.org:team/wine.git", "a/b"),
        ("file:///srv/repo", True, "file:///srv/repo", ""),
        ("./project#sub", False, "./project", "sub"),
        ("/abs/project", False, "/abs/project", ""),
    ],
)  # fmt: skip
def test_which_uris_are_git(uri: str, git: bool, base: str, sub: str) -> None:
    from runlab.projects.fetch import is_git_uri, split_uri

    assert split_uri(uri) == (base, sub)
    assert is_git_uri(base) is git


def test_an_experiment_option_wins_over_the_other_ones_variable(
    project: Path, tracking: str, cache: Path, tmp_path: Path
) -> None:
    exp = RunlabClient(tracking).create_experiment("chosen")
    args = ["run", str(project), "--env-manager", "local", "-P", "data=d",
            "-P", f"out={tmp_path / 'o'}"]  # fmt: skip
    result = run_cli(tracking, *args, "--experiment-id", exp,
                     env={"RUNLAB_EXPERIMENT_NAME": "from-env"})  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(RunlabClient(tracking).search_runs([exp])) == 1
    both = run_cli(tracking, *args, "--experiment-id", exp, "--experiment-name", "x")
    assert_one_line_error(both, "give experiment_name or experiment_id, not both")
