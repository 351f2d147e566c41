"""Write throughput of a tracking server on PostgreSQL: 32 clients logging at once.

    python bench/server_writes.py                  # runlab and MLflow, 1 and 2 worker processes
    python bench/server_writes.py --quick          # fewer epochs: a smoke run
    python bench/server_writes.py --sut runlab --workers 2 --json out.json

Each case gets a fresh database on a PostgreSQL cluster that the script starts for itself
(the same starter as the test suite, ``tests/_postgres.py``), one server
(``runlab server`` or ``mlflow server``) with ``--workers N`` on a free loopback port,
and the same clients: ``--clients`` threads (spread over ``--client-processes``
processes so the clients' own Python does not bottleneck on one interpreter lock)
speaking MLflow's REST API over one keep-alive connection each (the standard
library's ``http.client``, which costs the clients little CPU). Both
servers get exactly the same requests, so the comparison is between servers, not
client libraries.

Each client plays ``--runs`` training runs, one after the other:

- ``runs/create``;
- one ``runs/log-batch`` with 10 params and 2 tags;
- per epoch (``--epochs``): one ``runs/log-batch`` with the epoch's step metrics
  (10 keys x 5 steps = 50 points), then three ``runs/log-metric`` calls
  (``val_loss``, ``val_acc``, ``lr``);
- ``runs/update`` to FINISHED.

MLflow's server gets one database connection per client
(``MLFLOW_SQLALCHEMYSTORE_POOL_SIZE``; with its defaults, 5 + 10 per worker and a 30 s
wait, the pool runs dry under this load and requests fail) and runs without its job
runner; ``--mlflow-defaults`` keeps its defaults. runlab keeps its own.

The clock runs from the moment all clients are connected and released together until the
last one is done. Any answer other than 200, and any exception, counts as an error; after
each case the script counts the rows of ``runs``, ``params`` and ``metrics`` in the
database (both servers use those table names) and fails the case if a row is missing or
doubled. The exit code is 1 if any case had an error or a wrong count.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import multiprocessing as mp
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from _proc import cpu_seconds

ROOT = Path(__file__).resolve().parent.parent
API = "/api/2.0/mlflow"
PARAMS = 10
STEP_KEYS = 10
STEPS_PER_EPOCH = 5
EPOCH_KEYS = ("val_loss", "val_acc", "lr")
STARTUP_TIMEOUT = 300.0  # MLflow runs dozens of migrations on a fresh database
_TALLY_LOCK = threading.Lock()  # the threads of one client process share one tally


# --------------------------------------------------------------------------- the workload
@dataclass(frozen=True)
class Workload:
    clients: int
    client_processes: int
    runs: int
    epochs: int

    @property
    def requests_per_run(self) -> int:
        return 3 + self.epochs * (1 + len(EPOCH_KEYS))

    @property
    def points_per_run(self) -> int:
        return self.epochs * (STEP_KEYS * STEPS_PER_EPOCH + len(EPOCH_KEYS))

    @property
    def total_runs(self) -> int:
        return self.clients * self.runs


@dataclass
class ClientTally:
    requests: int = 0
    points: int = 0
    errors: int = 0
    first_errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    started: float = float("inf")
    ended: float = 0.0
    cpu: float = 0.0  # CPU seconds of the client processes while they ran

    def merge(self, other: ClientTally) -> None:
        self.requests += other.requests
        self.points += other.points
        self.errors += other.errors
        self.first_errors += other.first_errors[: 5 - len(self.first_errors)]
        self.latencies += other.latencies
        self.started = min(self.started, other.started)
        self.ended = max(self.ended, other.ended)
        self.cpu += other.cpu


class Connection:
    """One keep-alive HTTP/1.1 connection with the standard library's client: it costs the
    client a fraction of a millisecond per request, so the clients do not compete with the
    server for the machine's CPU more than they must."""

    def __init__(self, base_url: str) -> None:
        from urllib.parse import urlsplit

        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=300)
        headers = {"Content-Type": "application/json"} if body is not None else {}
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            return response.status, response.read()
        except Exception:
            self.conn.close()
            self.conn = None  # a fresh connection for the next request
            raise

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def one_client(
    base_url: str, experiment_id: str, name: str, work: Workload, go: Any, tally: ClientTally
) -> None:
    lock = _TALLY_LOCK
    connection = Connection(base_url)
    try:
        status, _ = connection.request("GET", "/health")  # connected before the clock starts
        assert status == 200, status
        go.wait()

        def post(endpoint: str, body: dict[str, Any], points: int = 0) -> dict[str, Any]:
            began = time.monotonic()
            answer: dict[str, Any] = {}
            payload = json.dumps(body).encode()
            try:
                status, data = connection.request("POST", f"{API}/{endpoint}", payload)
            except Exception as exc:
                error: str | None = f"{endpoint}: {type(exc).__name__}: {exc}"
            else:
                error = None
                if status != 200:
                    error = f"{endpoint}: HTTP {status}: {data[:200].decode(errors='replace')}"
                else:
                    answer = json.loads(data)
            took = time.monotonic() - began
            with lock:
                tally.requests += 1
                tally.latencies.append(took)
                if error is None:
                    tally.points += points
                else:
                    tally.errors += 1
                    if len(tally.first_errors) < 5:
                        tally.first_errors.append(error)
            return answer

        started = time.monotonic()
        for r in range(work.runs):
            now = int(time.time() * 1000)
            created = post(
                "runs/create",
                {"experiment_id": experiment_id, "run_name": f"{name}-{r}", "start_time": now},
            )
            run_id = created.get("run", {}).get("info", {}).get("run_id", "missing")
            post(
                "runs/log-batch",
                {
                    "run_id": run_id,
                    "params": [{"key": f"param_{i}", "value": str(i * 0.1)} for i in range(PARAMS)],
                    "tags": [
                        {"key": "client", "value": name},
                        {"key": "model", "value": "resnet"},
                    ],
                },
            )
            for epoch in range(work.epochs):
                ts = int(time.time() * 1000)
                steps = range(epoch * STEPS_PER_EPOCH, (epoch + 1) * STEPS_PER_EPOCH)
                metrics = [
                    {"key": f"train_{k}", "value": 1.0 / (s + k + 1), "timestamp": ts, "step": s}
                    for s in steps
                    for k in range(STEP_KEYS)
                ]
                post("runs/log-batch", {"run_id": run_id, "metrics": metrics}, len(metrics))
                for i, key in enumerate(EPOCH_KEYS):
                    body = {
                        "run_id": run_id,
                        "key": key,
                        "value": 0.5 / (epoch + i + 1),
                        "timestamp": ts,
                        "step": epoch,
                    }
                    post("runs/log-metric", body, 1)
            post(
                "runs/update",
                {"run_id": run_id, "status": "FINISHED", "end_time": int(time.time() * 1000)},
            )
        ended = time.monotonic()
    finally:
        connection.close()
    with lock:
        tally.started = min(tally.started, started)
        tally.ended = max(tally.ended, ended)


