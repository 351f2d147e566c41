"""The runs table grouped by a param, tag or attribute, in headless Chromium."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from tests.ui._seed import XSS_PARAM, Seeded

pytestmark = pytest.mark.slow

Server = tuple[str, Seeded]


def _group_values(page: Any) -> list[str]:
    return page.locator(".runs-table tr.group-row .group-value").all_inner_texts()


def _wait_groups(page: Any) -> None:
    page.wait_for_function(
        "() => document.querySelector('.runs-table[aria-busy]') === null"
        " && document.querySelector('.runs-table tr.group-row') !== null"
    )


def test_group_by_param_summaries_and_lazy_group_runs(
    page: Any, ui_server: Server, shot: Any
) -> None:
    base_url, seeded = ui_server
    page.goto(f"{base_url}/#/experiments/{seeded.experiment_id}?g=p.model")
    page.get_by_text("7 runs in 4 groups by param model").wait_for()
    _wait_groups(page)
    assert _group_values(page) == ["cnn", "resnet", "vit", "no param model"]
    # Groups start closed: no run row until one is opened.
    assert page.locator(".runs-table tr[data-run-id]").count() == 0
    cnn = page.locator("tr.group-row", has=page.get_by_text("cnn", exact=True))
    # The accuracy column shows the group's mean of the latest values (0.59 and 0.68).
    header = page.locator(".runs-table thead th").all_inner_texts()
    accuracy_cell = cnn.locator("td").nth(next(i for i, t in enumerate(header) if "accuracy" in t))
    expect(accuracy_cell).to_have_text("0.635")
    assert "min 0.59" in (accuracy_cell.get_attribute("title") or "")

    page.get_by_role("button", name="Expand group cnn, 2 runs").click()
    page.get_by_role("link", name="trial-1").wait_for()
    names = page.locator(".runs-table tr[data-run-id] .run-name a").all_inner_texts()
    assert sorted(names) == ["trial-0", "trial-1"]
    expect(page.get_by_role("button", name="Collapse group cnn, 2 runs")).to_be_focused()
    shot(page, "runs-grouped-by-param")

    # The same grouping with a filter: runs without the param drop out with `!=`.
    box = page.get_by_label("Filter runs (search language)")
    box.fill("params.model != 'vit'")
    box.press("Enter")
    page.get_by_text("3 runs in 2 groups by param model").wait_for()
    _wait_groups(page)
    assert _group_values(page) == ["cnn", "resnet"]
    assert "g=p.model" in page.evaluate("location.hash")

    # Back to the flat table, then grouped by an attribute from the select.
    box.fill("")
    box.press("Enter")
    page.get_by_label("Group runs by").select_option("")
    page.get_by_text("7 runs", exact=True).wait_for()
    assert "g=" not in page.evaluate("location.hash")
    page.get_by_label("Group runs by").select_option("a.status")
    page.get_by_text("7 runs in 3 groups by Status").wait_for()
    _wait_groups(page)
    assert _group_values(page) == ["FAILED", "FINISHED", "RUNNING"]
    counts = page.locator("tr.group-row .group-count").all_inner_texts()
    assert [c.strip() for c in counts] == ["1 run", "4 runs", "2 runs"]


def test_one_large_group_pages_its_runs(page: Any, ui_server: Server) -> None:
    base_url, seeded = ui_server
    n = seeded.many_runs
    page.goto(f"{base_url}/#/experiments/{seeded.many_experiment_id}?g=a.status")
    page.get_by_text(f"{n:,} runs in 1 group by Status").wait_for()
    # A lone group opens by itself and loads its first page only; the button to load more
    # is the last row (the table renders only the rows in view: scroll down to it).
    page.locator(".runs-table tr[data-run-id]").first.wait_for()
    assert page.locator("tr.group-row .group-count").first.inner_text().strip() == f"{n:,} runs"
    scroller = page.locator(".grid-scroll")
    scroller.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    more = page.get_by_role("button", name=re.compile(r"^Load 200 more of "))
    more.wait_for()
    assert more.inner_text() == f"Load 200 more of {n - 200:,}"
    more.click()
    # The next page lands below the rows in view: keep scrolling to the end until the
    # button counts the second page.
    page.wait_for_function(
        """(text) => {
            const el = document.querySelector('.grid-scroll');
            el.scrollTop = el.scrollHeight;
            const buttons = [...document.querySelectorAll('.more-row button')];
            return buttons.some((b) => b.textContent === text);
        }""",
        arg=f"Load 200 more of {n - 400:,}",
    )
    assert page.locator(".runs-table tr[data-run-id]").count() > 0


def test_group_values_are_text(page: Any, ui_server: Server) -> None:
    base_url, seeded = ui_server
    page.goto(f"{base_url}/#/experiments/{seeded.experiment_id}?g=p.payload")
    page.get_by_text("7 runs in 2 groups by param payload").wait_for()
    _wait_groups(page)
    assert _group_values(page) == [XSS_PARAM, "no param payload"]
    assert page.evaluate("window.__xss") is None
    assert page.locator("main script").count() == 0
