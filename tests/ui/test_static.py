"""The UI's files: everything they import ships in the package, and no code path turns
text into markup."""

from __future__ import annotations

import re

from runlab.ui import STATIC_DIR

OWN_SCRIPTS = [p for p in STATIC_DIR.rglob("*.js") if "vendor" not in p.parts]
IMPORT = re.compile(r"""^\s*import\s[^;]*?from\s+["'](\.[^"']+)["']""", re.MULTILINE)
DYNAMIC_IMPORT = re.compile(r"""\bimport\(\s*["'](\.[^"']+)["']\s*\)""")
PRELOAD = re.compile(r"""<link rel="modulepreload" href="([^"]+)">""")
CLASSIC = re.compile(r"""<script (?:async )?src="([^"]+)"[^>]*></script>""")
# Ways to turn a string into markup or code; the UI builds elements and text nodes instead.
FORBIDDEN = (
    "innerHTML",
    "outerHTML",
    "insertAdjacentHTML",
    "document.write",
    "eval(",
    "new Function",
)


def test_index_and_vendored_chart_library_ship_with_their_licence() -> None:
    for name in ("index.html", "app.js", "style.css", "theme.js"):
        assert (STATIC_DIR / name).is_file(), name
    vendor = STATIC_DIR / "vendor"
    for name in ("uPlot.esm.js", "uPlot.min.css", "uPlot.LICENSE"):
        assert (vendor / name).is_file(), name
    assert "MIT License" in (vendor / "uPlot.LICENSE").read_text()


def test_every_relative_import_resolves() -> None:
    assert OWN_SCRIPTS
    for script in OWN_SCRIPTS:
        text = script.read_text()
        for target in IMPORT.findall(text) + DYNAMIC_IMPORT.findall(text):
            assert (script.parent / target).resolve().is_file(), f"{script.name} imports {target}"


def test_index_preloads_every_own_module() -> None:
    """The page asks for the whole module graph at once: a module left out would be
    fetched only once its importer had arrived, one more round trip before first paint."""
    html = (STATIC_DIR / "index.html").read_text()
    preloaded = set(PRELOAD.findall(html))
    classic = set(CLASSIC.findall(html))  # plain scripts (theme, prefetch), not modules
    assert {"theme.js", "prefetch.js"} <= classic
    for name in preloaded | classic:
        assert (STATIC_DIR / name).is_file(), name
    own = {p.relative_to(STATIC_DIR).as_posix() for p in OWN_SCRIPTS} - classic
    assert own == preloaded


def test_no_script_parses_strings_as_html_or_code() -> None:
    for script in OWN_SCRIPTS:
        text = script.read_text()
        for needle in FORBIDDEN:
            assert needle not in text, f"{script.relative_to(STATIC_DIR)} uses {needle}"


def test_index_loads_nothing_from_other_origins() -> None:
    html = (STATIC_DIR / "index.html").read_text()
    assert not re.search(r"""(src|href)=["']https?://""", html)
    assert "Content-Security-Policy" in html


MAX_MODULE_LINES = 300


def test_no_module_is_longer_than_300_lines() -> None:
    """A module that grows past this does more than one thing: split it by idea."""
    modules = [p for p in (STATIC_DIR / "js").rglob("*.js") if "vendor" not in p.parts]
    assert len(modules) > 10
    for module in modules:
        lines = len(module.read_text().splitlines())
        name = module.relative_to(STATIC_DIR)
        assert lines <= MAX_MODULE_LINES, f"{name} has {lines} lines (at most {MAX_MODULE_LINES})"


def test_prefetch_builds_its_requests_from_the_shared_declarations() -> None:
    """prefetch.js names no API path of its own: each request it starts comes from
    js/requests.js, as the views' do through api.js, and that script runs first."""
    prefetch = (STATIC_DIR / "prefetch.js").read_text()
    assert "ajax-api" not in prefetch
    assert "runlabRequests" in prefetch
    assert "globalThis.runlabRequests" in (STATIC_DIR / "js" / "api.js").read_text()
    html = (STATIC_DIR / "index.html").read_text()
    scripts = CLASSIC.findall(html)
    assert scripts.index("js/requests.js") < scripts.index("prefetch.js")
    assert html.index('src="js/requests.js"') < html.index('type="module"')