def client_process(
    base_url: str,
    experiment_id: str,
    index: int,
    threads: int,
    work: Workload,
    ready: Any,
    go: Any,
    results: Any,
) -> None:
    """``threads`` clients in this process; reports one merged tally."""
    tally = ClientTally()
    workers = [
        threading.Thread(
            target=one_client,
            args=(base_url, experiment_id, f"c{index}-{t}", work, go, tally),
        )
        for t in range(threads)
    ]
    for worker in workers:
        worker.start()
    cpu_before = time.process_time()
    ready.put(index)
    for worker in workers:
        worker.join()
    tally.cpu = time.process_time() - cpu_before
    results.put(asdict(tally))


def drive(base_url: str, experiment_id: str, work: Workload) -> ClientTally:
    ctx = mp.get_context("spawn")
    ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    per_process = [
        work.clients // work.client_processes
        + (1 if i < work.clients % work.client_processes else 0)
        for i in range(work.client_processes)
    ]
    procs = [
        ctx.Process(
            target=client_process,
            args=(base_url, experiment_id, i, n, work, ready, go, results),
        )
        for i, n in enumerate(per_process)
        if n
    ]
    for proc in procs:
        proc.start()
    for _ in procs:
        ready.get(timeout=300)
    time.sleep(1.0)  # every thread has sent its /health and waits on the event
    go.set()
    total = ClientTally()
    for _ in procs:
        total.merge(ClientTally(**results.get(timeout=3600)))
    for proc in procs:
        proc.join(timeout=60)
    return total


