"""A run search over HTTP, server start-up time and memory: runlab server vs mlflow server.

    python bench/search_http.py                  # runlab and MLflow
    python bench/search_http.py --sut runlab     # runlab only
    python bench/search_http.py --json out.json
    python bench/search_http.py --sut runlab --src ../other/src   # another checkout's runlab

Each server gets a fresh SQLite database in a temporary folder and the same requests,
sent with the standard library's ``http.client`` over one keep-alive connection:

- start-up: from ``Popen`` to the first ``200`` from ``/health`` (polled every 10 ms),
  once on a new database and once on the filled one (then the server's RSS, process
  tree, from /proc);
- fill: 2,000 runs, each with 10 params, 5 tags and 10 metrics (one ``log-batch``),
  half of them with ``params.group = 'a'``;
- search: ``runs/search`` for ``params.group = 'a'`` ordered by ``metrics.m0``, one page
  of 1,000 runs; the median of ``--repeat`` calls, once as plain JSON and once with
  ``Accept-Encoding: gzip`` (the time includes reading the whole body);
- RSS again after the searches. Byte counts are as sent (compressed or not).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RUNS, PAGE = 2000, 1000


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants, in MB."""
    kids: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        with contextlib.suppress(OSError, ValueError):
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines())
            me = int(status.parent.name)
            kids.setdefault(int(fields["PPid"]), []).append(me)
            rss[me] = int(fields.get("VmRSS", "0 kB").split()[0])
    total, todo = 0, [pid]
    while todo:
        now = todo.pop()
        total += rss.get(now, 0)
        todo += kids.get(now, [])
    return total / 1024


def command(sut: str, folder: Path, port: int) -> list[str]:
    common = ["--host", "127.0.0.1", "--port", str(port)]
    common += ["--backend-store-uri", f"sqlite:///{folder / 'db.sqlite'}"]
    common += ["--artifacts-destination", str(folder / "artifacts")]
    if sut == "runlab":
        return [sys.executable, "-c", "from runlab.cli import main; main()", "server", *common]
    return [sys.executable, "-m", "mlflow", "server", "--workers", "1", *common]


class Conn:
    def __init__(self, port: int) -> None:
        self.http = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.wire_bytes = 0  # of the last answer, as sent

    def call(self, path: str, body: Any = None, gzip_ok: bool = False) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/json"}
        if gzip_ok:
            headers["Accept-Encoding"] = "gzip"
        data = None if body is None else json.dumps(body).encode()
        self.http.request("GET" if body is None else "POST", path, data, headers)
        answer = self.http.getresponse()
        raw = answer.read()
        self.wire_bytes = len(raw)
        if answer.getheader("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        return answer.status, raw

    def ok(self, path: str, body: Any) -> Any:
        status, raw = self.call(f"/api/2.0/mlflow/{path}", body)
        if status != 200:
            raise RuntimeError(f"{path}: {status} {raw[:300]!r}")
        return json.loads(raw)


@contextlib.contextmanager
def serve(
    sut: str, folder: Path, src: Path
) -> Iterator[tuple[subprocess.Popen[bytes], int, float]]:
    port = free_port()
    # bytecode cached as an installed package has it (in the case's folder, not the
    # source tree), even where the environment turns caching off: the first start
    # compiles, the second reads the cache
    env = {**os.environ, "PYTHONPATH": str(src), "PYTHONPYCACHEPREFIX": str(folder / "pyc")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    log = (folder / "server.log").open("wb")
    began = time.perf_counter()
    process = subprocess.Popen(
        command(sut, folder, port), env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        while True:
            with contextlib.suppress(OSError, http.client.HTTPException):
                if Conn(port).call("/health")[0] == 200:
                    break
            if process.poll() is not None or time.perf_counter() - began > 120:
                raise RuntimeError((folder / "server.log").read_text()[-3000:])
            time.sleep(0.01)
        yield process, port, time.perf_counter() - began
    finally:
        process.terminate()
        process.wait(60)
        log.close()


def fill(conn: Conn) -> str:
    eid = conn.ok("experiments/create", {"name": "search-bench"})["experiment_id"]
    for i in range(RUNS):
        run_id = conn.ok("runs/create", {"experiment_id": eid, "start_time": i})["run"]["info"][
            "run_id"
        ]
        params = [{"key": f"p{k}", "value": str(i * k)} for k in range(9)]
        params.append({"key": "group", "value": "a" if i % 2 else "b"})
        tags = [{"key": f"t{k}", "value": f"tag value {k}"} for k in range(5)]
        metrics = [
            {"key": f"m{k}", "value": (i * 7 + k) % 101 / 3, "timestamp": i, "step": 3}
            for k in range(10)
        ]
        conn.ok("runs/log-batch", {"run_id": run_id, "params": params, "tags": tags,
                                   "metrics": metrics})  # fmt: skip
    return eid


def search(conn: Conn, eid: str, repeat: int, gzip_ok: bool) -> tuple[float, int]:
    body = {"experiment_ids": [eid], "filter": "params.group = 'a'", "max_results": PAGE,
            "order_by": ["metrics.m0 DESC"]}  # fmt: skip
    times, size = [], 0
    for _ in range(repeat + 1):
        began = time.perf_counter()
        status, raw = conn.call("/api/2.0/mlflow/runs/search", body, gzip_ok)
        times.append(time.perf_counter() - began)
        if status != 200 or len(json.loads(raw)["runs"]) != PAGE:
            raise RuntimeError(f"runs/search: {status} {raw[:300]!r}")
        size = conn.wire_bytes
    return round(statistics.median(times[1:]) * 1000, 1), size  # the first call warms caches


def case(sut: str, repeat: int, src: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with serve(sut, folder, src) as (proc, port, up):
            out: dict[str, Any] = {"sut": sut, "startup_new_db_s": round(up, 3)}
            conn = Conn(port)
            began = time.perf_counter()
            eid = fill(conn)
            out["fill_s"] = round(time.perf_counter() - began, 1)
        # start-up on the filled database, as a server usually starts
        with serve(sut, folder, src) as (proc, port, up):
            out["startup_s"] = round(up, 3)
            out["rss_start_mb"] = round(rss_mb(proc.pid), 1)
            conn = Conn(port)
            out["search_ms"], out["json_bytes"] = search(conn, eid, repeat, gzip_ok=False)
            out["search_gzip_ms"], out["gzip_bytes"] = search(conn, eid, repeat, gzip_ok=True)
            out["rss_after_mb"] = round(rss_mb(proc.pid), 1)
        return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sut", choices=["runlab", "mlflow", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="runlab's source")
    args = parser.parse_args()
    suts = ["runlab", "mlflow"] if args.sut == "both" else [args.sut]
    results = []
    for sut in suts:
        results.append(case(sut, args.repeat, args.src.resolve()))
        print(json.dumps(results[-1]), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
