"""Crashed runs in the web UI: a run the heartbeat sweep ended (FAILED, tag
``runlab.crashed``) shows as "crashed" with its last sign of life, in headless Chromium
against a live server, while an ordinary FAILED run still shows as failed."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect
from tests._servers import start_runlab_server

from runlab.entities import RunStatus
from runlab.store.sql.store import SqlStore

pytestmark = pytest.mark.slow
STARTED_MS = 1_780_000_000_000  # 2026-05-28, a fixed time so the text is known
LAST_HEARTBEAT_MS = STARTED_MS + 754_000


@dataclass(frozen=True)
class Runs:
    base_url: str
    experiment_id: str
    crashed: str
    failed: str
    finished: str


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    root = tmp_path_factory.mktemp("crashed")
    uri = f"sqlite:///{root / 'runlab.db'}"
    store = SqlStore(uri, (root / "artifacts").as_uri())
    try:
        experiment_id = store.create_experiment("crashes")
        made = {}
        for name in ("crashed", "failed", "finished"):
            made[name] = store.create_run(experiment_id, "alice", STARTED_MS, {}, name).run_id
        # The real sweep ends the crashed run: its heartbeats stopped long ago.
        store.record_heartbeat(made["crashed"], LAST_HEARTBEAT_MS)
        ended = store.end_crashed_runs(60_000, now_ms=LAST_HEARTBEAT_MS + 120_000)
        assert ended == [made["crashed"]]
        store.update_run_info(made["failed"], RunStatus.FAILED, STARTED_MS + 5_000, None)
        store.update_run_info(made["finished"], RunStatus.FINISHED, STARTED_MS + 9_000, None)
    finally:
        store.close()
    with start_runlab_server(root, "--backend-store-uri", uri) as (base_url, _process):
        yield Runs(base_url, experiment_id, made["crashed"], made["failed"], made["finished"])


def _local_time(ms: int) -> str:
    # The browser formats in its local time zone, the one this process has too.
    return datetime.datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def test_the_runs_table_shows_a_crashed_run_as_crashed(page: Any, runs: Runs) -> None:
    page.goto(f"{runs.base_url}/#/experiments/{runs.experiment_id}")
    rows = page.locator(".runs-table tbody tr[data-run-id]")
    expect(rows).to_have_count(3)
    crashed = page.locator(f"tr[data-run-id='{runs.crashed}'] .status")
    expect(crashed).to_have_text("crashed")
    expect(crashed).to_have_class("status status-crashed")
    expect(crashed).to_have_attribute(
        "title", f"Crashed (ended FAILED): no heartbeat since {_local_time(LAST_HEARTBEAT_MS)}"
    )
    expect(page.locator(f"tr[data-run-id='{runs.failed}'] .status")).to_have_text("failed")
    expect(page.locator(f"tr[data-run-id='{runs.finished}'] .status")).to_have_text("finished")


def test_the_run_page_says_when_a_crashed_run_was_last_heard_from(page: Any, runs: Runs) -> None:
    page.goto(f"{runs.base_url}/#/run/{runs.crashed}")
    expect(page.locator(".page-head .status")).to_have_text("crashed")
    status = page.locator(".details dd").filter(has=page.locator(".status-crashed"))
    expect(status).to_have_text(f"crashed no heartbeat since {_local_time(LAST_HEARTBEAT_MS)}")
    ended = page.locator(".details dt", has_text="Ended").locator("xpath=following-sibling::dd[1]")
    expect(ended).to_have_text(_local_time(LAST_HEARTBEAT_MS))


def test_a_failed_run_that_did_not_crash_stays_failed(page: Any, runs: Runs) -> None:
    page.goto(f"{runs.base_url}/#/run/{runs.failed}")
    expect(page.locator(".page-head .status")).to_have_text("failed")
    page.locator(".details").wait_for()
    expect(page.locator(".crash-note")).to_have_count(0)
