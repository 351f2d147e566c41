"""Web UI timings in headless Chromium: a live ``runlab server`` and, on the same data, a live
``mlflow server`` (MLflow's own web UI), measured in the same run.

    python bench/ui_bench.py                 # 10,000 runs, 1,000,000 points, 10 runs compared
    python bench/ui_bench.py --quick         # 1,000 runs, 100,000 points
    python bench/ui_bench.py --repeats 5 --json results.json
    python bench/ui_bench.py --sut runlab    # runlab only (no MLflow data to write)
    python bench/ui_bench.py --workdir ~/ui-bench --trace   # keep the data; show requests

Figures (medians over the repeats, each in a fresh browser context with an empty cache, after
one untimed first visit of each page, whose time is printed too), in seconds from the start
of navigation to the first frame in which the answer is on screen:

- ``runs_first_rows_s``: the runs table of a 10,000-run experiment shows its first rows
  (runlab: and the total);
- ``chart_1m_s``: the chart of a run's 1,000,000-point metric is drawn (runlab: with at
  least 2,000 points);
- ``compare_10_s``: the comparison of 10 runs shows its param table;
- ``workspace_s``, ``workspace_rest_s``, ``poll_ms``: the charts workspace of 100 running
  runs x 10 metrics x 10,000 points against MLflow's chart view of the same data (see
  ``_workspace.py``; ``--only workspace`` runs these alone, ``--only pages`` the others).

A small script installed in each page checks the case's condition once per animation frame
and notes the time of the first frame where it holds, so the figure is the UI's own: the
time the browser driver takes to notice (printed alongside) is left out, for both UIs.

The data is written first (not timed): into a fresh runlab store through its store API, and
into a separate SQLite database in MLflow's schema (MLflow's store creates the schema and
the experiments; the rows are written in bulk with the columns MLflow's own calls fill).
Each server then serves its copy on a free loopback port. MLflow's pages are the ones a
user would open for the same question: the experiment page (its runs table; MLflow shows
the first 100 runs and no total), the run's model-metrics tab (MLflow's chart of that
metric), and the compare page of the 10 runs. Chromium is the system's
(``/usr/bin/chromium`` or ``--chromium``); Playwright's own browser downloads are not used.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import _workspace
from _proc import cpu_seconds

ROOT = Path(__file__).resolve().parent.parent
WAIT_MS = 120_000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Recent Chromium builds the address bar's drop-down as a web page of its own, in a renderer
# of its own, for every new browser context even when headless: most of a CPU second per
# sample, spent next to the page being timed, whichever UI it is. (Puppeteer turns these
# off by default too.) Added to the features Playwright itself turns off.
QUIET_FEATURES = ("WebUIOmniboxPopup", "WebUIOmniboxAimPopup")


def launch_chromium(playwright: Any, chromium: str) -> Any:
    """Chromium with CHROMIUM_ARGS and QUIET_FEATURES off as well as Playwright's own list.
    A second ``--disable-features`` would replace Playwright's (the last one counts), so
    its list is read from the first launch's command line and merged."""
    browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
    theirs = _disabled_features(Path(chromium).resolve())
    if theirs is None or all(f in theirs for f in QUIET_FEATURES):
        return browser
    browser.close()
    merged = ",".join(dict.fromkeys([*theirs, *QUIET_FEATURES]))
    args = [*CHROMIUM_ARGS, f"--disable-features={merged}"]
    return playwright.chromium.launch(executable_path=chromium, args=args)


def _disabled_features(binary: Path) -> list[str] | None:
    """``--disable-features`` of the running Chromium browser process started from here."""
    mine = {os.getpid()}
    found: list[str] | None = None
    for entry in sorted(
        Path("/proc").iterdir(), key=lambda e: int(e.name) if e.name.isdigit() else 0
    ):
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if parent not in mine:
                continue
            mine.add(int(entry.name))
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            if Path(argv[0].decode()).name == binary.name and not any(
                a.startswith(b"--type=") for a in argv
            ):
                for arg in argv:
                    if arg.startswith(b"--disable-features="):
                        found = arg.decode().split("=", 1)[1].split(",")
    return found