# --------------------------------------------------------------------------- servers
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_command(sut: str, db_url: str, port: int, workers: int, artifacts: Path) -> list[str]:
    common = ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    common += ["--backend-store-uri", db_url, "--artifacts-destination", str(artifacts)]
    if sut == "runlab":
        return [sys.executable, "-c", "from runlab.cli import main; main()", "server", *common]
    return [sys.executable, "-m", "mlflow", "server", *common]


@contextlib.contextmanager
def serve(
    command: list[str], base_url: str, log_path: Path, extra_env: dict[str, str]
) -> Iterator[int]:
    import httpx

    env = {
        **os.environ,
        **extra_env,
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH")) if p
        ),
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.3)
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(30)


def row_counts(db_url: str, experiment_id: str) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    in_experiment = "run_uuid IN (SELECT run_uuid FROM runs WHERE experiment_id = :e)"
    try:
        with engine.connect() as conn:
            return {
                table: int(
                    conn.execute(
                        text(
                            f"SELECT count(*) FROM {table} WHERE "
                            + ("experiment_id = :e" if table == "runs" else in_experiment)
                        ),
                        {"e": int(experiment_id)},
                    ).scalar_one()
                )
                for table in ("runs", "params", "metrics")
            }
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- one case
def server_env(sut: str, work: Workload, mlflow_defaults: bool) -> dict[str, str]:
    """MLflow's server as favourable as it gets for this workload, unless ``mlflow_defaults``.

    Its default pool (5 + 10 connections per worker, 30 s wait) runs dry under 32 clients
    on a busy machine and answers 400, so it gets one connection per client; and its job
    runner (a dozen huey consumer processes, unrelated to tracking writes) is left off so
    that it takes no CPU from the server. runlab keeps its defaults (10 + 10 connections).
    """
    if sut != "mlflow" or mlflow_defaults:
        return {}
    return {
        "MLFLOW_SQLALCHEMYSTORE_POOL_SIZE": str(work.clients),
        "MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW": "10",
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    }


def run_case(
    sut: str,
    workers: int,
    work: Workload,
    cluster: str,
    postmaster: int,
    tmp: Path,
    mlflow_defaults: bool,
) -> dict[str, Any]:
    import httpx

    import _postgres

    db_url = _postgres.create_database(cluster, prefix=f"bench_{sut}")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = tmp / f"{sut}-{workers}.log"
    command = server_command(sut, db_url, port, workers, tmp / f"{sut}-{workers}-artifacts")
    try:
        extra_env = server_env(sut, work, mlflow_defaults)
        with serve(command, base_url, log_path, extra_env) as pid:
            answer = httpx.post(
                f"{base_url}{API}/experiments/create", json={"name": "bench"}, timeout=60
            )
            answer.raise_for_status()
            experiment_id = answer.json()["experiment_id"]
            cpu_before, db_cpu_before = cpu_seconds(pid), cpu_seconds(postmaster)
            tally = drive(base_url, experiment_id, work)
            server_cpu = cpu_seconds(pid) - cpu_before
            db_cpu = cpu_seconds(postmaster) - db_cpu_before
            counts = row_counts(db_url, experiment_id)
    finally:
        _postgres.drop_database(cluster, db_url.rsplit("/", 1)[1])
    expected = {
        "runs": work.total_runs,
        "params": work.total_runs * PARAMS,
        "metrics": work.total_runs * work.points_per_run,
    }
    seconds = tally.ended - tally.started
    latencies = sorted(tally.latencies)
    return {
        "sut": sut,
        "workers": workers,
        "server_env": extra_env,
        "requests": tally.requests,
        "points": tally.points,
        "errors": tally.errors,
        "first_errors": tally.first_errors,
        "seconds": seconds,
        "requests_per_s": tally.requests / seconds,
        "points_per_s": tally.points / seconds,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
        "server_cpu_ms_per_request": 1000 * server_cpu / max(1, tally.requests),
        "postgres_cpu_ms_per_request": 1000 * db_cpu / max(1, tally.requests),
        "client_cpu_ms_per_request": 1000 * tally.cpu / max(1, tally.requests),
        "rows": counts,
        "rows_expected": expected,
        "rows_ok": counts == expected,
    }


