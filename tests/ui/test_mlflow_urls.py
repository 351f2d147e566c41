"""MLflow's web UI addresses open the matching runlab page in Chromium, the redirect
leaves the back button on the page before it, and the model version page links to its
run and to its MLflow 3 logged model."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from playwright.sync_api import expect
from tests._servers import start_runlab_server

import runlab


@dataclass
class Site:
    base: str
    experiment: str
    first: str
    second: str
    model_id: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with start_runlab_server(tmp_path_factory.mktemp("mlflow-urls")) as (base, _process):
        client = runlab.RunlabClient(base)
        experiment = client.create_experiment("urls")
        first = client.create_run(experiment, run_name="alpha").info.run_id
        second = client.create_run(experiment, run_name="beta").info.run_id
        for run_id in (first, second):
            client.log_metric(run_id, "loss", 0.5, step=0)
            client.log_metric(run_id, "loss", 0.25, step=1)
        client.log_text(first, "hello from the nested file", "deep/inner/notes.txt")
        api = f"{base}/api/2.0/mlflow"
        made = httpx.post(
            f"{api}/logged-models",
            json={"experiment_id": experiment, "name": "clf", "source_run_id": first},
            timeout=30,
        )
        made.raise_for_status()
        model_id = made.json()["model"]["info"]["model_id"]
        client.create_registered_model("iris")
        client.create_model_version("iris", f"models:/{model_id}", model_id=model_id)
        yield Site(base, experiment, first, second, model_id)


def _open(page: Any, site: Site, fragment: str) -> None:
    page.goto(f"{site.base}/#/")
    expect(page.locator("h1")).to_be_visible()
    page.goto(f"{site.base}/#{fragment}")


def _back_is_the_start(page: Any, site: Site) -> None:
    page.go_back()
    page.wait_for_url(re.compile(r"#/$"))


def test_experiment_and_run_urls_are_runlabs_own(page: Any, site: Site) -> None:
    _open(page, site, f"/experiments/{site.experiment}")
    expect(page.get_by_role("link", name="alpha")).to_be_visible()
    assert page.url.endswith(f"#/experiments/{site.experiment}")  # no redirect: the page's own
    run_link = page.get_by_role("link", name="alpha")
    expect(run_link).to_have_attribute("href", f"#/experiments/{site.experiment}/runs/{site.first}")
    _back_is_the_start(page, site)

    _open(page, site, f"/experiments/{site.experiment}/runs/{site.first}")
    expect(page.locator("h1.run-title")).to_have_text("alpha")
    assert page.url.endswith(f"#/experiments/{site.experiment}/runs/{site.first}")
    # A tab is a path below the run, under MLflow's name where MLflow has the tab.
    page.locator("#tab-charts").click()
    page.wait_for_url(
        re.compile(rf"#/experiments/{site.experiment}/runs/{site.first}/model-metrics$")
    )
    page.reload()
    expect(page.locator("#tab-charts")).to_have_attribute("aria-selected", "true")
    page.get_by_role("link", name="urls").click()
    page.wait_for_url(re.compile(rf"#/experiments/{site.experiment}$"))
    # MLflow's runs tab of an experiment is the same page.
    _open(page, site, f"/experiments/{site.experiment}/runs")
    page.wait_for_url(re.compile(rf"#/experiments/{site.experiment}$"))
    _back_is_the_start(page, site)


def test_artifact_url_opens_the_file(page: Any, site: Site, shot: Any) -> None:
    address = f"/experiments/{site.experiment}/runs/{site.first}/artifacts/deep/inner/notes.txt"
    _open(page, site, address)
    expect(page.locator("#tab-artifacts")).to_have_attribute("aria-selected", "true")
    expect(page.locator(".artifact-preview")).to_contain_text("hello from the nested file")
    assert page.url.endswith(f"#{address}")
    shot(page, "mlflow-artifact-url")


def test_compare_and_metric_urls(page: Any, site: Site) -> None:
    runs = f'["{site.first}","{site.second}"]'
    _open(page, site, f'/compare-runs?runs={runs}&experiments=["{site.experiment}"]')
    for name in ("alpha", "beta"):
        expect(page.get_by_role("link", name=name).first).to_be_visible()
    assert "#/compare-runs?runs=" in page.url
    _back_is_the_start(page, site)

    # The old chart page, URL-encoded as MLflow wrote it: two runs compare, one charts.
    experiments = json.dumps([site.experiment])
    query = urlencode(
        {"runs": runs, "experiments": experiments, "plot_metric_keys": '["loss"]'}, quote_via=quote
    )
    _open(page, site, f"/metric/loss?{query}")
    page.wait_for_url(re.compile(r"#/compare-runs\?runs="))
    expect(page.get_by_role("link", name="beta").first).to_be_visible()
    one = urlencode({"runs": json.dumps([site.first]), "experiments": experiments}, quote_via=quote)
    _open(page, site, f"/metric/loss?{one}")
    page.wait_for_url(
        re.compile(rf"#/experiments/{site.experiment}/runs/{site.first}/model-metrics$")
    )
    expect(page.locator("#tab-charts")).to_have_attribute("aria-selected", "true")


@pytest.mark.parametrize(
    ("earlier", "now"),
    [
        ("/runs?e={e}&q=params.x = '1'", "/experiments/{e}?q=params.x+%3D+%271%27"),
        ("/run/{first}", "/experiments/{e}/runs/{first}"),
        (
            "/run/{first}?tab=artifacts&path=deep%2Finner%2Fnotes.txt",
            "/experiments/{e}/runs/{first}/artifacts/deep/inner/notes.txt",
        ),
        ("/run/{first}?tab=charts", "/experiments/{e}/runs/{first}/model-metrics"),
        (
            "/compare?runs={first},{second}&e={e}",
            "/compare-runs?runs=%5B%22{first}%22%2C%22{second}%22%5D&experiments=%5B%22{e}%22%5D",
        ),
    ],
)
def test_runlabs_earlier_urls_redirect_in_place(
    page: Any, site: Site, earlier: str, now: str
) -> None:
    names = {"e": site.experiment, "first": site.first, "second": site.second}
    _open(page, site, earlier.format(**names))
    page.wait_for_url(f"{site.base}/#{now.format(**names)}")
    expect(page.locator("main h1, main .run-title").first).to_be_visible()
    _back_is_the_start(page, site)


def test_model_urls_and_version_lineage(page: Any, site: Site, shot: Any) -> None:
    _open(page, site, "/models/iris")
    expect(page.get_by_role("heading", name="iris")).to_be_visible()
    _open(page, site, "/models/iris/versions/1")
    expect(page.locator("h1.version-title")).to_have_text("iris version 1")
    details = page.locator(".details")
    expect(details.get_by_role("link", name="alpha")).to_have_attribute(
        "href", f"#/run/{site.first}"
    )
    logged = details.locator("a.logged-model-link")
    expect(logged).to_have_text(f"clf ({site.model_id})")
    shot(page, "version-lineage")
    logged.click()
    page.wait_for_url(re.compile(rf"#/experiments/{site.experiment}/models/{site.model_id}$"))
    expect(page.locator("h1.logged-model-title")).to_have_text("clf")
    page_details = page.locator(".details")
    expect(page_details.get_by_role("link", name="alpha")).to_be_visible()
    expect(page_details.get_by_role("link", name="iris v1")).to_have_attribute(
        "href", "#/models/iris/versions/1"
    )


def test_logged_model_url_directly(page: Any, site: Site, tmp_path: Path) -> None:
    _open(page, site, f"/experiments/{site.experiment}/models/{site.model_id}")
    expect(page.locator("h1.logged-model-title")).to_have_text("clf")
    expect(page.locator(".details")).to_contain_text(site.model_id)
    expect(page.locator(".crumbs")).to_contain_text("urls")
