"""A bounded mixed load on a tracking server: throughput, latency, errors, nothing lost.

    python bench/load_mixed.py                          # 32 then 64 clients, SQLite and PostgreSQL
    python bench/load_mixed.py --clients 32 --seconds 10 --stores sqlite
    python bench/load_mixed.py --json out.json

Each case starts one ``runlab server`` on a free loopback port: on a fresh SQLite file
(one worker process) or on a fresh database of a PostgreSQL cluster the script starts for
itself (``--pg-workers`` processes, 2 by default). Then ``--clients`` clients, threads
spread over a few processes, each speaking MLflow's REST API on one keep-alive connection
(the same client as ``bench/server_writes.py``), create one run each and loop until the
clock runs out (``--seconds``), every ten calls being:

- 7 ``runs/log-batch`` of 20 metric points (2 keys x 10 steps, steps never repeated);
- 2 ``metrics/get-history`` of the client's own run;
- 1 ``runs/search`` over the experiment with a metric filter and order-by, 50 results.

The loop stops at the deadline, so the test is bounded in time, and every request goes to
127.0.0.1. Any answer other than 200, and any exception, is an error. Afterwards the
script counts the metric rows of the experiment in the database and compares them with
the points the clients saw acknowledged (answered 200): they must be equal. The exit code
is 1 if any case had an error or a count that differs.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from server_writes import API, ROOT, Connection, free_port, row_counts, serve

KEYS = ("loss", "accuracy")
STEPS_PER_BATCH = 10
CALLS = ("log-batch",) * 7 + ("get-history",) * 2 + ("search",)
_LOCK = threading.Lock()


@dataclass
class Tally:
    points: int = 0
    errors: int = 0
    first_errors: list[str] = field(default_factory=list)
    latencies: dict[str, list[float]] = field(default_factory=dict)

    def merge(self, other: Tally) -> None:
        self.points += other.points
        self.errors += other.errors
        self.first_errors += other.first_errors[: 5 - len(self.first_errors)]
        for call, values in other.latencies.items():
            self.latencies.setdefault(call, []).extend(values)


def one_client(
    base_url: str, experiment_id: str, name: str, seconds: float, go: Any, tally: Tally
) -> None:
    connection = Connection(base_url)

    def call(kind: str, method: str, path: str, body: dict[str, Any] | None, points: int) -> Any:
        began = time.monotonic()
        payload = json.dumps(body).encode() if body is not None else None
        answer = None
        try:
            status, data = connection.request(method, f"{API}/{path}", payload)
        except Exception as exc:
            error: str | None = f"{kind}: {type(exc).__name__}: {exc}"
        else:
            error = None if status == 200 else f"{kind}: HTTP {status}: {data[:200]!r}"
            if error is None:
                answer = json.loads(data)
        took = time.monotonic() - began
        with _LOCK:
            tally.latencies.setdefault(kind, []).append(took)
            if error is None:
                tally.points += points
            else:
                tally.errors += 1
                if len(tally.first_errors) < 5:
                    tally.first_errors.append(error)
        return answer

    try:
        status, _ = connection.request("GET", "/health")  # connected before the clock starts
        assert status == 200, status
        go.wait()
        created = call(
            "create", "POST", "runs/create", {"experiment_id": experiment_id, "run_name": name}, 0
        )
        run_id = (created or {}).get("run", {}).get("info", {}).get("run_id", "missing")
        deadline, step, i = time.monotonic() + seconds, 0, 0
        while time.monotonic() < deadline:
            kind = CALLS[i % len(CALLS)]
            i += 1
            if kind == "log-batch":
                ts = int(time.time() * 1000)
                metrics = [
                    {"key": k, "value": 1.0 / (s + 1), "timestamp": ts, "step": s}
                    for s in range(step, step + STEPS_PER_BATCH)
                    for k in KEYS
                ]
                step += STEPS_PER_BATCH
                call(
                    kind,
                    "POST",
                    "runs/log-batch",
                    {"run_id": run_id, "metrics": metrics},
                    len(metrics),
                )
            elif kind == "get-history":
                query = urlencode({"run_id": run_id, "metric_key": KEYS[i % 2]})
                call(kind, "GET", f"metrics/get-history?{query}", None, 0)
            else:
                body = {
                    "experiment_ids": [experiment_id],
                    "filter": "metrics.loss < 0.5",
                    "order_by": ["metrics.accuracy DESC"],
                    "max_results": 50,
                }
                call(kind, "POST", "runs/search", body, 0)
    finally:
        connection.close()


def client_process(
    base_url: str,
    experiment_id: str,
    index: int,
    threads: int,
    seconds: float,
    ready: Any,
    go: Any,
    results: Any,
) -> None:
    tally = Tally()
    workers = [
        threading.Thread(
            target=one_client, args=(base_url, experiment_id, f"c{index}-{t}", seconds, go, tally)
        )
        for t in range(threads)
    ]
    for worker in workers:
        worker.start()
    ready.put(index)
    for worker in workers:
        worker.join()
    results.put(asdict(tally))


def drive(base_url: str, experiment_id: str, clients: int, processes: int, seconds: float) -> Tally:
    ctx = mp.get_context("spawn")
    ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    shares = [
        clients // processes + (1 if i < clients % processes else 0) for i in range(processes)
    ]
    procs = [
        ctx.Process(
            target=client_process,
            args=(base_url, experiment_id, i, n, seconds, ready, go, results),
        )
        for i, n in enumerate(shares)
        if n
    ]
    for proc in procs:
        proc.start()
    for _ in procs:
        ready.get(timeout=300)
    time.sleep(1.0)  # every thread has sent its /health and waits on the event
    go.set()
    total = Tally()
    for _ in procs:
        total.merge(Tally(**results.get(timeout=seconds + 600)))
    for proc in procs:
        proc.join(timeout=60)
    return total


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[int(q * (len(ordered) - 1))] if ordered else float("nan")


def run_case(
    store: str, db_url: str, workers: int, clients: int, seconds: float, tmp: Path
) -> dict[str, Any]:
    import httpx

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-c",
        "from runlab.cli import main; main()",
        "server",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--backend-store-uri",
        db_url,
        "--artifacts-destination",
        str(tmp / f"artifacts-{store}-{clients}"),
    ]
    with serve(command, base_url, tmp / f"{store}-{clients}.log", {}):
        answer = httpx.post(
            f"{base_url}{API}/experiments/create", json={"name": f"load-{clients}"}, timeout=60
        )
        answer.raise_for_status()
        experiment_id = answer.json()["experiment_id"]
        began = time.monotonic()
        tally = drive(base_url, experiment_id, clients, min(4, clients), seconds)
        elapsed = time.monotonic() - began - 1.0  # less the start-line pause
    stored = row_counts(db_url, experiment_id)["metrics"]
    every = [v for values in tally.latencies.values() for v in values]
    return {
        "store": store,
        "workers": workers,
        "clients": clients,
        "seconds": seconds,
        "requests": len(every),
        "requests_per_s": len(every) / elapsed,
        "points_acknowledged": tally.points,
        "points_stored": stored,
        "points_per_s": tally.points / elapsed,
        "errors": tally.errors,
        "first_errors": tally.first_errors,
        "p50_ms": 1000 * statistics.median(every) if every else float("nan"),
        "p99_ms": percentile(every, 0.99),
        "p99_ms_by_call": {k: percentile(v, 0.99) for k, v in sorted(tally.latencies.items())},
        "load_average": os.getloadavg()[0],
    }


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| store | server processes | clients | requests/s | points/s | p50 ms | p99 ms "
        "| p99 ms: log-batch, get-history, search | errors | points acknowledged = stored |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|---|",
    ]
    for r in results:
        by_call = r["p99_ms_by_call"]
        calls = ", ".join(
            f"{by_call.get(k, float('nan')):.0f}" for k in ("log-batch", "get-history", "search")
        )
        same = "yes" if r["points_acknowledged"] == r["points_stored"] else "NO"
        lines.append(
            f"| {r['store']} | {r['workers']} | {r['clients']} | {r['requests_per_s']:,.0f} "
            f"| {r['points_per_s']:,.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {calls} "
            f"| {r['errors']} | {same} ({r['points_acknowledged']:,} / {r['points_stored']:,}) |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", default="32,64", help="comma-separated [default: 32,64]")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--pg-workers", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    client_counts = [int(c) for c in args.clients.split(",") if c.strip()]
    stores = [s.strip() for s in args.stores.split(",") if s.strip()]

    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(ROOT / "tests"))  # tests/_postgres.py: the cluster starter
    import _postgres

    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    results: list[dict[str, Any]] = []
    info = _postgres.start_cluster() if "postgres" in stores else None
    try:
        with tempfile.TemporaryDirectory(prefix="runlab-load-") as tmp_name:
            tmp = Path(tmp_name)
            for clients in client_counts:
                for store in stores:
                    if store == "sqlite":
                        db_url, workers = f"sqlite:///{tmp / f'load-{clients}.db'}", 1
                    else:
                        assert info is not None
                        db_url = _postgres.create_database(_postgres.server_url(info), "load")
                        workers = args.pg_workers
                    print(f"{store}, {workers} process(es), {clients} clients...", flush=True)
                    result = run_case(store, db_url, workers, clients, args.seconds, tmp)
                    results.append(result)
                    print(
                        f"  {result['requests_per_s']:,.0f} requests/s, {result['errors']} errors",
                        flush=True,
                    )
                    for error in result["first_errors"]:
                        print(f"  error: {error}", flush=True)
    finally:
        if info is not None:
            _postgres.stop_cluster(info)
    print()
    print(table(results))
    if args.json:
        meta = {"python": platform.python_version(), "cpus": os.cpu_count()}
        args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    bad = [r for r in results if r["errors"] or r["points_acknowledged"] != r["points_stored"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