# --------------------------------------------------------------------------- output
def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| server | worker processes | requests | points | errors | rows check | seconds "
        "| requests/s | points/s | p50 ms | p99 ms | CPU ms/request: server, PostgreSQL, "
        "clients |",
        "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['sut']} | {r['workers']} | {r['requests']:,} | {r['points']:,} "
            f"| {r['errors']} | {'ok' if r['rows_ok'] else 'WRONG'} | {r['seconds']:.1f} "
            f"| {r['requests_per_s']:,.0f} | {r['points_per_s']:,.0f} "
            f"| {r['p50_ms']:.1f} | {r['p99_ms']:.1f} "
            f"| {r['server_cpu_ms_per_request']:.2f}, {r['postgres_cpu_ms_per_request']:.2f}, "
            f"{r['client_cpu_ms_per_request']:.2f} |"
        )
    by_key = {(r["sut"], r["workers"]): r for r in results}
    ratios = []
    for workers in sorted({r["workers"] for r in results}):
        ours, theirs = by_key.get(("runlab", workers)), by_key.get(("mlflow", workers))
        if ours and theirs:
            cpu = theirs["server_cpu_ms_per_request"] / ours["server_cpu_ms_per_request"]
            ratios.append(
                f"| {workers} | ×{ours['requests_per_s'] / theirs['requests_per_s']:.1f} "
                f"| ×{ours['points_per_s'] / theirs['points_per_s']:.1f} | ×{cpu:.1f} |"
            )
    if ratios:
        lines += [
            "",
            "| worker processes | requests/s, runlab / MLflow | points/s, runlab / MLflow "
            "| server CPU per request, MLflow / runlab |",
            "|---:|---:|---:|---:|",
            *ratios,
        ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sut", choices=("both", "runlab", "mlflow"), default="both")
    parser.add_argument(
        "--workers", default="1,2", help="comma-separated worker counts [default: 1,2]"
    )
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument("--runs", type=int, default=2, help="runs per client [default: 2]")
    parser.add_argument("--epochs", type=int, default=20, help="epochs per run [default: 20]")
    parser.add_argument("--quick", action="store_true", help="1 run of 5 epochs per client")
    parser.add_argument(
        "--mlflow-defaults",
        action="store_true",
        help="run MLflow with its own defaults: a pool of 5 + 10 connections per worker and "
        "its job runner on",
    )
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()

    work = Workload(
        clients=args.clients,
        client_processes=max(1, min(args.client_processes, args.clients)),
        runs=1 if args.quick else args.runs,
        epochs=5 if args.quick else args.epochs,
    )
    suts = ("runlab", "mlflow") if args.sut == "both" else (args.sut,)
    worker_counts = [int(w) for w in args.workers.split(",") if w.strip()]

    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(ROOT / "tests"))  # tests/_postgres.py: the cluster starter
    import _postgres

    print(
        f"{work.clients} clients x {work.runs} runs x ({work.requests_per_run} requests, "
        f"{work.points_per_run} metric points) per case; {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f}; PostgreSQL starting...",
        flush=True,
    )
    info = _postgres.start_cluster()
    results: list[dict[str, Any]] = []
    try:
        cluster = _postgres.server_url(info)
        pid_file = Path(info["root"]) / "data" / "postmaster.pid"
        postmaster = int(pid_file.read_text().split()[0])
        with tempfile.TemporaryDirectory(prefix="runlab-server-writes-") as tmp:
            for workers in worker_counts:
                for sut in suts:
                    print(f"{sut}, {workers} worker process(es)...", flush=True)
                    result = run_case(
                        sut, workers, work, cluster, postmaster, Path(tmp), args.mlflow_defaults
                    )
                    results.append(result)
                    print(
                        f"  {result['requests_per_s']:,.0f} requests/s, "
                        f"{result['points_per_s']:,.0f} points/s, {result['errors']} errors, "
                        f"rows {'ok' if result['rows_ok'] else result['rows']}",
                        flush=True,
                    )
                    for error in result["first_errors"]:
                        print(f"  error: {error}", flush=True)
    finally:
        _postgres.stop_cluster(info)

    print()
    print(table(results))
    if args.json:
        meta = {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
            "workload": asdict(work),
        }
        args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    failed = [r for r in results if r["errors"] or not r["rows_ok"]]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
