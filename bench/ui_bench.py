"""Web UI timings in headless Chromium: a live ``runlab server`` and, on the same data, a live
``mlflow server`` (MLflow's own web UI), measured in the same run.

    python bench/ui_bench.py                 # 10,000 runs, 1,000,000 points, 10 runs compared
    python bench/ui_bench.py --quick         # 1,000 runs, 100,000 points
    python bench/ui_bench.py --repeats 5 --json results.json
    python bench/ui_bench.py --sut runlab    # runlab only (no MLflow data to write)

Figures (medians over the repeats, each in a fresh browser page with an empty cache):

- ``runs_first_rows_s``: opening the runs table of a 10,000-run experiment until the first
  rows are visible (and the total is known);
- ``chart_1m_s``: opening the charts of a run with a 1,000,000-point metric until the chart
  is drawn;
- ``compare_10_s``: opening the comparison of 10 runs until the param table is shown.

The data is written first (not timed): into a fresh runlab store folder through the store
API, and into a separate SQLite database through MLflow's own tracking store (same runs,
names, params and points). Each server then serves its copy on a free loopback port. MLflow's
pages are the ones a user would open for the same question: the experiment page (its runs
table; MLflow shows the first 100 runs and no total), the run's model-metrics tab (MLflow's
chart of that metric), and the compare page of the 10 runs. Chromium is the system's
(``/usr/bin/chromium`` or ``--chromium``); Playwright's own browser downloads are not used.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import re
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
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(health, timeout=2).status_code == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(log_path.read_text()[-3000:])
            time.sleep(0.2)
        yield
    finally:
        process.terminate()
        process.wait(30)
        log.close()


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


def timed(browser: Any, url: str, ready: Callable[[Any], None]) -> float:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=True)
    page = context.new_page()
    try:
        began = time.perf_counter()
        page.goto(url)
        ready(page)
        return time.perf_counter() - began
    finally:
        context.close()


TARGET_S = 0.5
FIGURES = ("runs_first_rows_s", "chart_1m_s", "compare_10_s")


def runlab_cases(base: str, data: dict[str, Any]) -> dict[str, tuple[str, Callable[[Any], None]]]:
    def first_rows(page: Any) -> None:
        page.wait_for_selector(".runs-table tbody tr[data-run-id]", timeout=WAIT_MS)
        page.wait_for_function(
            "() => /\\d runs/.test(document.querySelector('.total')?.textContent)",
            timeout=WAIT_MS,
        )

    def chart_drawn(page: Any) -> None:
        page.wait_for_selector("figure.chart canvas", timeout=WAIT_MS)
        page.wait_for_function(
            "() => /points shown/.test(document.querySelector('.chart-status')?.textContent)",
            timeout=WAIT_MS,
        )

    def param_table(page: Any) -> None:
        page.wait_for_selector(".params-compare tbody tr th", timeout=WAIT_MS)

    compare = f"runs={','.join(data['compare'])}&e={data['experiment']}"
    return {
        "runs_first_rows_s": (f"{base}/#/runs?e={data['experiment']}", first_rows),
        "chart_1m_s": (f"{base}/#/run/{data['long_run']}?tab=charts", chart_drawn),
        "compare_10_s": (f"{base}/#/compare?{compare}", param_table),
    }


def mlflow_cases(base: str, data: dict[str, Any]) -> dict[str, tuple[str, Callable[[Any], None]]]:
    def first_rows(page: Any) -> None:
        page.get_by_text(re.compile(r"^run-\d{5}$")).first.wait_for(timeout=WAIT_MS)

    def chart_drawn(page: Any) -> None:
        page.locator(".js-plotly-plot .scatterlayer path.js-line").first.wait_for(timeout=WAIT_MS)

    def param_table(page: Any) -> None:
        page.get_by_text("seed", exact=True).first.wait_for(timeout=WAIT_MS)

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


def measure(
    chromium: str, cases: dict[str, tuple[str, Callable[[Any], None]]], repeats: int, label: str
) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    figures: dict[str, float] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            for name, (url, ready) in cases.items():
                samples = [timed(browser, url, ready) for _ in range(repeats)]
                figures[name] = round(statistics.median(samples), 3)
                shown = ", ".join(f"{s:.3f}" for s in samples)
                print(f"{label:7s} {name:20s} {figures[name]:8.3f}  (samples: {shown})", flush=True)
        finally:
            browser.close()
    return figures


def table(results: dict[str, dict[str, float]]) -> str:
    head = f"{'figure':20s} {'runlab':>9s} {'mlflow':>9s} {'ratio':>9s}  target < {TARGET_S} s"
    lines = [head]
    for name in FIGURES:
        ours = results.get("runlab", {}).get(name)
        theirs = results.get("mlflow", {}).get(name)
        ratio = f"x{theirs / ours:.1f}" if ours and theirs else "-"
        met = "-" if ours is None else ("met" if ours < TARGET_S else "missed")
        cells = [f"{v:9.3f}" if v is not None else f"{'-':>9s}" for v in (ours, theirs)]
        lines.append(f"{name:20s} {cells[0]} {cells[1]} {ratio:>9s}  {met}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="1,000 runs and 100,000 points")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sut", choices=("both", "runlab", "mlflow"), default="both")
    parser.add_argument(
        "--chromium", default=os.environ.get("RUNLAB_TEST_CHROMIUM", "/usr/bin/chromium")
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    runs, points = (1_000, 100_000) if args.quick else (10_000, 1_000_000)
    suts = ("runlab", "mlflow") if args.sut == "both" else (args.sut,)

    sys.path.insert(0, str(ROOT / "src"))
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="runlab-ui-bench-") as tmp:
        if "runlab" in suts:
            store_dir = Path(tmp) / "runlab" / "store"
            began = time.perf_counter()
            data = seed(store_dir, runs, points)
            took = time.perf_counter() - began
            print(f"runlab: seeded {runs:,} runs and {points:,} points in {took:.1f}s")
            with runlab_server(store_dir) as base:
                cases = runlab_cases(base, data)
                results["runlab"] = measure(args.chromium, cases, args.repeats, "runlab")
        if "mlflow" in suts:
            db = Path(tmp) / "mlflow" / "mlflow.db"
            db.parent.mkdir(parents=True)
            began = time.perf_counter()
            ml_data = seed_mlflow(db, runs, points)
            took = time.perf_counter() - began
            print(f"mlflow: seeded {runs:,} runs and {points:,} points in {took:.1f}s")
            with mlflow_server(db) as base:
                cases = mlflow_cases(base, ml_data)
                results["mlflow"] = measure(args.chromium, cases, args.repeats, "mlflow")
    print()
    print(table(results))
    record = {"runs": runs, "points": points, "repeats": args.repeats, **results}
    print(json.dumps(record))
    if args.json:
        args.json.write_text(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
