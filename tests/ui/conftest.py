"""Browser tests of the web UI: a live ``runlab server`` and headless Chromium.

==================  ======  =============================================================
fixture             scope   value
==================  ======  =============================================================
``browser``         session a Playwright Chromium browser (the system's ``chromium``)
``ui_server``       module  ``(base_url, Seeded)``: a server over a store with test data
``page``            func    a fresh page (own context) that records page errors and fails
                            on dialogs; every wait has a generous default timeout
``shot``            func    ``shot(page, name)`` writes a screenshot under ``tmp_path``
==================  ======  =============================================================

Chromium comes from the operating system (Debian's ``chromium`` package, which
``bash scripts/test`` installs); Playwright's own browser downloads are never used.
``RUNLAB_TEST_CHROMIUM`` points at another binary; ``RUNLAB_UI_SCREENSHOTS`` names a folder
that receives a copy of every screenshot.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests._servers import start_runlab_server
from tests.ui._seed import Seeded, seed

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
INSTALL_HINT = (
    "Chromium was not found (looked for RUNLAB_TEST_CHROMIUM, /usr/bin/chromium and "
    "`chromium` on PATH). Install Debian's `chromium` package (`apt-get install chromium`; "
    "`bash scripts/test` does this when it runs as root)."
)


def find_chromium() -> str | None:
    for candidate in (
        os.environ.get("RUNLAB_TEST_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


# A loaded machine can take many seconds to answer; waits are for specific elements or
# states, with this ceiling, and never fixed sleeps.
WAIT_MS = 60_000

# Read before the isolation fixture removes RUNLAB_* variables.
_CHROMIUM = find_chromium()
_SCREENSHOT_COPY = os.environ.get("RUNLAB_UI_SCREENSHOTS")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if _CHROMIUM is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=_CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Seeded]]:
    root = tmp_path_factory.mktemp("ui-server")
    store = root / "store"
    seeded = seed(store)
    with start_runlab_server(root, "--backend-store-uri", str(store)) as (base_url, _process):
        yield base_url, seeded


class PageErrors(list[str]):
    """Uncaught page errors and dialogs (an XSS payload that ran would open one)."""


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    # The page's Content-Security-Policy is bypassed: it would block an injected script on
    # its own, and the tests must show that the UI never creates one in the first place.
    context = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=True)
    context.set_default_timeout(WAIT_MS)
    context.set_default_navigation_timeout(WAIT_MS)
    new_page = context.new_page()
    errors = PageErrors()
    new_page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))

    def on_dialog(dialog: Any) -> None:
        errors.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    new_page.on("dialog", on_dialog)
    new_page.errors = errors
    yield new_page
    context.close()
    assert not errors, errors


@pytest.fixture
def shot(tmp_path: Path) -> Callable[[Any, str], Path]:
    def take(target: Any, name: str) -> Path:
        path = tmp_path / "screenshots" / f"{name}.png"
        path.parent.mkdir(exist_ok=True)
        target.screenshot(path=str(path))
        if _SCREENSHOT_COPY:  # a folder to keep them in, to look at them after the run
            Path(_SCREENSHOT_COPY).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(_SCREENSHOT_COPY) / path.name)
        return path

    return take
