"""A run logged to a server prints MLflow's two "View ... at" lines when it ends, and the
links open the run's and the experiment's pages; RUNLAB_PRINT_RUN_URL=false stops them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests._servers import start_runlab_server

import runlab
from runlab.tracking._run_links import run_links


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with start_runlab_server(tmp_path_factory.mktemp("links")) as (url, _process):
        yield url


@pytest.fixture(autouse=True)
def _fresh(fresh_fluent_state: None) -> None:
    pass


def test_end_of_run_prints_mlflows_lines(server: str, capsys: pytest.CaptureFixture[str]) -> None:
    runlab.set_tracking_uri(server)
    experiment = runlab.set_experiment("links").experiment_id
    with runlab.start_run(run_name="brave-owl") as run:
        runlab.log_metric("loss", 0.5)
    out = capsys.readouterr().out.splitlines()
    experiment_url = f"{server}/#/experiments/{experiment}"
    assert out == [
        f"🏃 View run brave-owl at: {experiment_url}/runs/{run.info.run_id}",
        f"🧪 View experiment at: {experiment_url}",
    ]


def test_off_switch_and_local_stores_print_nothing(
    server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    runlab.set_tracking_uri(server)
    monkeypatch.setenv("RUNLAB_PRINT_RUN_URL", "false")
    with runlab.start_run():
        pass
    monkeypatch.delenv("RUNLAB_PRINT_RUN_URL")
    runlab.set_tracking_uri(str(tmp_path / "local"))
    with runlab.start_run():
        pass
    assert capsys.readouterr().out == ""


def test_links_leave_credentials_out() -> None:
    run_url, experiment_url = run_links("https://ann:secret@host:8443/prefix/", "7", "abc")
    assert experiment_url == "https://host:8443/prefix/#/experiments/7"
    assert run_url == "https://host:8443/prefix/#/experiments/7/runs/abc"
