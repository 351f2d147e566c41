"""The "Re-run" line of the run page: the exact ``runlab run`` command of a project run,
in headless Chromium against a live server over runs made by ``runlab run`` itself."""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from tests._cli import run_cli
from tests._servers import start_runlab_server
from tests.projects.conftest import write_sample

import runlab.projects
from runlab.entities import Param
from runlab.tracking.client import RunlabClient

pytestmark = pytest.mark.slow
RERUN_TAG = "runlab.project.command"


@dataclass(frozen=True)
class Runs:
    base_url: str
    store: str
    project_run: str  # made by runlab run
    mlflow_style_run: str  # only MLflow's project tags, as `mlflow run` leaves them
    plain_run: str


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    root = tmp_path_factory.mktemp("rerun")
    store = str(root / "store")
    write_sample(root / "wine project")  # a space, so the command needs quoting
    with pytest.MonkeyPatch.context() as env:
        env.setenv("RUNLAB_PROJECTS_CACHE_DIR", str(root / "cache"))
        submitted = runlab.projects.run(
            str(root / "wine project"), parameters={"alpha": "0.3", "data": "s3://b/k"},
            env_manager="local", tracking_uri=store, output=None,
        )  # fmt: skip
    assert submitted.run_id is not None
    client = RunlabClient(store)
    mlflow_style = client.create_run("0", tags={
        "mlflow.source.type": "PROJECT",
        "mlflow.source.name": "https://github.com/mlflow/mlflow-example",
        "mlflow.source.git.commit": "a" * 40,
        "mlflow.project.entryPoint": "main",
        "mlflow.project.env": "virtualenv",
    }).info.run_id  # fmt: skip
    client.log_batch(mlflow_style, params=[Param("alpha", "0.5"), Param("note", "a b")])
    plain = client.create_run("0", tags={"mlflow.source.name": "train.py"}).info.run_id
    with start_runlab_server(root, "--backend-store-uri", store) as (base_url, _process):
        yield Runs(base_url, store, submitted.run_id, mlflow_style, plain)


def _rerun_line(page: Any, base_url: str, run_id: str) -> Any:
    page.goto(f"{base_url}/#/run/{run_id}")
    page.locator(".details").wait_for()
    return page.locator(".details dt", has_text="Re-run")


def test_a_project_run_shows_the_command_that_runs_it_again(
    page: Any, runs: Runs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tag = RunlabClient(runs.store).get_run(runs.project_run).data.tags[RERUN_TAG]
    expect(_rerun_line(page, runs.base_url, runs.project_run)).to_have_count(1)
    command = page.locator(".details .rerun-command")
    expect(command).to_have_text(tag)
    assert tag.startswith("runlab run '")
    assert " -P alpha=0.3 -P data=s3://b/k " in tag

    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy the re-run command").click()
    expect(page.get_by_role("button", name="Copy the re-run command")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == tag

    # The command shown is one a shell runs as it is: it makes a run with the same params.
    monkeypatch.setenv("RUNLAB_PROJECTS_CACHE_DIR", str(tmp_path / "cache"))
    words = shlex.split(page.locator(".details .rerun-command").inner_text())
    result = run_cli(runs.store, *words[1:])
    assert result.exit_code == 0, result.output
    again = result.stdout.split()[-2]
    client = RunlabClient(runs.store)
    assert client.get_run(again).data.params == client.get_run(runs.project_run).data.params
    assert client.get_run(again).data.tags[RERUN_TAG] == tag


def test_a_run_from_mlflow_run_gets_a_command_from_its_tags(page: Any, runs: Runs) -> None:
    expect(_rerun_line(page, runs.base_url, runs.mlflow_style_run)).to_have_count(1)
    expect(page.locator(".details .rerun-command")).to_have_text(
        "runlab run https://github.com/mlflow/mlflow-example --version " + "a" * 40
        + " -e main -P alpha=0.5 -P 'note=a b' --env-manager virtualenv --experiment-id 0"
    )  # fmt: skip


def test_a_run_that_is_not_a_project_run_has_no_rerun_line(page: Any, runs: Runs) -> None:
    _rerun_line(page, runs.base_url, runs.plain_run)
    expect(page.locator(".details dt", has_text="Source")).to_have_count(2)  # and Source type
    expect(page.locator(".details dt", has_text="Re-run")).to_have_count(0)
    expect(page.locator(".details .rerun-command")).to_have_count(0)
