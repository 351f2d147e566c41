"""The run page's charts put system metrics in a section of their own, under the model's
metrics, in headless Chromium against a live server; the runs log real system metrics."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect
from tests._servers import start_runlab_server

import runlab
from runlab.tracking.client import RunlabClient

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Runs:
    base_url: str
    with_system: str
    without_system: str
    system_keys: list[str]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    root = tmp_path_factory.mktemp("system-charts")
    store = str(root / "store")
    runlab.set_tracking_uri(store)
    runlab.set_system_metrics_sampling_interval(0.2)
    try:
        with runlab.start_run(log_system_metrics=True) as run:
            for step in range(5):
                runlab.log_metrics({"loss": 1.0 / (step + 1), "accuracy": step / 5}, step=step)
            time.sleep(1.0)
        with runlab.start_run(log_system_metrics=False) as plain:
            runlab.log_metric("loss", 0.5)
    finally:
        runlab.set_system_metrics_sampling_interval(None)
        runlab.set_tracking_uri(None)
    keys = sorted(RunlabClient(store).get_run(run.info.run_id).data.metrics)
    system_keys = [k for k in keys if k.startswith("system/")]
    assert "system/cpu_utilization_percentage" in system_keys
    with start_runlab_server(root, "--backend-store-uri", store) as (base_url, _process):
        yield Runs(base_url, run.info.run_id, plain.info.run_id, system_keys)


def _charts(page: Any, base_url: str, run_id: str) -> None:
    page.goto(f"{base_url}/#/run/{run_id}?tab=charts")
    page.locator(".charts").wait_for()


def test_system_metrics_have_their_own_section(page: Any, runs: Runs) -> None:
    _charts(page, runs.base_url, runs.with_system)
    model = page.locator(".chart-section[data-group='model']")
    system = page.locator(".chart-section[data-group='system']")
    expect(model.locator("summary")).to_have_text("Model metrics (2)")
    expect(system.locator("summary")).to_have_text(f"System metrics ({len(runs.system_keys)})")
    shown = system.locator(".chart-grid > *")
    expect(shown).to_have_count(len(runs.system_keys))
    keys = [shown.nth(i).get_attribute("data-key") for i in range(len(runs.system_keys))]
    assert keys == [k.lower() for k in runs.system_keys]
    expect(model.locator(".chart-grid > *")).to_have_count(2)
    # The sections come in that order, and the system charts draw real points.
    assert page.locator(".chart-section").first.get_attribute("data-group") == "model"
    cpu = system.locator("figure.chart[data-key='system/cpu_utilization_percentage']")
    cpu.scroll_into_view_if_needed()
    expect(cpu.locator(".chart-status")).to_contain_text("points shown")
    expect(cpu.locator("canvas")).to_have_count(1)

    # A filter counts what it leaves in each section and hides a section left empty.
    page.get_by_label("Filter metric charts").fill("cpu")
    expect(model).to_be_hidden()
    expect(system.locator("summary")).to_have_text("System metrics (1)")
    page.get_by_label("Filter metric charts").fill("")
    expect(model).to_be_visible()

    # A section folds away.
    system.locator("summary").click()
    expect(cpu).to_be_hidden()
    expect(model.locator(".chart-grid > *").first).to_be_visible()


def test_a_run_without_system_metrics_has_one_untitled_grid(page: Any, runs: Runs) -> None:
    _charts(page, runs.base_url, runs.without_system)
    expect(page.locator(".charts .chart-grid > *")).to_have_count(1)
    expect(page.locator(".chart-section")).to_have_count(0)
