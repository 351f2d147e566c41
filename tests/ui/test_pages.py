"""The web UI in headless Chromium against a live server: every page, sorting, filtering,
columns, nested runs, comparison, charts, artifacts, and user text shown as text."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from tests.ui._seed import XSS_NAME, XSS_PARAM, XSS_TAG, Seeded

pytestmark = pytest.mark.slow

Server = tuple[str, Seeded]


def _open(page: Any, base_url: str, hash_: str) -> None:
    page.goto(f"{base_url}/{hash_}")


def _no_injection(page: Any) -> None:
    """None of the payloads ran or became an element."""
    assert page.evaluate("window.__xss") is None
    assert page.evaluate("parent.__xss") is None
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("svg[onload]").count() == 0
    assert page.locator("main script").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0


def test_experiments_list_search_create_rename_delete_restore(
    page: Any, ui_server: Server, shot: Any
) -> None:
    base_url, _ = ui_server
    _open(page, base_url, "#/")
    table = page.locator(".experiments-table")
    for name in ("vision", "nlp", "many", "Default"):
        expect(table.get_by_role("link", name=name, exact=True)).to_be_visible()
    shot(page, "experiments")

    page.get_by_label("Search experiments by name").fill("visi")
    page.wait_for_function("document.querySelectorAll('.experiments-table tbody tr').length === 1")
    expect(table.get_by_role("link", name="vision", exact=True)).to_be_visible()
    page.get_by_label("Search experiments by name").fill("")

    page.get_by_role("button", name="New experiment").click()
    page.locator("dialog").get_by_label("Name", exact=True).fill("fresh <b>exp</b>")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(r"#/experiments/\d+"))
    expect(page.locator("h1")).to_have_text("fresh <b>exp</b>")
    assert page.locator("h1 b").count() == 0

    _open(page, base_url, "#/")
    page.get_by_role("button", name="Rename fresh <b>exp</b>").click()
    page.get_by_label("New name").fill("renamed-exp")
    page.get_by_role("button", name="Rename", exact=True).click()
    link = table.get_by_role("link", name="renamed-exp", exact=True)
    link.wait_for()

    page.get_by_role("button", name="Delete renamed-exp").click()
    page.locator("dialog").get_by_role("button", name="Delete").click()
    link.wait_for(state="detached")

    page.get_by_label("Which experiments to show").select_option("DELETED_ONLY")
    table.get_by_role("link", name="renamed-exp", exact=True).wait_for()
    page.get_by_role("button", name="Restore").click()
    page.get_by_label("Which experiments to show").select_option("ACTIVE_ONLY")
    table.get_by_role("link", name="renamed-exp", exact=True).wait_for()


def test_a_pending_search_does_not_rewrite_the_next_pages_url(page: Any, ui_server: Server) -> None:
    base_url, seeded = ui_server
    _open(page, base_url, "#/")
    expect(page.get_by_role("link", name="vision", exact=True)).to_be_visible()
    page.get_by_label("Search experiments by name").fill("vis")  # searches after 200 ms
    page.evaluate(f"location.hash = '#/experiments/{seeded.experiment_id}'")
    # Absence of a late effect can only be shown by waiting past it: the 200 ms debounce.
    page.wait_for_timeout(800)
    assert page.evaluate("location.hash") == f"#/experiments/{seeded.experiment_id}"


def _wait_hash(page: Any, text: str) -> None:
    """Views keep their state in the URL with replaceState (no navigation to wait for)."""
    page.wait_for_function("(text) => location.hash.includes(text)", arg=text)


def _wait_rows(page: Any) -> None:
    """Until the table shows freshly loaded rows and no placeholder."""
    page.wait_for_function(
        "() => document.querySelector('.runs-table[aria-busy]') === null"
        " && document.querySelector('.runs-table tbody tr[data-run-id]') !== null"
        " && document.querySelector('.runs-table tbody tr.placeholder') === null"
    )


def _names(page: Any, top_level: bool = False) -> list[str]:
    rows = "tr[data-depth='0']" if top_level else "tr[data-run-id]"
    return page.locator(f".runs-table tbody {rows} .run-name a").all_inner_texts()


def test_runs_table_nested_sort_filter_columns(page: Any, ui_server: Server, shot: Any) -> None:
    base_url, seeded = ui_server
    _open(page, base_url, f"#/experiments/{seeded.experiment_id}")
    page.get_by_text("7 runs").wait_for()
    page.locator(".runs-table tbody tr[data-run-id]").first.wait_for()
    # Children start collapsed under their parent.
    assert "trial-0" not in _names(page)
    assert "sweep" in _names(page)
    page.get_by_role("button", name="Expand 4 child runs").click()
    page.get_by_role("link", name="trial-0").wait_for()
    assert len(_names(page)) == 7
    # Status, user, source and commit are shown.
    row = page.locator(".runs-table tr", has=page.get_by_role("link", name="trial-2"))
    text = row.inner_text()
    for expected in ("failed", "ada", "train.py", "01234567"):
        assert expected in text
    shot(page, "runs-nested")

    # Sort by clicking the Run header: server-side, and the URL keeps it.
    page.locator("th[data-column='name'] button").click()
    _wait_hash(page, "o=attributes.run_name+ASC")
    _wait_rows(page)
    assert page.locator("th[data-column='name']").get_attribute("aria-sort") == "ascending"
    ascending = _names(page, top_level=True)
    assert ascending == sorted(ascending)
    page.locator("th[data-column='name'] button").click()
    _wait_hash(page, "o=attributes.run_name+DESC")
    _wait_rows(page)
    assert page.locator("th[data-column='name']").get_attribute("aria-sort") == "descending"
    descending = _names(page, top_level=True)
    assert descending == sorted(descending, reverse=True)
    assert descending != ascending

    # Filter with the search language; the total follows.
    box = page.get_by_label("Filter runs (search language)")
    box.fill("metrics.accuracy > 0.7")
    box.press("Enter")
    page.get_by_text("2 runs", exact=True).wait_for()
    assert sorted(_names(page)) == ["trial-2", "trial-3"]

    # A malformed filter: the server's message and its position, inline.
    box.fill("metrics.accuracy > ")
    box.press("Enter")
    error = page.locator("#filter-error")
    error.wait_for()
    assert "position" in error.inner_text()
    assert page.locator(".filter-caret .caret").count() == 1
    assert box.get_attribute("aria-invalid") == "true"
    shot(page, "runs-filter-error")
    box.fill("")
    box.press("Enter")
    page.get_by_text("7 runs").wait_for()
    page.get_by_role("button", name="Refresh").click()
    _wait_rows(page)
    page.get_by_text("7 runs").wait_for()

    # Column chooser: add the tag "team".
    page.get_by_role("button", name="Columns").click()
    page.locator("dialog label", has_text="team").locator("input").check()
    page.locator("dialog").get_by_role("button", name="Apply").click()
    page.locator("th[data-column='t.team']").wait_for()
    assert "t.team" in page.url

    # The URL holds the view: reloading it shows the same columns and sort.
    page.reload()
    page.locator("th[data-column='t.team']").wait_for()
    assert page.locator("th[data-column='status']").count() == 1
    assert "o=" in page.url


def test_every_run_of_a_large_experiment_is_reachable(
    page: Any, ui_server: Server, shot: Any
) -> None:
    base_url, seeded = ui_server
    n = seeded.many_runs
    _open(page, base_url, f"#/experiments/{seeded.many_experiment_id}?o=attributes.run_name%20ASC")
    page.get_by_text(f"{n:,} runs").wait_for()
    # Only the rows in view are in the document.
    assert page.locator(".runs-table tbody tr[data-run-id]").count() < 120
    scroller = page.locator(".grid-scroll")
    scroller.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    last = f"m-{n - 1:05d}"
    page.get_by_role("link", name=last, exact=True).wait_for()
    shot(page, "runs-scrolled-to-end")


def test_run_page_overview_tags_datasets_and_user_text_as_text(
    page: Any, ui_server: Server, shot: Any
) -> None:
    base_url, seeded = ui_server
    _open(page, base_url, f"#/run/{seeded.xss_run_id}")
    expect(page.locator("h1.run-title")).to_have_text(XSS_NAME)
    page.get_by_text(XSS_PARAM, exact=True).wait_for()
    # The description is Markdown rendered to elements, the payloads stay text.
    description = page.locator(".description .markdown")
    expect(description.locator("strong")).to_have_text("bold")
    assert description.locator("a").get_attribute("href") == "https://example.org"
    assert "javascript:window.__xss=4" in description.inner_text()
    assert "<script>window.__xss=6</script>" in description.locator("pre").inner_text()
    _no_injection(page)
    shot(page, "run-overview")

    # The tags tab is the shared tags card of the registry pages.
    page.get_by_role("tab", name="Tags").click()
    tags = page.locator(".tab-panel .tags-card")
    tags.get_by_text(XSS_TAG, exact=True).wait_for()
    key = page.get_by_label("Tag key")
    key.fill("bad*key")
    page.get_by_role("button", name="Set tag").click()
    expect(tags.locator(".form-error")).to_contain_text("'bad*key' has characters outside")
    expect(key).to_have_attribute("aria-invalid", "true")
    key.fill("stage")
    page.get_by_label("Tag value").fill("<i>prod</i>")
    page.get_by_role("button", name="Set tag").click()
    tags.get_by_text("<i>prod</i>", exact=True).wait_for()
    expect(tags.locator(".form-error")).to_have_text("")
    page.get_by_role("button", name="Delete tag stage").click()
    page.locator("dialog").get_by_role("button", name="Delete").click()
    tags.get_by_text("<i>prod</i>", exact=True).wait_for(state="detached")
    _no_injection(page)

    page.get_by_role("tab", name="Datasets").click()
    page.get_by_role("heading", name="mnist training").wait_for()
    assert "abc123" in page.locator(".tab-panel").inner_text()

    # Editing the description: new text shows rendered.
    page.get_by_role("tab", name="Overview").click()
    page.locator(".description").get_by_role("button", name="Edit").click()
    page.get_by_label("Description (Markdown)").fill(
        "Updated *note* <script>window.__xss=9</script>"
    )
    page.get_by_role("button", name="Save").click()
    page.locator(".description em").wait_for()
    assert "<script>window.__xss=9</script>" in page.locator(".description").inner_text()
    _no_injection(page)


def test_runs_table_shows_hostile_names_as_text(page: Any, ui_server: Server) -> None:
    base_url, seeded = ui_server
    _open(page, base_url, f"#/experiments/{seeded.experiment_id}?c=p.payload,t.evil")
    page.get_by_role("link", name=XSS_NAME).wait_for()
    page.get_by_text(XSS_PARAM, exact=True).wait_for()
    page.get_by_text(XSS_TAG, exact=True).wait_for()
    _no_injection(page)


def test_artifacts_browser_previews(page: Any, ui_server: Server, shot: Any) -> None:
    base_url, seeded = ui_server
    _open(page, base_url, f"#/run/{seeded.xss_run_id}?tab=artifacts")
    tree = page.get_by_role("tree", name="Artifacts")
    preview = page.locator(".artifact-preview")

    tree.get_by_role("button", name="config.json").click()
    preview.locator("pre").wait_for()
    assert '"layers"' in preview.locator("pre").inner_text()

    tree.get_by_role("button", name="params.yaml").click()
    preview.get_by_text("layers: 3").wait_for()

    tree.get_by_role("button", name="data").click()
    tree.get_by_role("button", name="table.csv").click()
    preview.locator("table").wait_for()
    assert preview.locator("th").all_inner_texts() == ["a", "b", "name"]
    assert "quoted, comma" in preview.locator("tbody").inner_text()
    assert preview.locator("td b").count() == 0

    tree.get_by_role("button", name="images").click()
    tree.get_by_role("button", name="sample.png").click()
    image = preview.locator("img.preview-image")
    image.wait_for()
    page.wait_for_function(
        "() => (document.querySelector('img.preview-image')?.naturalWidth ?? 0) > 0"
    )
    assert preview.get_by_role("link", name="Download").get_attribute("href")

    tree.get_by_role("button", name="report.html").click()
    frame = preview.locator("iframe.preview-html")
    frame.wait_for()
    assert frame.get_attribute("sandbox") == ""
    page.frame_locator("iframe.preview-html").get_by_text("hello html").wait_for()
    _no_injection(page)
    shot(page, "run-artifacts")


def test_charts_draw_downsampled_series_and_options(
    page: Any, ui_server: Server, shot: Any
) -> None:
    base_url, seeded = ui_server
    _open(page, base_url, f"#/run/{seeded.long_run_id}?tab=charts")
    chart = page.locator("figure.chart[data-key='loss']")
    status = chart.locator(".chart-status")
    page.wait_for_function(
        "() => /points shown/.test(document.querySelector('.chart-status')?.textContent ?? '')"
    )
    shown = int(re.sub(r"\D", "", status.inner_text().split("points")[0]))
    assert 0 < shown < 20_000
    assert chart.locator("canvas").count() == 1
    shot(page, "chart-step")

    page.get_by_label("X axis").select_option("relative")
    page.get_by_label("Logarithmic y axis").check()
    page.wait_for_function(
        "() => /points shown/.test(document.querySelector('.chart-status')?.textContent ?? '')"
    )
    assert chart.locator("canvas").count() == 1
    # Drag to zoom, then reset.
    box = chart.locator(".u-over").bounding_box()
    page.mouse.move(box["x"] + 40, box["y"] + 50)
    page.mouse.down()
    page.mouse.move(box["x"] + 160, box["y"] + 50)
    page.mouse.up()
    chart.get_by_role("button", name="Reset zoom").click()
    shot(page, "chart-relative-log")

    # The run is RUNNING: a point logged now shows up without a reload.
    before = status.inner_text()
    answer = httpx.post(
        f"{base_url}/api/2.0/mlflow/runs/log-metric",
        json={
            "run_id": seeded.long_run_id,
            "key": "loss",
            "value": 80.0,
            "timestamp": 1_700_001_400_000,
            "step": 20_000,
        },
    )
    assert answer.status_code == 200
    page.wait_for_function(
        "() => /latest 80$/.test(document.querySelector('.chart-status')?.textContent ?? '')",
        timeout=20_000,
    )
    assert status.inner_text() != before


def test_compare_selected_runs(page: Any, ui_server: Server, shot: Any) -> None:
    base_url, seeded = ui_server
    _open(page, base_url, f"#/experiments/{seeded.experiment_id}")
    page.get_by_role("button", name="Expand 4 child runs").click()
    for name in ("trial-0", "trial-1", "trial-2"):
        page.get_by_label(f"Select run {name}").check()
    page.get_by_role("button", name="Compare 3").click()
    page.wait_for_url(re.compile(r"#/compare-runs\?runs="))
    page.get_by_role("heading", name="Comparing 3 runs").wait_for()
    params = page.locator(".params-compare")
    params.locator("tr.differs").first.wait_for()  # the table fills in after the heading
    differing = params.locator("tr.differs th").all_inner_texts()
    assert any(t.startswith("lr") for t in differing)
    assert any(t.startswith("model") for t in differing)
    assert not any(t.startswith("epochs") for t in differing)
    page.get_by_label("Only differing").check()
    expect(params).not_to_contain_text("epochs")
    expect(page.locator("svg.scatter circle")).to_have_count(3)
    expect(page.locator("svg.parcoords polyline")).to_have_count(3)
    page.locator("figure.chart canvas").first.wait_for()
    shot(page, "compare")


def test_theme_toggle_and_keyboard_tabs(page: Any, ui_server: Server, shot: Any) -> None:
    base_url, seeded = ui_server
    page.emulate_media(color_scheme="light")
    _open(page, base_url, f"#/run/{seeded.parent_id}")
    page.locator("h1.run-title").wait_for()
    page.get_by_role("button", name="Toggle dark theme").click()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    page.get_by_role("tab", name="Overview").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Charts")).to_have_attribute("aria-selected", "true")
    assert page.url.endswith("/model-metrics")
    # Child runs are listed on the parent's page.
    page.get_by_role("tab", name="Overview").click()
    page.get_by_role("link", name="trial-3").wait_for()
    shot(page, "run-parent-dark")


MARKDOWN_CASES = [
    ("**bold** and `code`", "<p><strong>bold</strong> and <code>code</code></p>"),
    ("# Title", "<h3>Title</h3>"),
    ("<b>x</b>", "<p>&lt;b&gt;x&lt;/b&gt;</p>"),
    ("[ok](https://a.example/x)", '<p><a href="https://a.example/x"'),
    ("[no](javascript:alert(1))", "<p>[no](javascript:alert(1))</p>"),
    ("[no](JaVaScRiPt:alert(1))", "<p>[no](JaVaScRiPt:alert(1))</p>"),
    ("[no](//evil.example)", "<p>[no](//evil.example)</p>"),
    ("[no](data:text/html,x)", "<p>[no](data:text/html,x)</p>"),
    ("*<img src=x onerror=alert(1)>*", "<p><em>&lt;img src=x onerror=alert(1)&gt;</em></p>"),
    ("- a\n- <i>b</i>", "<ul><li>a</li><li>&lt;i&gt;b&lt;/i&gt;</li></ul>"),
    ("```\n<script>x</script>\n```", "<pre><code>&lt;script&gt;x&lt;/script&gt;</code></pre>"),
]


def test_markdown_renderer_builds_only_safe_elements(page: Any, ui_server: Server) -> None:
    base_url, _ = ui_server
    _open(page, base_url, "#/")
    page.locator("h1").wait_for()
    rendered = page.evaluate(
        """async (sources) => {
            const { renderMarkdown } = await import("./js/markdown.js");
            return sources.map((s) => renderMarkdown(s).innerHTML);
        }""",
        [source for source, _ in MARKDOWN_CASES],
    )
    for (source, expected), html in zip(MARKDOWN_CASES, rendered, strict=True):
        assert html.startswith(expected), (source, html)
    _no_injection(page)


def _asked(page: Any, fragment: str) -> int:
    """How many requests the page made whose URL contains ``fragment``."""
    return int(
        page.evaluate(
            "(f) => performance.getEntriesByType('resource')"
            ".filter((e) => e.name.includes(f)).length",
            fragment,
        )
    )


def test_first_data_requests_start_early_and_run_once(page: Any, ui_server: Server) -> None:
    """prefetch.js starts each page's first requests while the modules load; the views
    take those answers instead of asking again, so each request reaches the server once."""
    base_url, seeded = ui_server
    order = "metrics.`accuracy` DESC"
    _open(page, base_url, f"#/experiments/{seeded.experiment_id}?q=params.lr != '9'&o={order}")
    page.locator(".runs-table tbody tr[data-run-id]").first.wait_for()
    page.wait_for_function("() => /\\d runs?/.test(document.querySelector('.total').textContent)")
    expect(page.locator("h1")).to_have_text("vision")
    first = page.locator(".runs-table tbody tr[data-run-id] .run-name a").first
    expect(first).to_have_text("trial-3")  # the filter and the sort were applied
    assert _asked(page, "/runs/search") == 1
    assert _asked(page, "/runs/count") == 1
    assert _asked(page, "/experiments/get") == 1
    assert page.evaluate("window.runlabPrefetched.taken") == 3

    _open(page, base_url, f"#/run/{seeded.long_run_id}?tab=charts")
    page.reload()  # a first load of this address, as from a bookmark
    page.wait_for_function(
        "() => /points shown/.test(document.querySelector('.chart-status')?.textContent ?? '')"
    )
    expect(page.locator(".crumbs a").nth(1)).to_have_text("vision")
    assert _asked(page, "/runs/get") == 1
    assert _asked(page, "/experiments/get") == 1
    assert _asked(page, "/metrics/downsampled") == 1
    assert page.evaluate("window.runlabPrefetched.taken") >= 2  # the run and its chart

    runs = ",".join(seeded.child_ids)
    _open(page, base_url, f"#/compare?runs={runs}&e={seeded.experiment_id}")
    page.reload()
    page.locator(".params-compare tbody tr th").first.wait_for()
    assert _asked(page, "/runs/search") == 1
    assert _asked(page, "/runs/get") == 0
    assert page.evaluate("window.runlabPrefetched.taken") == 1


def test_runs_toolbar_select_all_escape_and_view(page: Any, ui_server: Server) -> None:
    """The head's select-all box, Escape in the filter box and the view select, each wired
    across the runs view's modules (table, toolbar, state)."""
    base_url, seeded = ui_server
    _open(page, base_url, f"#/experiments/{seeded.experiment_id}?q=params.lr = 'none'")
    page.get_by_text("No run matches this filter.").wait_for()
    box = page.get_by_label("Filter runs (search language)")
    box.press("Escape")
    page.get_by_text("7 runs").wait_for()
    assert "q=" not in page.url
    page.get_by_label("Select all loaded runs").check()
    compare = page.get_by_role("button", name=re.compile(r"^Compare \d"))
    expect(compare).to_have_text("Compare 7")  # every loaded run, children included
    assert page.locator(".runs-table tbody tr.selected").count() == 3  # children tucked away
    assert page.get_by_label("Select all loaded runs").is_checked()
    page.get_by_label("Which runs to show").select_option("DELETED_ONLY")
    page.wait_for_url(re.compile(r"view=DELETED_ONLY"))
    expect(page.locator(".total")).to_have_text(re.compile(r"^\d+ runs?$"))