def seed(store_dir: Path, runs: int, points: int) -> dict[str, Any]:
    from runlab.entities import Metric, Param
    from runlab.store.uri import get_store

    store = get_store(str(store_dir))
    rng = random.Random(0)
    start = int(time.time() * 1000) - 86_400_000
    big = store.create_experiment("bench-10k")
    run_ids = []
    for i in range(runs):
        info = store.create_run(big, "bench", start + i, {}, f"run-{i:05d}")
        store.log_batch(
            info.run_id,
            metrics=[Metric("acc", rng.random(), start, 0), Metric("loss", rng.random(), start, 0)],
            params=[Param("lr", str(rng.choice([0.1, 0.01, 0.001]))), Param("seed", str(i))],
        )
        run_ids.append(info.run_id)

    charts = store.create_experiment("bench-chart")
    long_run = store.create_run(charts, "bench", start, {}, "one-million").run_id
    chunk = 20_000
    for first in range(0, points, chunk):
        store.log_batch(
            long_run,
            metrics=[
                Metric("loss", math.exp(-s / points * 5) + 0.05 * rng.random(), start + s, s)
                for s in range(first, min(points, first + chunk))
            ],
        )
    store.close()
    return {"experiment": big, "long_run": long_run, "compare": run_ids[:10]}


def seed_mlflow(db: Path, runs: int, points: int) -> dict[str, Any]:
    """The same data in MLflow's schema. MLflow's tracking store creates the database and
    the experiments; the rows of runs, params, tags and metrics are then written in bulk
    with the same columns MLflow's ``create_run``/``log_batch`` fill (through the store
    itself, 10,000 runs take most of an hour here)."""
    import sqlite3
    import uuid

    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    artifacts = db.parent / "mlartifacts"
    store = SqlAlchemyStore(f"sqlite:///{db}", str(artifacts))
    big = store.create_experiment("bench-10k")
    charts = store.create_experiment("bench-chart")
    store.engine.dispose()

    rng = random.Random(0)
    start = int(time.time() * 1000) - 86_400_000
    run_rows, tags, params, metric_rows = [], [], [], []

    def add_run(experiment: str, name: str, started: int) -> str:
        run_id = uuid.uuid4().hex
        uri = f"{artifacts}/{experiment}/{run_id}/artifacts"
        run_rows.append((run_id, name, "UNKNOWN", "", "", "bench", "RUNNING", started))
        run_rows[-1] += (None, "", "active", uri, int(experiment), None)
        tags.append(("mlflow.runName", name, run_id))
        return run_id

    run_ids = []
    for i in range(runs):
        run_id = add_run(big, f"run-{i:05d}", start + i)
        metric_rows += [("acc", rng.random(), start, run_id, 0, 0)]
        metric_rows += [("loss", rng.random(), start, run_id, 0, 0)]
        params.append(("lr", str(rng.choice([0.1, 0.01, 0.001])), run_id))
        params.append(("seed", str(i), run_id))
        run_ids.append(run_id)
    long_run = add_run(charts, "one-million", start)
    latest = [(k, v, t, s_, nan, r) for k, v, t, r, s_, nan in metric_rows]
    for s in range(points):
        value = math.exp(-s / points * 5) + 0.05 * rng.random()
        metric_rows.append(("loss", value, start + s, long_run, s, 0))
    latest.append(("loss", metric_rows[-1][1], start + points - 1, points - 1, 0, long_run))

    with sqlite3.connect(db) as conn:
        conn.executemany(f"INSERT INTO runs VALUES ({', '.join('?' * 14)})", run_rows)
        conn.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)", tags)
        conn.executemany("INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)", params)
        conn.executemany(
            "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            metric_rows,
        )
        conn.executemany(
            "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            latest,
        )
    conn.close()
    return {
        "experiment": big,
        "chart_experiment": charts,
        "long_run": long_run,
        "compare": run_ids[:10],
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve(command: list[str], log_path: Path, health: str) -> Iterator[None]:
    import httpx

    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    log = log_path.open("wb")
    # A session of its own, as a server started from its own terminal has: on Linux the
    # scheduler shares the CPUs between sessions first, and the browser is not the
    # server's to share with.
    process = subprocess.Popen(
        command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(health, timeout=2).status_code == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(log_path.read_text()[-3000:])
            time.sleep(0.2)
        settle(process.pid, log_path.stem)
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)  # the server and any process it started
        process.wait(30)
        log.close()


def settle(pid: int, label: str, quiet: float = 0.1, longest: float = 180) -> None:
    """Wait until a server that answers is also idle: below ``quiet`` of a CPU over a
    second. ``mlflow server`` (3.x) starts a job runner and several job consumers next to
    its web server, each importing mlflow for seconds after the first answer; neither UI
    is timed while its server is still starting."""
    if not Path("/proc").is_dir():
        return
    began = time.monotonic()
    before = cpu_seconds(pid)
    while time.monotonic() - began < longest:
        time.sleep(1)
        now = cpu_seconds(pid)
        if now - before < quiet:
            break
        before = now
    print(f"{label}: idle {time.monotonic() - began:.0f}s after its first answer", flush=True)


@contextlib.contextmanager
def runlab_server(store_dir: Path) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-c", "from runlab.cli import main; main()", "server"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--backend-store-uri", str(store_dir)]
    base = f"http://127.0.0.1:{port}"
    with serve(command, store_dir.parent / "runlab-server.log", f"{base}/health"):
        yield base


