"""Web UI timings in headless Chromium against a live ``runlab server``.

    python bench/ui_bench.py                 # 10,000 runs, 1,000,000 points, 10 runs compared
    python bench/ui_bench.py --quick         # 1,000 runs, 100,000 points
    python bench/ui_bench.py --repeats 5 --json results.json

Figures (medians over the repeats, each in a fresh browser page with an empty cache):

- ``runs_first_rows_s``: opening the runs table of a 10,000-run experiment until the first
  rows are visible (and the total is known);
- ``chart_1m_s``: opening the charts of a run with a 1,000,000-point metric until the chart
  is drawn;
- ``compare_10_s``: opening the comparison of 10 runs until the param table is shown.

The data is written into a fresh store folder through the store API first (not timed), then
``runlab server`` serves it on a free loopback port. Chromium is the system's
(``/usr/bin/chromium`` or ``--chromium``); Playwright's own browser downloads are not used.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def server(store_dir: Path) -> Iterator[str]:
    import httpx

    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    command = [sys.executable, "-c", "from runlab.cli import main; main()", "server"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--backend-store-uri", str(store_dir)]
    log = (store_dir.parent / "server.log").open("wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/health", timeout=2).text == "OK":
                    break
            if process.poll() is not None:
                raise RuntimeError((store_dir.parent / "server.log").read_text()[-3000:])
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(30)
        log.close()


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


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="1,000 runs and 100,000 points")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--chromium", default=os.environ.get("RUNLAB_TEST_CHROMIUM", "/usr/bin/chromium")
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    runs, points = (1_000, 100_000) if args.quick else (10_000, 1_000_000)

    sys.path.insert(0, str(ROOT / "src"))
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="runlab-ui-bench-") as tmp:
        store_dir = Path(tmp) / "store"
        began = time.perf_counter()
        data = seed(store_dir, runs, points)
        print(f"seeded {runs:,} runs and {points:,} points in {time.perf_counter() - began:.1f}s")
        with server(store_dir) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)

            def first_rows(page: Any) -> None:
                page.wait_for_selector(".runs-table tbody tr[data-run-id]", timeout=120_000)
                page.wait_for_function(
                    "() => /\\d runs/.test(document.querySelector('.total').textContent)",
                    timeout=120_000,
                )

            def chart_drawn(page: Any) -> None:
                page.wait_for_selector("figure.chart canvas", timeout=120_000)
                page.wait_for_function(
                    "() => /points shown/"
                    ".test(document.querySelector('.chart-status').textContent)",
                    timeout=120_000,
                )

            def param_table(page: Any) -> None:
                page.wait_for_selector(".params-compare tbody tr th", timeout=120_000)

            cases = {
                "runs_first_rows_s": (f"{base}/#/runs?e={data['experiment']}", first_rows),
                "chart_1m_s": (f"{base}/#/run/{data['long_run']}?tab=charts", chart_drawn),
                "compare_10_s": (f"{base}/#/compare?runs={','.join(data['compare'])}", param_table),
            }
            figures: dict[str, float] = {}
            for name, (url, ready) in cases.items():
                samples = [timed(browser, url, ready) for _ in range(args.repeats)]
                figures[name] = round(statistics.median(samples), 3)
                shown = ", ".join(f"{s:.3f}" for s in samples)
                print(f"{name:20s} {figures[name]:8.3f}  (samples: {shown})")
            browser.close()
    record = {"runs": runs, "points": points, "repeats": args.repeats, **figures}
    print(json.dumps(record))
    if args.json:
        args.json.write_text(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
