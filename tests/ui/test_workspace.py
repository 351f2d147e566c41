"""The runs view's Charts workspace in headless Chromium against a live server: a panel
per metric with system metrics apart, hide/reorder/resize kept across reloads, grouped
runs as bands, the table's selection, and a run logging in the background that grows on
the page without a reload until it ends, when the polling stops."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect
from tests._servers import start_runlab_server

from runlab.tracking.client import RunlabClient

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Workspace:
    base_url: str
    experiment_id: str
    runs: dict[str, str]  # name -> run id
    live_experiment_id: str


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("workspace")
    store = str(root / "store")
    client = RunlabClient(store)
    eid = client.create_experiment("charts")
    runs = {}
    for name, lr in (("a1", "0.1"), ("a2", "0.1"), ("b1", "0.01"), ("b2", "0.01")):
        run_id = client.create_run(eid, run_name=name).info.run_id
        client.log_param(run_id, "lr", lr)
        offset = 0.0 if name.startswith("a") else 1.0
        for step in range(20):
            metrics = {"loss": offset + 1 / (step + 1), "acc": step / 20, "system/cpu": 40.0 + step}
            client.log_metrics(run_id, metrics, step=step)
        client.set_terminated(run_id)
        runs[name] = run_id
    live = client.create_experiment("live")
    with start_runlab_server(root, "--backend-store-uri", store) as (base_url, _process):
        yield Workspace(base_url, eid, runs, live)


def _open(page: Any, ws: Workspace, extra: str = "", experiment: str | None = None) -> None:
    page.goto(f"{ws.base_url}/#/experiments/{experiment or ws.experiment_id}?show=charts{extra}")
    page.locator(".workspace[data-state='ready']").wait_for()


def _panel(page: Any, key: str) -> Any:
    return page.locator(f".ws-panel[data-key='{key}']")


def _keys(page: Any, group: str) -> list[str]:
    panels = page.locator(f".ws-section[data-group='{group}'] .ws-panel")
    return [panels.nth(i).get_attribute("data-key") for i in range(panels.count())]


def test_a_panel_per_metric_and_system_metrics_apart(
    page: Any, workspace: Workspace, shot: Any
) -> None:
    _open(page, workspace)
    assert _keys(page, "model") == ["acc", "loss"]
    assert _keys(page, "system") == ["system/cpu"]
    expect(page.locator(".ws-section[data-group='system'] h2")).to_have_text("System metrics")
    for key in ("acc", "loss", "system/cpu"):
        expect(_panel(page, key)).to_have_attribute("data-series", "4")  # a line per run
        expect(_panel(page, key)).to_have_attribute("data-points", "80")
        expect(_panel(page, key).locator("canvas")).to_have_count(1)
    expect(page.locator(".ws-chip")).to_have_count(4)
    shot(page, "workspace")
    # The toggle is in the URL both ways, and the table comes back.
    page.get_by_role("button", name="Table").click()
    expect(page.locator(".runs-table")).to_be_visible()
    assert "show=" not in page.url
    page.get_by_role("button", name="Charts").click()
    expect(_panel(page, "loss")).to_be_visible()
    assert "show=charts" in page.url


def test_hide_reorder_and_resize_are_kept_after_a_reload(page: Any, workspace: Workspace) -> None:
    _open(page, workspace)
    page.get_by_role("button", name="Move loss earlier").click()
    assert _keys(page, "model") == ["loss", "acc"]
    page.get_by_label("Size of chart acc").select_option("large")
    expect(_panel(page, "acc")).to_have_class("chart ws-panel size-large")
    page.get_by_role("button", name="Hide chart of system/cpu").click()
    expect(_panel(page, "system/cpu")).to_have_count(0)
    expect(page.get_by_role("button", name="Show chart of system/cpu")).to_be_visible()
    # Dragging acc onto loss puts it first again.
    _panel(page, "acc").drag_to(_panel(page, "loss"))
    assert _keys(page, "model") == ["acc", "loss"]
    page.get_by_role("button", name="Move acc later").click()

    page.reload()
    page.locator(".workspace[data-state='ready']").wait_for()
    assert _keys(page, "model") == ["loss", "acc"]
    expect(_panel(page, "acc")).to_have_class("chart ws-panel size-large")
    expect(_panel(page, "loss")).to_have_class("chart ws-panel size-medium")
    expect(_panel(page, "system/cpu")).to_have_count(0)
    page.get_by_role("button", name="Show chart of system/cpu").click()
    assert _keys(page, "system") == ["system/cpu"]
    page.reload()
    page.locator(".workspace[data-state='ready']").wait_for()
    assert _keys(page, "system") == ["system/cpu"]


def test_grouped_runs_are_bands_and_the_selection_narrows(page: Any, workspace: Workspace) -> None:
    _open(page, workspace, "&g=p.lr")
    loss = _panel(page, "loss")
    expect(loss).to_have_attribute("data-bands", "2")  # a mean over a band per lr value
    expect(loss).to_have_attribute("data-series", "2")
    expect(page.locator(".ws-chip")).to_have_text(["param lr = 0.01", "param lr = 0.1"])
    expect(loss.locator("canvas")).to_have_count(1)
    _open(page, workspace, f"&sel={workspace.runs['a1']},{workspace.runs['b2']}")
    expect(_panel(page, "loss")).to_have_attribute("data-series", "2")
    chips = page.locator(".ws-chip")
    expect(chips).to_have_count(2)
    assert sorted(chips.all_inner_texts()) == ["a1", "b2"]
    expect(page.locator(".ws-note")).to_contain_text("2 ticked runs")


def test_a_running_run_grows_live_and_polling_stops_when_it_ends(
    page: Any, workspace: Workspace
) -> None:
    client = RunlabClient(workspace.base_url)
    run_id = client.create_run(workspace.live_experiment_id, run_name="live").info.run_id
    stop = threading.Event()
    logged = [0]

    def train() -> None:
        step = 0
        while not stop.is_set():
            client.log_metrics(run_id, {"loss": 1 / (step + 1)}, step=step)
            logged[0] = step = step + 1
            time.sleep(0.2)
        client.set_terminated(run_id)

    thread = threading.Thread(target=train, daemon=True)
    thread.start()
    try:
        while logged[0] < 3:
            time.sleep(0.05)
        updates: list[str] = []
        page.on("request", lambda r: "metrics/updates" in r.url and updates.append(r.url))
        _open(page, workspace, experiment=workspace.live_experiment_id)
        loss = _panel(page, "loss")
        expect(page.locator(".workspace")).to_have_attribute("data-live", "on")
        first = int(loss.get_attribute("data-points"))
        assert first >= 3
        # It grows without a reload, from polls that ask only for newer points.
        page.wait_for_function(
            "(n) => Number(document.querySelector(\".ws-panel[data-key='loss']\")"
            ".dataset.points) > n",
            arg=first + 10,
        )
        assert updates
    finally:
        stop.set()
        thread.join(timeout=30)
    expect(page.locator(".workspace")).to_have_attribute("data-live", "off")
    polls = len(updates)
    points = int(_panel(page, "loss").get_attribute("data-points"))
    assert points == logged[0]  # every point, once
    time.sleep(7)  # two poll periods: nothing more is asked once the run has ended
    assert len(updates) == polls


def test_runs_and_keys_that_start_after_the_page_opened_appear_without_a_reload(
    page: Any, workspace: Workspace
) -> None:
    client = RunlabClient(workspace.base_url)
    eid = client.create_experiment("late arrivals")
    first = client.create_run(eid, run_name="first").info.run_id
    client.log_metrics(first, {"loss": 1.0}, step=0)
    searches: list[str] = []
    page.on("request", lambda r: "runs/search" in r.url and searches.append(r.url))
    _open(page, workspace, experiment=eid)
    expect(page.locator(".ws-chip")).to_have_count(1)
    expect(page.locator(".workspace")).to_have_attribute("data-watch", "on")
    assert _keys(page, "model") == ["loss"]
    opened = len(searches)

    # A run started in the background, and a key the first run logs only now.
    late = client.create_run(eid, run_name="late <img src=x onerror=alert(1)>").info.run_id
    for step in range(3):
        client.log_metrics(late, {"loss": 0.5 + step, "late_acc": 0.1 * step}, step=step)
    client.log_metrics(first, {"loss": 0.9, "grad_norm": 3.0}, step=1)
    expect(page.locator(".ws-chip")).to_have_count(2)
    expect(page.locator(".ws-chip").nth(1)).to_have_text("late <img src=x onerror=alert(1)>")
    expect(page.locator(".ws-legend img")).to_have_count(0)
    expect(_panel(page, "late_acc")).to_have_attribute("data-points", "3")
    expect(_panel(page, "grad_norm")).to_have_attribute("data-points", "1")
    expect(_panel(page, "loss")).to_have_attribute("data-series", "2")
    expect(_panel(page, "loss")).to_have_attribute("data-points", "5")
    assert _keys(page, "model") == ["grad_norm", "late_acc", "loss"]
    assert len(searches) > opened  # found by the poll, not by a reload
    expect(page.locator(".ws-note")).to_contain_text("2 runs, 3 metrics")


def test_the_x_axis_is_step_wall_time_or_relative_time(page: Any, workspace: Workspace) -> None:
    client = RunlabClient(workspace.base_url)
    run = client.get_run(workspace.runs["a1"])
    start = run.info.start_time
    history = client.get_metric_history(workspace.runs["a1"], "loss")
    _open(page, workspace, f"&sel={workspace.runs['a1']}")
    loss = _panel(page, "loss")
    expect(loss).to_have_attribute("data-axis", "step")
    expect(loss).to_have_attribute("data-x-min", "0")
    expect(loss).to_have_attribute("data-x-max", "19")

    page.get_by_label("X axis").select_option(label="Wall time")
    expect(loss).to_have_attribute("data-axis", "wall")
    assert "x=wall" in page.url
    wall = [float(loss.get_attribute(f"data-x-{end}")) for end in ("min", "max")]
    times = [m.timestamp / 1000 for m in history]
    assert wall == pytest.approx([min(times), max(times)])
    expect(loss.locator("canvas")).to_have_count(1)

    page.get_by_label("X axis").select_option(label="Relative time")
    expect(loss).to_have_attribute("data-axis", "relative")
    relative = [float(loss.get_attribute(f"data-x-{end}")) for end in ("min", "max")]
    stamps = [m.timestamp for m in history]
    assert relative == pytest.approx([(min(stamps) - start) / 1000, (max(stamps) - start) / 1000])
    assert 0 <= relative[0] <= relative[1] < 60

    # The choice is in the URL: a reload keeps it.
    page.reload()
    page.locator(".workspace[data-state='ready']").wait_for()
    expect(_panel(page, "loss")).to_have_attribute("data-axis", "relative")
    expect(page.get_by_label("X axis")).to_have_value("relative")
    page.get_by_label("X axis").select_option(label="Step")
    assert "x=" not in page.url