@contextlib.contextmanager
def mlflow_server(db: Path) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port"]
    command += [str(port), "--backend-store-uri", f"sqlite:///{db}", "--workers", "1"]
    command += ["--default-artifact-root", str(db.parent / "mlartifacts")]
    base = f"http://127.0.0.1:{port}"
    with serve(command, db.parent / "mlflow-server.log", f"{base}/health"):
        yield base


# Installed in every page before its own scripts: once per frame, until the page is ready,
# the case's condition is checked; the first frame where it holds is the figure, in
# milliseconds since navigation started. Checking once per frame costs each UI the same and
# leaves out the driver's round trips, which on a busy machine add 0.1 s or more per wait.
WATCH_JS = """
(() => {
  const ready = () => { %s };
  const tick = () => {
    let ok = false;
    try { ok = Boolean(ready()); } catch (err) { ok = false; }
    if (ok) window.__benchReady = performance.now();
    else requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
"""


def timed(browser: Any, url: str, ready_js: str) -> tuple[float, float, list[Any]]:
    """(seconds until ready in the page, seconds until the driver saw it, resource timings)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=True)
    context.add_init_script(WATCH_JS % ready_js)
    page = context.new_page()
    try:
        began = time.perf_counter()
        page.goto(url, wait_until="commit")
        page.wait_for_function("() => window.__benchReady !== undefined", timeout=WAIT_MS)
        wall = time.perf_counter() - began
        in_page = page.evaluate("window.__benchReady") / 1000
        resources = page.evaluate(RESOURCES_JS)
        return in_page, wall, resources
    finally:
        context.close()


# What each request cost: start, first byte and end (ms since navigation), and the
# server's own time from its Server-Timing header where it sends one.
RESOURCES_JS = """
performance.getEntriesByType('resource').map((e) => [
  e.name.replace(location.origin, '').slice(0, 90),
  Math.round(e.startTime), Math.round(e.responseStart), Math.round(e.responseEnd),
  e.serverTiming.map((s) => s.duration).join(','), e.transferSize,
])
"""

TARGET_S = 0.5
LABELS = {
    "runs_first_rows_s": "first runs of a 10,000-run experiment",
    "chart_1m_s": "chart of a 1,000,000-point metric",
    "compare_10_s": "param table of 10 compared runs",
}
CHART_POINTS = 2000


def runlab_cases(base: str, data: dict[str, Any]) -> dict[str, tuple[str, str]]:
    first_rows = (
        "return document.querySelector('.runs-table tbody tr[data-run-id]')"
        " && /\\d runs/.test(document.querySelector('.total')?.textContent || '')"
    )
    # Drawn: the canvas is there and the status counts the points (at least CHART_POINTS).
    chart_drawn = (
        "const m = /([\\d,]+) points shown/.exec("
        "document.querySelector('.chart-status')?.textContent || '');"
        " return document.querySelector('figure.chart canvas')"
        f" && m && Number(m[1].replace(/,/g, '')) >= {CHART_POINTS}"
    )
    param_table = "return document.querySelector('.params-compare tbody tr th')"
    compare = f"runs={','.join(data['compare'])}&e={data['experiment']}"
    return {
        "runs_first_rows_s": (f"{base}/#/experiments/{data['experiment']}", first_rows),
        "chart_1m_s": (f"{base}/#/run/{data['long_run']}?tab=charts", chart_drawn),
        "compare_10_s": (f"{base}/#/compare?{compare}", param_table),
    }


def mlflow_cases(base: str, data: dict[str, Any]) -> dict[str, tuple[str, str]]:
    # A run's name as a text of its own, anywhere in the page (MLflow's table is not a <table>).
    first_rows = (
        "const walk = document.createTreeWalker(document.body || document, NodeFilter.SHOW_TEXT);"
        " while (walk.nextNode())"
        " if (/^run-\\d{5}$/.test(walk.currentNode.data.trim())) return true;"
        " return false"
    )
    chart_drawn = "return document.querySelector('.js-plotly-plot .scatterlayer path.js-line')"
    # The row header of the param table (the plot above it names the param too).
    param_table = (
        "return [...document.querySelectorAll('table th')]"
        ".some((th) => th.textContent.trim() === 'seed')"
    )
    runs = json.dumps(data["compare"], separators=(",", ":"))
    experiments = json.dumps([data["experiment"]])
    chart_page = f"experiments/{data['chart_experiment']}/runs/{data['long_run']}/model-metrics"
    return {
        "runs_first_rows_s": (f"{base}/#/experiments/{data['experiment']}/runs", first_rows),
        "chart_1m_s": (f"{base}/#/{chart_page}", chart_drawn),
        "compare_10_s": (
            f"{base}/#/compare-runs?runs={quote(runs)}&experiments={quote(experiments)}",
            param_table,
        ),
    }


def check_runlab_scrolls(browser: Any, base: str, data: dict[str, Any], runs: int) -> None:
    """Not timed: every run of the big experiment can be reached by scrolling the table."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{base}/#/experiments/{data['experiment']}")
        page.wait_for_selector(".runs-table tbody tr[data-run-id]", timeout=WAIT_MS)
        last = "run-00000"  # newest first: the first run created is the last row
        for _ in range(60):
            page.eval_on_selector(".grid-scroll", "el => { el.scrollTop = el.scrollHeight; }")
            with contextlib.suppress(Exception):
                page.get_by_role("link", name=last, exact=True).wait_for(timeout=2000)
                break
        else:
            raise RuntimeError(f"runlab: {last} never appeared at the end of the runs table")
        total = page.text_content(".total") or ""
        if f"{runs:,} runs" not in total:
            raise RuntimeError(f"runlab: the total reads {total!r}, not {runs:,} runs")
        print(f"runlab  checked: all {runs:,} runs reachable by scrolling ({total.strip()})")
    finally:
        context.close()


