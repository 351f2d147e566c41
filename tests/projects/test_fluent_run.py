"""``runlab.run``: MLflow's ``mlflow.run`` signature over runlab's project runner, on the
current tracking URI."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest

import runlab
from runlab.entities import RunStatus
from runlab.errors import NotSupportedError


def test_runlab_run_runs_the_project_on_the_current_tracking_uri(
    project: Path, tracking: str, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    runlab.set_tracking_uri(tracking)
    submitted = runlab.run(
        str(project), "report", parameters={"name": "fluent", "out": "hello.txt"},
        experiment_name="projects", run_name="from-python", env_manager="local",
    )  # fmt: skip
    assert (tmp_path / "hello.txt").read_text() == "hello fluent"
    run = runlab.get_run(submitted.run_id)
    assert run.info.status == RunStatus.FINISHED
    assert run.info.run_name == "from-python"
    assert run.data.params == {"name": "fluent", "out": "hello.txt"}
    assert run.data.tags["mlflow.project.entryPoint"] == "report"
    experiment = runlab.get_experiment_by_name("projects")
    assert experiment is not None
    assert run.info.experiment_id == experiment.experiment_id

    later = runlab.run(
        str(project), "report", parameters={"name": "async", "out": "later.txt"},
        env_manager="local", synchronous=False,
    )  # fmt: skip
    assert later.wait()
    assert (tmp_path / "later.txt").read_text() == "hello async"


@pytest.mark.parametrize(
    ("keywords", "field"),
    [
        ({"backend": "databricks"}, "backend"),
        ({"docker_args": {"gpus": "all"}}, "docker_args"),
        ({"backend_config": {"x": 1}}, "backend_config"),
        ({"storage_dir": "/tmp/x"}, "storage_dir"),
        ({"build_image": True}, "build_image"),
        ({"docker_auth": {"username": "u"}}, "docker_auth"),
    ],
)
def test_remote_backend_keywords_are_refused_before_anything_runs(
    project: Path, tracking: str, keywords: dict[str, Any], field: str
) -> None:
    runlab.set_tracking_uri(tracking)
    with pytest.raises(NotSupportedError, match=field):
        runlab.run(str(project), "report", parameters={"out": "x.txt"}, **keywords)
    assert not Path(tracking).exists() or runlab.search_runs(output_format="list") == []


def test_the_signature_is_mlflows_in_order() -> None:
    import mlflow

    assert list(inspect.signature(runlab.run).parameters) == list(
        inspect.signature(mlflow.run).parameters
    )
