"""W7: run searches at scale. One experiment of 2,000, 20,000 and 100,000 runs (10 params,
5 metrics, 3 tags each, written in bulk by bench/_scale_fill.py), on SQLite and on
PostgreSQL, and MLflow's own SQLite store at 20,000 runs in the same run.

    python bench/w7_scale.py                               # every size and store, MLflow at 20,000
    python bench/w7_scale.py --sizes 2000,20000 --stores sqlite --mlflow-runs 0 --no-ui
    python bench/w7_scale.py --postgres-uri postgresql://user@host/db   # an existing database
    python bench/w7_scale.py --workdir ~/w7                # keep the SQLite files for next time

Figures, each the median of ``--repeats`` after one untimed call:

- ``search_a/b/c``: the three fluent ``search_runs`` of w3 (a pandas DataFrame): (a) no
  filter, max 1,000; (b) ``metrics.m0 > 0.5 AND params.p1 = 'x'`` (about 1,000 runs at
  every size: the filler gives ``p1 = 'x'`` to 2,000 runs spread over the experiment);
  (c) order by ``metrics.m0 DESC``, max 100;
- ``page_50``: the client's no-filter search, page 50 of pages of 25 runs, fetched with
  the token of page 49 (the cost of that one request);
- ``runs_list``: ``runlab runs list -e ID`` (``mlflow runs list --experiment-id ID``) run
  in process through click's test runner, so interpreter start-up is left out;
- ``ui_first_runs``: the web UI's runs view of the experiment in headless Chromium, from
  navigation to the first frame showing a run (bench/ui_bench.py's harness; runlab also
  waits for the total), against ``runlab server`` (``mlflow server``) on the same data.

Each (library, store, size) is measured in a fresh interpreter (``--worker``). Targets at
100,000 runs: searches (a) and (c) under 20 ms, (b) under 30 ms, and no figure more than
3x its figure at 2,000 runs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SEARCHES: dict[str, dict[str, Any]] = {
    "search_a": {"max_results": 1000},
    "search_b": {"filter_string": "metrics.m0 > 0.5 AND params.p1 = 'x'"},
    "search_c": {"order_by": ["metrics.m0 DESC"], "max_results": 100},
}
PAGE_SIZE, PAGE = 25, 50
FIGURES = ("search_a", "search_b", "search_c", "page_50", "runs_list", "ui_first_runs")
LABELS = {
    "search_a": "search (a) no filter, max 1,000",
    "search_b": "search (b) metric+param filter",
    "search_c": "search (c) order by metric, max 100",
    "page_50": f"page {PAGE} of the no-filter search ({PAGE_SIZE} a page)",
    "runs_list": "`runs list` of the experiment",
    "ui_first_runs": "UI: first runs of the experiment",
}
TARGET_MS = {"search_a": 20.0, "search_b": 30.0, "search_c": 20.0}
GROWTH = 3.0  # at most this many times the figure at the smallest size


# ------------------------------------------------------------------ worker (one process)
def _median_ms(call: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    result = call()  # untimed: lazy imports, caches
    samples = []
    for _ in range(repeats):
        began = time.perf_counter()
        result = call()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples), result


def worker(sut: str, uri: str, experiment: str, repeats: int) -> dict[str, Any]:
    """The in-process figures of one library on one store (milliseconds, row counts)."""
    import importlib

    from click.testing import CliRunner

    lib: Any = importlib.import_module(sut)
    lib.set_tracking_uri(uri)
    client = lib.MlflowClient() if sut == "mlflow" else lib.RunlabClient()
    out: dict[str, Any] = {}
    for name, kwargs in SEARCHES.items():

        def search(kwargs: dict[str, Any] = kwargs) -> Any:
            return lib.search_runs(experiment_ids=[experiment], **kwargs)

        out[name], frame = _median_ms(search, repeats)
        out[f"{name}_rows"] = len(frame)
    token = None
    for _ in range(PAGE - 1):
        token = client.search_runs([experiment], max_results=PAGE_SIZE, page_token=token).token
    out["page_50"], found = _median_ms(
        lambda: client.search_runs([experiment], max_results=PAGE_SIZE, page_token=token),
        repeats,
    )
    out["page_50_rows"] = len(found)
    if sut == "mlflow":
        from mlflow.cli import cli

        argv, env = ["runs", "list", "--experiment-id", experiment], {"MLFLOW_TRACKING_URI": uri}
    else:
        from runlab.cli import cli

        argv, env = ["--tracking-uri", uri, "runs", "list", "-e", experiment], {}
    runner = CliRunner()

    def runs_list() -> Any:
        result = runner.invoke(cli, argv, env=env, catch_exceptions=False)
        if result.exit_code != 0:
            raise RuntimeError(result.output[-2000:])
        return result.output

    out["runs_list"], text = _median_ms(runs_list, repeats)
    out["runs_list_lines"] = text.count("\n")
    return out


def run_worker(sut: str, uri: str, experiment: str, repeats: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--worker", sut, uri, experiment, str(repeats)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(BENCH)])}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{sut} worker failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# ------------------------------------------------------------------ the web UI
def ui_first_runs(sut: str, uri: str, experiment: str, repeats: int, chromium: str) -> float:
    import ui_bench

    port = ui_bench.free_port()
    base = f"http://127.0.0.1:{port}"
    if sut == "mlflow":
        command = [sys.executable, "-m", "mlflow", "server", "--workers", "1"]
        command += ["--default-artifact-root", tempfile.mkdtemp(prefix="w7-mlartifacts-")]
        url = f"{base}/#/experiments/{experiment}/runs"
        ready = (
            "const walk = document.createTreeWalker(document.body || document,"
            " NodeFilter.SHOW_TEXT); while (walk.nextNode())"
            " if (/^run-\\d{6}$/.test(walk.currentNode.data.trim())) return true; return false"
        )
    else:
        command = [sys.executable, "-c", "from runlab.cli import main; main()", "server"]
        url = f"{base}/#/runs?e={experiment}"
        ready = (
            "return document.querySelector('.runs-table tbody tr[data-run-id]')"
            " && /\\d runs/.test(document.querySelector('.total')?.textContent || '')"
        )
    command += ["--host", "127.0.0.1", "--port", str(port), "--backend-store-uri", uri]
    log = Path(tempfile.mkdtemp(prefix="w7-ui-")) / f"{sut}-server.log"
    with ui_bench.serve(command, log, f"{base}/health"):
        figures = ui_bench.measure(chromium, {"ui": (url, ready)}, repeats, sut)
    return float(figures["ui"]) * 1000


# ------------------------------------------------------------------ data
@contextlib.contextmanager
def postgres(uri: str | None) -> Iterator[Callable[[int], str]]:
    """``make(n)`` → the URI of a new empty database: on ``uri``'s server, or on a
    throwaway cluster started as the tests start theirs (tests/_postgres.py)."""
    sys.path.insert(0, str(ROOT / "tests"))
    import _postgres

    info = None
    if uri is None:
        info = _postgres.start_cluster()
        server = _postgres.server_url(info)
    else:
        server = uri.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    made: list[str] = []

    def make(n: int) -> str:
        made.append(_postgres.create_database(server, prefix=f"w7_{n}"))
        return made[-1]

    try:
        yield make
    finally:
        for url in made:
            with contextlib.suppress(Exception):
                _postgres.drop_database(server, url.rsplit("/", 1)[1])
        if info is not None:
            _postgres.stop_cluster(info)


def filled(
    workdir: Path, name: str, n: int, fill: Callable[[str, int, str], str], uri: str | None = None
) -> tuple[str, str]:
    """(URI, experiment id) of a store holding ``n`` runs; SQLite files are kept in
    ``workdir`` and reused when a marker says they are complete."""
    folder = workdir / f"{name}-{n}"
    marker = folder / "filled.json"
    if uri is None and marker.exists():
        data = json.loads(marker.read_text())
        print(f"{name} {n:,}: reusing {folder}", flush=True)
        return data["uri"], data["experiment"]
    folder.mkdir(parents=True, exist_ok=True)
    uri = uri or f"sqlite:///{folder / 'runs.db'}"
    began = time.perf_counter()
    experiment = fill(uri, n, str(folder / "artifacts"))
    print(f"{name} {n:,}: filled in {time.perf_counter() - began:.1f}s", flush=True)
    if uri.startswith("sqlite"):
        marker.write_text(json.dumps({"uri": uri, "experiment": experiment}))
    return uri, experiment


# ------------------------------------------------------------------ report
def load_average() -> str:
    with contextlib.suppress(OSError):
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    return "unknown"


def _cell(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.1f} ms"


def table(results: dict[str, dict[int, dict[str, Any]]], mlflow: dict[str, Any] | None) -> str:
    """One Markdown row per store and figure: runlab at each size, the growth from the
    smallest to the largest size, MLflow at its size, and the targets' verdict."""
    sizes = sorted({n for by_size in results.values() for n in by_size})
    head = ["store", "figure", *(f"{n:,} runs" for n in sizes), "growth"]
    if mlflow:
        head.append(f"MLflow, {mlflow['runs']:,} runs")
    head.append("target at the largest size")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * 2 + "---:|" * (len(head) - 3) + "---|"]
    for store, by_size in results.items():
        for figure in FIGURES:
            values = [by_size.get(n, {}).get(figure) for n in sizes]
            if all(v is None for v in values):
                continue
            first, last = values[0], values[-1]
            growth = last / first if first and last else None
            verdicts = []
            if figure in TARGET_MS and last is not None:
                ok = last < TARGET_MS[figure]
                verdicts.append(f"< {TARGET_MS[figure]:.0f} ms {'met' if ok else 'missed'}")
            if growth is not None and len(sizes) > 1:
                verdicts.append(f"<= {GROWTH:.0f}x {'met' if growth <= GROWTH else 'missed'}")
            cells = [store, LABELS[figure], *(_cell(v) for v in values)]
            cells.append(f"x{growth:.2f}" if growth is not None else "-")
            if mlflow:
                cells.append(_cell(mlflow.get(figure)) if store == "sqlite" else "")
            cells.append(", ".join(verdicts) or "-")
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="2000,20000,100000", help="runs, comma-separated")
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--postgres-uri", help="a server to create databases on (else started)")
    parser.add_argument("--mlflow-runs", type=int, default=20_000, help="0: no MLflow figures")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--ui-repeats", type=int, default=3)
    parser.add_argument("--no-ui", action="store_true", help="leave out the browser figure")
    parser.add_argument(
        "--chromium", default=os.environ.get("RUNLAB_TEST_CHROMIUM", "/usr/bin/chromium")
    )
    parser.add_argument("--workdir", type=Path, help="keep SQLite data here, reuse it next time")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    stores = [s for s in args.stores.split(",") if s]

    sys.path[:0] = [str(ROOT / "src"), str(BENCH)]
    import _scale_fill

    results: dict[str, dict[int, dict[str, Any]]] = {}
    mlflow: dict[str, Any] | None = None
    load = [load_average()]
    with contextlib.ExitStack() as stack:
        if args.workdir:
            workdir = args.workdir.resolve()
        else:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="w7-")))
        make_pg = stack.enter_context(postgres(args.postgres_uri)) if "postgres" in stores else None
        for store in stores:
            for n in sizes:
                made = make_pg(n) if store == "postgres" and make_pg else None
                uri, experiment = filled(workdir, store, n, _scale_fill.fill_runlab, made)
                figures = run_worker("runlab", uri, experiment, args.repeats)
                if not args.no_ui:
                    figures["ui_first_runs"] = ui_first_runs(
                        "runlab", uri, experiment, args.ui_repeats, args.chromium
                    )
                results.setdefault(store, {})[n] = figures
                print(f"runlab {store} {n:,}: {json.dumps(figures)}", flush=True)
        if args.mlflow_runs:
            n = args.mlflow_runs
            uri, experiment = filled(workdir, "mlflow", n, _scale_fill.fill_mlflow)
            mlflow = {"runs": n, **run_worker("mlflow", uri, experiment, args.repeats)}
            if not args.no_ui:
                mlflow["ui_first_runs"] = ui_first_runs(
                    "mlflow", uri, experiment, args.ui_repeats, args.chromium
                )
            print(f"mlflow sqlite {n:,}: {json.dumps(mlflow)}", flush=True)
    load.append(load_average())
    print()
    print(table(results, mlflow))
    print(
        f"\nMedians of {args.repeats}; load average (1/5/15 min)"
        f" before: {load[0]}, after: {load[1]}"
    )
    if args.json:
        record = {"results": results, "mlflow": mlflow, "load": load, "repeats": args.repeats}
        args.json.write_text(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--worker":
        _, _, sut, uri, experiment, repeats = sys.argv
        print(json.dumps(worker(sut, uri, experiment, int(repeats))))
        raise SystemExit(0)
    raise SystemExit(main())
