"""prefetch.js and the views make the same first requests: on a first load of a page,
every request prefetch.js started is taken by the view, and no request goes out twice."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from tests.ui._seed import Seeded

pytestmark = pytest.mark.slow

Server = tuple[str, Seeded]

# (address, a selector present once the view has drawn its data)
ROWS = ".runs-table tbody tr[data-run-id]"
PAGES = {
    "runs": ("#/experiments/{e}", ROWS),
    "runs filtered and sorted": (
        "#/experiments/{e}?q=params.lr != '9'&o=metrics.`accuracy` DESC&view=ALL&c=m.accuracy",
        ROWS,
    ),
    "runs of two experiments, sort without direction": (
        "#/runs?e={e},{other}&o=attributes.start_time&sel={child}",
        ROWS,
    ),
    "runs grouped": ("#/experiments/{e}?g=p.lr", ".runs-table tbody tr.group-row"),
    "run": ("#/experiments/{e}/runs/{child}", ".run-title"),
    "run, by its earlier address": ("#/run/{child}", ".run-title"),
    "run charts": ("#/experiments/{e}/runs/{long}/model-metrics", "figure.chart canvas"),
    "compare": (
        '#/compare-runs?runs=["{children_json}"]&experiments=["{e}"]',
        ".params-compare tbody tr th",
    ),
}


def _address(template: str, seeded: Seeded) -> str:
    return template.format(
        e=seeded.experiment_id,
        other=seeded.other_experiment_id,
        child=seeded.child_ids[0],
        children_json='","'.join(seeded.child_ids),
        long=seeded.long_run_id,
    )


@pytest.mark.parametrize("name", list(PAGES))
def test_first_load_takes_every_prefetched_answer_and_asks_once(
    page: Any, ui_server: Server, name: str
) -> None:
    base_url, seeded = ui_server
    template, ready = PAGES[name]
    asked: list[tuple[str, str, str]] = []

    def record(request: Any) -> None:
        if "/ajax-api/" in request.url:
            asked.append((request.method, request.url, request.post_data or ""))

    page.goto("about:blank")
    page.on("request", record)
    page.goto(f"{base_url}/{_address(template, seeded)}")  # a first load, as from a bookmark
    page.locator(ready).first.wait_for()
    page.wait_for_load_state("networkidle")

    started = page.evaluate("window.runlabPrefetched.started")
    taken = page.evaluate("window.runlabPrefetched.taken")
    assert started > 0, "prefetch.js started nothing for this page"
    # A prefetched request the view did not take is one the view asked differently.
    assert taken == started, f"{started - taken} of {started} prefetched answers went unused"
    twice = [request for request, n in Counter(asked).items() if n > 1]
    assert not twice, f"asked more than once: {twice}"