def measure(
    chromium: str,
    cases: dict[str, tuple[str, str]],
    repeats: int,
    label: str,
    trace: bool = False,
    after: Callable[[Any], None] | None = None,
    warmup: int = 1,
) -> dict[str, Any]:
    """Each case opened ``warmup`` times untimed (the server's first answers pay for lazy
    imports and empty caches; reported as the first visit), then ``repeats`` times."""
    from playwright.sync_api import sync_playwright

    figures: dict[str, Any] = {}
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, chromium)
        try:
            for name, (url, ready) in cases.items():
                first = [timed(browser, url, ready)[0] for _ in range(warmup)]
                samples = [timed(browser, url, ready) for _ in range(repeats)]
                in_page = [s[0] for s in samples]
                figures[name] = round(statistics.median(in_page), 3)
                figures[f"{name}_driver"] = round(statistics.median(s[1] for s in samples), 3)
                if first:
                    figures[f"{name}_first_visit"] = round(first[0], 3)
                shown = ", ".join(f"{s:.3f}" for s in in_page)
                driver = statistics.median(s[1] for s in samples)
                cold = f"; first visit {first[0]:.3f}" if first else ""
                print(
                    f"{label:7s} {name:20s} {figures[name]:8.3f}  (samples: {shown};"
                    f" as the driver saw it: {driver:.3f}{cold})",
                    flush=True,
                )
                if trace:
                    for row in samples[len(samples) // 2][2]:
                        print(f"          {row}")
            if after:
                after(browser)
        finally:
            browser.close()
    return figures


WORKSPACE_LABELS = {
    "workspace_s": "workspace of 100 runs x 10 metrics x 10,000 points drawn",
    "workspace_rest_s": "the chart view's requests for that workspace",
    "poll_ms": "one live update of the 100 running runs (server)",
}
# Each figure's runlab target: (limit, unit); the pages' is TARGET_S.
TARGETS = {"workspace_s": (1.0, "s"), "workspace_rest_s": (1.0, "s"), "poll_ms": (20.0, "ms")}


def table(results: dict[str, dict[str, Any]], load: str) -> str:
    """The medians as a Markdown table: runlab, MLflow, ratio (MLflow / runlab), target."""
    lines = [
        "| figure | runlab | MLflow 3.17.2 | ratio | runlab target |",
        "|---|---:|---:|---:|---|",
    ]
    for name, label in {**LABELS, **WORKSPACE_LABELS}.items():
        ours = results.get("runlab", {}).get(name)
        theirs = results.get("mlflow", {}).get(name)
        if ours is None and theirs is None:
            continue
        limit, unit = TARGETS.get(name, (TARGET_S, "s"))
        ratio = f"x{theirs / ours:.1f} faster" if ours and theirs else "-"
        met = "-" if ours is None else ("met" if ours < limit else "missed")
        cells = [
            f"{v:.3f} s" if unit == "s" else f"{v:.1f} ms" for v in (ours, theirs) if v is not None
        ]
        if ours is None:
            cells.insert(0, "-")
        if theirs is None:
            cells.append("-")
        lines.append(
            f"| {label} | {cells[0]} | {cells[1]} | {ratio} | {met} (< {limit:g} {unit}) |"
        )
    lines.append("")
    lines.append(f"Medians; machine load average before and after: {load}.")
    return "\n".join(lines)


def load_average() -> str:
    with contextlib.suppress(OSError):
        return " / ".join(f"{x:.1f}" for x in os.getloadavg()) + f" ({os.cpu_count()} CPUs)"
    return "unknown"


def seeded(
    workdir: Path, name: str, runs: int, points: int, write: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """The data of one UI, written by ``write`` or, with ``--workdir``, read back from an
    earlier run with the same sizes."""
    marker = workdir / f"{name}-{runs}-{points}.json"
    if marker.exists():
        print(f"{name}: reusing the data in {marker.parent}")
        return dict(json.loads(marker.read_text()))
    began = time.perf_counter()
    data = write()
    took = time.perf_counter() - began
    print(f"{name}: seeded {runs:,} runs and {points:,} points in {took:.1f}s")
    marker.write_text(json.dumps(data))
    return data


def pages(
    args: Any, suts: tuple[str, ...], root: Path, runs: int, points: int, results: dict[str, Any]
) -> None:
    """The three pages of both UIs."""
    store_dir = root / "runlab" / "store"
    db = root / "mlflow" / "mlflow.db"
    data: dict[str, dict[str, Any]] = {}
    # Both data sets are written before either UI is timed.
    if "runlab" in suts:
        data["runlab"] = seeded(root, "runlab", runs, points, lambda: seed(store_dir, runs, points))
    if "mlflow" in suts:
        db.parent.mkdir(parents=True, exist_ok=True)
        data["mlflow"] = seeded(root, "mlflow", runs, points, lambda: seed_mlflow(db, runs, points))
    if "runlab" in suts:
        with runlab_server(store_dir) as base:
            cases = runlab_cases(base, data["runlab"])

            def scrolls(browser: Any) -> None:
                check_runlab_scrolls(browser, base, data["runlab"], runs)

            results["runlab"] = measure(
                args.chromium, cases, args.repeats, "runlab", args.trace, scrolls, args.warmup
            )
    if "mlflow" in suts:
        with mlflow_server(db) as base:
            cases = mlflow_cases(base, data["mlflow"])
            results["mlflow"] = measure(
                args.chromium, cases, args.repeats, "mlflow", args.trace, None, args.warmup
            )


def workspace(args: Any, suts: tuple[str, ...], root: Path, results: dict[str, Any]) -> None:
    """The charts workspace against MLflow's chart view, on data of their own."""
    runs, keys, points = (
        _workspace.QUICK if args.quick else (_workspace.RUNS, _workspace.KEYS, _workspace.POINTS)
    )
    size = runs * keys * points
    store_dir = root / "workspace" / "runlab" / "store"
    db = root / "workspace" / "mlflow" / "mlflow.db"
    data: dict[str, dict[str, Any]] = {}
    if "runlab" in suts:
        data["runlab"] = seeded(
            root,
            "workspace-runlab",
            runs,
            size,
            lambda: _workspace.seed_runlab(store_dir, runs, keys, points),
        )
    if "mlflow" in suts:
        db.parent.mkdir(parents=True, exist_ok=True)
        data["mlflow"] = seeded(
            root,
            "workspace-mlflow",
            runs,
            size,
            lambda: _workspace.seed_mlflow(db, runs, keys, points),
        )
    polls = max(5, args.repeats * 3)
    if "runlab" in suts:
        with runlab_server(store_dir) as base:
            cases = {"workspace_s": _workspace.runlab_page(base, data["runlab"])}
            figures = measure(
                args.chromium, cases, args.repeats, "runlab", args.trace, None, args.warmup
            )
            figures["workspace_rest_s"] = _workspace.time_rest(
                base, data["runlab"], "runlab", args.repeats
            )
            figures.update(
                _workspace.time_polls(base, data["runlab"], "runlab", polls, store_dir, None)
            )
            print(
                f"runlab  workspace requests {figures['workspace_rest_s']:.3f} s, poll"
                f" {figures['poll_ms']} ms in the server ({figures['poll_rtt_ms']} ms round trip)"
            )
            results.setdefault("runlab", {}).update(figures)
    if "mlflow" in suts:
        with mlflow_server(db) as base:
            # One sample each, no warm-up: one of MLflow's takes minutes here.
            mine = data["mlflow"]
            figures = {"workspace_rest_s": _workspace.time_rest(base, mine, "mlflow", 1, False)}
            figures.update(_workspace.time_polls(base, mine, "mlflow", 1, None, db, False))
            print(
                f"mlflow  workspace requests {figures['workspace_rest_s']:.3f} s,"
                f" poll {figures['poll_rtt_ms']} ms round trip"
            )
            results.setdefault("mlflow", {}).update(figures)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="1,000 runs and 100,000 points")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--warmup", type=int, default=1, help="untimed visits of each page first (default 1)"
    )
    parser.add_argument("--sut", choices=("both", "runlab", "mlflow"), default="both")
    parser.add_argument("--only", choices=("all", "pages", "workspace"), default="all")
    parser.add_argument(
        "--chromium", default=os.environ.get("RUNLAB_TEST_CHROMIUM", "/usr/bin/chromium")
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--workdir", type=Path, help="keep the data here and reuse it on the next run"
    )
    parser.add_argument(
        "--trace", action="store_true", help="print each page's requests (median sample)"
    )
    args = parser.parse_args()
    runs, points = (1_000, 100_000) if args.quick else (10_000, 1_000_000)
    suts = ("runlab", "mlflow") if args.sut == "both" else (args.sut,)

    sys.path.insert(0, str(ROOT / "src"))
    results: dict[str, dict[str, Any]] = {}
    with contextlib.ExitStack() as stack:
        if args.workdir:
            root = args.workdir.resolve() / f"{runs}-{points}"
        else:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ui-bench-")))
        root.mkdir(parents=True, exist_ok=True)
        load_before = load_average()
        if args.only != "workspace":
            pages(args, suts, root, runs, points, results)
        if args.only != "pages":
            workspace(args, suts, root, results)
        load = f"{load_before}, {load_average()}"
    print()
    print(table(results, load))
    record = {"runs": runs, "points": points, "repeats": args.repeats, "warmup": args.warmup}
    record.update({"load": load, **results})
    print(json.dumps(record))
    if args.json:
        args.json.write_text(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
