"""The model registry pages in headless Chromium against a live server: the models list
(search, sort, paging, create), a model (description, tags, aliases, versions, rename,
delete), a version (stage transitions and their history, tags, description, the run it
came from) and the run page's link back to its versions. The data is made through the
REST API, as a training script would."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import expect
from tests._servers import start_runlab_server

pytestmark = pytest.mark.slow

MODEL = "fraud-detector"
CHURN = "churn"
XSS_MODEL = '<img src=x onerror="window.__xss=11">model'
# Markdown descriptions use window.xss: "__" would read as emphasis and split the text.
XSS_DESCRIPTION = (
    "**Hostile** notes <script>window.xss=12</script> and "
    '[bad](javascript:window.xss=13) and <img src=x onerror="window.xss=14">'
)
XSS_TAG = '"><svg onload="window.__xss=15">'
XSS_VERSION_DESCRIPTION = '<iframe src="javascript:window.xss=16"></iframe> *v1*'
BULK = 11  # with 10 models a page, the list has a second page


@dataclass
class Registry:
    base_url: str
    run_ids: dict[str, str] = field(default_factory=dict)

    def api(self, method: str, path: str, **kw: Any) -> Any:
        answer = httpx.request(method, f"{self.base_url}/api/2.0/mlflow/{path}", timeout=60, **kw)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def version(self, name: str, version: int) -> dict[str, Any]:
        found = self.api("GET", "model-versions/get", params={"name": name, "version": version})
        return found["model_version"]  # type: ignore[no-any-return]

    def model(self, name: str) -> dict[str, Any]:
        return self.api("GET", "registered-models/get", params={"name": name})["registered_model"]  # type: ignore[no-any-return]

    def register(self, name: str, run: str, description: str | None = None) -> str:
        run_id = self.run_ids[run]
        body = {"name": name, "source": f"runs:/{run_id}/model", "run_id": run_id}
        if description:
            body["description"] = description
        return self.api("POST", "model-versions/create", json=body)["model_version"]["version"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    root = tmp_path_factory.mktemp("registry-ui")
    with start_runlab_server(root, "--backend-store-uri", str(root / "store")) as (url, _p):
        reg = Registry(url)
        experiment = reg.api("POST", "experiments/create", json={"name": "fraud"})["experiment_id"]
        for run_name in ("train-a", "train-b", "train-c", "train-d"):
            run = reg.api(
                "POST", "runs/create", json={"experiment_id": experiment, "run_name": run_name}
            )
            reg.run_ids[run_name] = run["run"]["info"]["run_id"]

        reg.api(
            "POST",
            "registered-models/create",
            json={
                "name": MODEL,
                "description": "Scores **card payments**.\n\nSecond paragraph.",
                "tags": [{"key": "team", "value": "risk"}],
            },
        )
        reg.register(MODEL, "train-a", description="first *try*")
        reg.register(MODEL, "train-b")
        reg.api(
            "POST",
            "registered-models/alias",
            json={"name": MODEL, "alias": "champion", "version": "2"},
        )
        reg.api(
            "POST",
            "model-versions/transition-stage",
            json={"name": MODEL, "version": "1", "stage": "Production"},
        )

        reg.api("POST", "registered-models/create", json={"name": CHURN})
        reg.register(CHURN, "train-c")
        reg.register(CHURN, "train-d")
        reg.api(
            "POST",
            "model-versions/transition-stage",
            json={"name": CHURN, "version": "1", "stage": "Production"},
        )

        reg.api(
            "POST",
            "registered-models/create",
            json={
                "name": XSS_MODEL,
                "description": XSS_DESCRIPTION,
                "tags": [{"key": "evil", "value": XSS_TAG}],
            },
        )
        reg.register(XSS_MODEL, "train-a", description=XSS_VERSION_DESCRIPTION)
        reg.api(
            "POST",
            "model-versions/set-tag",
            json={"name": XSS_MODEL, "version": "1", "key": "evil", "value": XSS_TAG},
        )
        for i in range(BULK):
            reg.api("POST", "registered-models/create", json={"name": f"bulk-{i:02d}"})
        yield reg


def _open(page: Any, base_url: str, hash_: str) -> None:
    page.goto(f"{base_url}/{hash_}")


def _model_hash(name: str) -> str:
    return "#/models/" + quote(name, safe="")


def _no_injection(page: Any) -> None:
    """None of the payloads ran or became an element."""
    assert page.evaluate("window.__xss") is None
    assert page.evaluate("window.xss") is None
    assert page.locator("main img[src='x']").count() == 0
    assert page.locator("main svg[onload]").count() == 0
    assert page.locator("main script").count() == 0
    assert page.locator("main iframe").count() == 0
    assert page.locator("main a[href^='javascript']").count() == 0


def _rows(page: Any, table: str) -> Any:
    return page.locator(f"{table} tbody tr")


def test_models_list_search_sort_paging_and_create(
    page: Any, registry: Registry, shot: Any
) -> None:
    _open(page, registry.base_url, "#/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Models").click()
    page.wait_for_url(re.compile(r"#/models"))
    expect(page.get_by_role("link", name="Models")).to_have_attribute("aria-current", "page")
    row = page.locator(".models-table tr[data-model='fraud-detector']")
    expect(row).to_be_visible()
    # Latest version per stage, the alias and the description's first line.
    expect(row.locator(".latest-versions")).to_contain_text("Version 2")
    expect(row.locator(".latest-versions")).to_contain_text("Version 1")
    expect(row.locator(".latest-versions .stage-production")).to_have_text("Production")
    expect(row.locator(".aliases")).to_have_text("@champion v2")
    # The description's first line, as the reader sees it.
    expect(row.locator(".description-snippet")).to_have_text("Scores card payments.")
    expect(page.get_by_role("button", name="First page")).to_be_hidden()
    shot(page, "models-list")

    # Search by name (ILIKE on the server); the URL keeps it.
    page.get_by_label("Search models by name").fill("FRAUD")
    expect(page.locator(".models-table tbody tr")).to_have_count(1)
    page.wait_for_function("() => location.hash.includes('q=FRAUD')")
    page.get_by_label("Search models by name").fill("")
    expect(page.locator(".models-table tr[data-model='bulk-00']")).to_be_visible()

    # Ten a page: the first page, the next, back again.
    page.get_by_label("Models per page").select_option("10")
    expect(_rows(page, ".models-table")).to_have_count(10)
    first_page = page.locator(".models-table .model-link").all_inner_texts()
    assert first_page == sorted(first_page)
    page.get_by_role("button", name="Next").click()
    page.get_by_text("Page 2").wait_for()
    page.wait_for_function("() => location.hash.includes('page=')")
    second_page = page.locator(".models-table .model-link").all_inner_texts()
    assert second_page
    assert not set(second_page) & set(first_page)
    assert second_page[0] > first_page[-1]
    page.get_by_role("button", name="Previous").click()
    page.get_by_text("Page 1").wait_for()
    expect(page.locator(".models-table .model-link").first).to_have_text(first_page[0])
    # The URL holds the page: reloaded, the second page again, and a way back to the first.
    page.get_by_role("button", name="Next").click()
    page.get_by_text("Page 2").wait_for()
    page.reload()
    expect(page.locator(".models-table .model-link").first).to_have_text(second_page[0])
    page.get_by_role("button", name="First page").click()
    expect(page.locator(".models-table .model-link").first).to_have_text(first_page[0])
    expect(page.get_by_label("Models per page")).to_have_value("10")

    # Sort by name, reversed.
    page.locator("th[data-column='name'] button").click()
    expect(page.locator("th[data-column='name']")).to_have_attribute("aria-sort", "descending")
    page.wait_for_function("() => location.hash.includes('o=name+DESC')")
    expect(page.locator(".models-table .model-link").first).to_have_text(MODEL)

    # Create a model: the dialog, then its page.
    page.get_by_role("button", name="New model").click()
    dialog = page.locator("dialog")
    dialog.get_by_label("Name", exact=True).fill("made-in-ui")
    dialog.get_by_label("Description (optional)").fill("from the *UI*")
    dialog.get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(r"#/models/made-in-ui$"))
    expect(page.locator("h1.model-title")).to_have_text("made-in-ui")
    expect(page.locator(".description .markdown em")).to_have_text("UI")
    assert registry.model("made-in-ui")["description"] == "from the *UI*"


def test_model_page_versions_aliases_tags_description(
    page: Any, registry: Registry, shot: Any
) -> None:
    _open(page, registry.base_url, _model_hash(MODEL))
    expect(page.locator("h1.model-title")).to_have_text(MODEL)
    expect(page.locator(".description .markdown strong")).to_have_text("card payments")
    versions = page.locator(".versions-table tbody tr")
    expect(versions).to_have_count(2)
    newest = page.locator(".versions-table tr[data-version='2']")
    oldest = page.locator(".versions-table tr[data-version='1']")
    expect(newest.locator(".stage")).to_have_text("None")
    expect(oldest.locator(".stage")).to_have_text("Production")
    expect(newest).to_contain_text("@champion")
    expect(newest.locator(".status")).to_have_text("ready")
    # The source run shows by name once read, and links to the run page.
    expect(newest.get_by_role("link", name="train-b")).to_have_attribute(
        "href", f"#/run/{registry.run_ids['train-b']}"
    )
    expect(oldest.get_by_role("link", name="train-a")).to_be_visible()
    expect(oldest.locator(".description-snippet")).to_have_text("first try")
    expect(page.locator(".aliases-table tr[data-alias='champion']")).to_contain_text("Version 2")
    shot(page, "model-page")

    # A reserved alias: the server's message, inline, next to the field.
    alias = page.get_by_label("Alias name")
    alias.fill("latest")
    page.get_by_label("Version for the alias").select_option("1")
    page.get_by_role("button", name="Set alias").click()
    error = page.locator("#alias-error")
    expect(error).to_contain_text("reserved")
    expect(alias).to_have_attribute("aria-invalid", "true")
    shot(page, "model-alias-error")

    # Set an alias on version 1, then delete it.
    alias.fill("challenger")
    page.get_by_role("button", name="Set alias").click()
    challenger = page.locator(".aliases-table tr[data-alias='challenger']")
    expect(challenger).to_contain_text("Version 1")
    expect(error).to_be_empty()
    expect(oldest).to_contain_text("@challenger")
    assert "challenger" in registry.version(MODEL, 1)["aliases"]
    page.get_by_role("button", name="Delete alias challenger").click()
    page.locator("dialog").get_by_role("button", name="Delete").click()
    expect(challenger).to_have_count(0)
    assert "challenger" not in registry.version(MODEL, 1)["aliases"]

    # Tags: the one made with the model, a new one.
    tags = page.locator(".tags-card")
    expect(tags.locator("tr", has_text="team")).to_contain_text("risk")
    page.get_by_label("Tag key").fill("owner")
    page.get_by_label("Tag value").fill("<b>ada</b>")
    page.get_by_role("button", name="Set tag").click()
    tags.get_by_text("<b>ada</b>", exact=True).wait_for()
    assert {"key": "owner", "value": "<b>ada</b>"} in registry.model(MODEL)["tags"]
    page.get_by_role("button", name="Delete tag owner").click()
    page.locator("dialog").get_by_role("button", name="Delete").click()
    tags.get_by_text("<b>ada</b>", exact=True).wait_for(state="detached")

    # Description: edit, saved on the server, rendered.
    page.locator(".description").get_by_role("button", name="Edit").click()
    box = page.get_by_label("Description (Markdown)")
    expect(box).to_have_value("Scores **card payments**.\n\nSecond paragraph.")
    box.fill("Scores **card payments** and _refunds_.")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".description .markdown em")).to_have_text("refunds")
    assert registry.model(MODEL)["description"] == "Scores **card payments** and _refunds_."
    _no_injection(page)


def test_version_page_transition_history_and_lineage(
    page: Any, registry: Registry, shot: Any
) -> None:
    run_id = registry.run_ids["train-d"]
    _open(page, registry.base_url, f"{_model_hash(CHURN)}/versions/2")
    expect(page.locator("h1.version-title")).to_have_text(f"{CHURN} version 2")
    details = page.locator(".details")
    expect(details).to_contain_text(f"runs:/{run_id}/model")
    expect(page.locator(".page-head .stage")).to_have_text("None")
    expect(page.locator(".history-table")).to_contain_text("No transitions yet.")

    # Version -> its run -> back to the version, through the run page's lineage.
    details.get_by_role("link", name="train-d").click()
    page.wait_for_url(re.compile(rf"/runs/{run_id}$"))
    lineage = page.locator(".registered-versions")
    lineage.get_by_role("link", name=f"{CHURN} version 2").click()
    page.wait_for_url(re.compile(r"#/models/churn/versions/2$"))
    expect(page.locator("h1.version-title")).to_have_text(f"{CHURN} version 2")

    # Move to Staging: the badge, the history and the server agree.
    page.get_by_label("New stage").select_option("Staging")
    expect(page.get_by_label("Archive the other versions in that stage")).to_be_enabled()
    page.get_by_role("button", name="Transition").click()
    expect(page.locator(".page-head .stage")).to_have_text("Staging")
    history = page.locator(".history-table tbody tr")
    expect(history).to_have_count(1)
    expect(history.first.locator(".stage")).to_have_text(["None", "Staging"])
    assert registry.version(CHURN, 2)["current_stage"] == "Staging"

    # Then to Production, archiving the version already there.
    page.get_by_label("New stage").select_option("Production")
    page.get_by_label("Archive the other versions in that stage").check()
    page.get_by_role("button", name="Transition").click()
    expect(page.locator(".page-head .stage")).to_have_text("Production")
    expect(history).to_have_count(2)
    expect(history.first.locator(".stage")).to_have_text(["Staging", "Production"])
    assert registry.version(CHURN, 2)["current_stage"] == "Production"
    assert registry.version(CHURN, 1)["current_stage"] == "Archived"
    # Archived and None hold many versions: archiving the others means nothing there.
    page.get_by_label("New stage").select_option("Archived")
    expect(page.get_by_label("Archive the other versions in that stage")).to_be_disabled()
    shot(page, "version-page")

    # Tags and description of the version.
    page.get_by_label("Tag key").fill("validated")
    page.get_by_label("Tag value").fill("yes")
    page.get_by_role("button", name="Set tag").click()
    page.locator(".tags-card").get_by_text("validated", exact=True).wait_for()
    assert {"key": "validated", "value": "yes"} in registry.version(CHURN, 2)["tags"]
    page.locator(".description").get_by_role("button", name="Add").click()
    page.get_by_label("Description (Markdown)").fill("Retrained on **May** data")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".description .markdown strong")).to_have_text("May")
    assert registry.version(CHURN, 2)["description"] == "Retrained on **May** data"

    # The model page shows the stages the transitions left.
    page.locator(".crumbs").get_by_role("link", name=CHURN).click()
    expect(page.locator(".versions-table tr[data-version='1'] .stage")).to_have_text("Archived")
    expect(page.locator(".versions-table tr[data-version='2'] .stage")).to_have_text("Production")


def test_rename_and_delete_a_model(page: Any, registry: Registry) -> None:
    registry.api("POST", "registered-models/create", json={"name": "temp-model"})
    registry.register("temp-model", "train-a")
    _open(page, registry.base_url, _model_hash("temp-model"))
    expect(page.locator("h1.model-title")).to_have_text("temp-model")
    page.get_by_role("button", name="Rename").click()
    page.get_by_label("New name").fill("temp renamed")
    page.locator("dialog").get_by_role("button", name="Rename").click()
    page.wait_for_url(re.compile(r"#/models/temp%20renamed$"))
    expect(page.locator("h1.model-title")).to_have_text("temp renamed")
    expect(page.locator(".versions-table tbody tr")).to_have_count(1)

    page.get_by_role("button", name="Delete", exact=True).click()
    dialog = page.locator("dialog")
    expect(dialog).to_contain_text("Delete model “temp renamed” and its 1 version?")
    dialog.get_by_role("button", name="Delete").click()
    page.wait_for_url(re.compile(r"#/models$"))
    missing = httpx.get(
        f"{registry.base_url}/api/2.0/mlflow/registered-models/get",
        params={"name": "temp renamed"},
    )
    assert missing.status_code == 404


def test_registry_pages_show_user_text_as_text(page: Any, registry: Registry, shot: Any) -> None:
    _open(page, registry.base_url, "#/models?q=model")
    link = page.locator(".models-table .model-link", has_text="window.__xss=11")
    expect(link).to_have_text(XSS_MODEL)
    link.click()
    expect(page.locator("h1.model-title")).to_have_text(XSS_MODEL)
    description = page.locator(".description .markdown")
    expect(description.locator("strong")).to_have_text("Hostile")
    expect(description).to_contain_text("<script>window.xss=12</script>")
    expect(description).to_contain_text("[bad](javascript:window.xss=13)")
    page.locator(".tags-card").get_by_text(XSS_TAG, exact=True).wait_for()
    expect(page.locator(".versions-table tr[data-version='1'] .description-snippet")).to_have_text(
        '<iframe src="javascript:window.xss=16"></iframe> v1'
    )
    _no_injection(page)
    shot(page, "model-hostile-text")

    page.locator(".versions-table").get_by_role("link", name="Version 1").click()
    expect(page.locator("h1.version-title")).to_have_text(f"{XSS_MODEL} version 1")
    expect(page.locator(".description .markdown")).to_contain_text(
        '<iframe src="javascript:window.xss=16"></iframe>'
    )
    expect(page.locator(".description .markdown em")).to_have_text("v1")
    page.locator(".tags-card").get_by_text(XSS_TAG, exact=True).wait_for()
    _no_injection(page)

    # Typed in the UI: a hostile description of the version.
    page.locator(".description").get_by_role("button", name="Edit").click()
    page.get_by_label("Description (Markdown)").fill('<img src=x onerror="window.xss=17">')
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".description .markdown")).to_have_text(
        '<img src=x onerror="window.xss=17">'
    )
    _no_injection(page)


def test_unknown_model_says_so(page: Any, registry: Registry) -> None:
    _open(page, registry.base_url, _model_hash("no-such-model"))
    expect(page.locator(".error-box")).to_contain_text("no-such-model")
    # A hand-typed "%" that starts no escape is taken literally, not a broken page.
    _open(page, registry.base_url, "#/models/100%zz")
    expect(page.locator(".error-box")).to_contain_text("100%zz")
