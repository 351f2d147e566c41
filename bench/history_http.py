"""A metric history at scale over HTTP: one run with millions of points of one metric.

    python bench/history_http.py                     # 10,000,000 points
    python bench/history_http.py --points 1000000    # a smaller run
    python bench/history_http.py --json out.json

The points are written in bulk straight into a fresh SQLite store (``log_batch`` of
100,000 points, steps 0..n-1), then ``runlab server`` is started on it and timed from
this process over loopback:

- history: ``RunlabClient(server).get_metric_history(run_id, "loss")``, the whole
  history, which the REST store reads page by page from ``metrics/get-history``
  (25,000 points a page, MLflow's size); the figure is points per second received and
  parsed into the client's ``Metric`` list;
- chart: the web UI's chart request, ``GET /api/2.0/runlab/metrics/downsampled`` with
  ``max_points=2000&format=columns``, the median of ``--repeat`` calls after one
  untimed first call.

Targets (issue 17 item 5): history over 2,000,000 points/s, chart under 0.3 s.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BATCH = 100_000


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fill(uri: str, artifacts: Path, points: int) -> tuple[str, float]:
    from runlab.entities import Metric
    from runlab.store.sql.store import SqlStore

    store = SqlStore(uri, artifacts.as_uri())
    eid = store.create_experiment("history-bench")
    run_id = store.create_run(eid, "bench", 0, {}, "ten-million").run_id
    began = time.perf_counter()
    for start in range(0, points, BATCH):
        batch = [
            Metric("loss", 1.0 / (i + 1) + (i % 97) * 1e-4, 1_700_000_000_000 + i, i)
            for i in range(start, min(points, start + BATCH))
        ]
        store.log_batch(run_id, metrics=batch)
    took = time.perf_counter() - began
    store.close()
    return run_id, took


@contextlib.contextmanager
def serve(folder: Path, uri: str, src: Path) -> Any:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(src)}
    cmd = [sys.executable, "-c", "from runlab.cli import main; main()", "server"]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--backend-store-uri", uri]
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        began = time.perf_counter()
        while True:
            with contextlib.suppress(OSError, http.client.HTTPException):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/health")
                if conn.getresponse().status == 200:
                    break
            if process.poll() is not None or time.perf_counter() - began > 120:
                raise RuntimeError((folder / "server.log").read_text()[-3000:])
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(60)
        log.close()


def chart(port: int, run_id: str, repeat: int) -> tuple[float, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    path = (
        f"/api/2.0/runlab/metrics/downsampled?run_id={run_id}&metric_key=loss"
        "&max_points=2000&format=columns"
    )
    times, count = [], 0
    for _ in range(repeat + 1):
        began = time.perf_counter()
        conn.request("GET", path)
        answer = conn.getresponse()
        body = json.loads(answer.read())
        times.append(time.perf_counter() - began)
        if answer.status != 200:
            raise RuntimeError(f"downsampled: {answer.status} {body}")
        count = len(body["step"])
    return round(statistics.median(times[1:]), 3), count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="runlab's source")
    args = parser.parse_args()
    sys.path.insert(0, str(args.src.resolve()))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        uri = f"sqlite:///{folder / 'db.sqlite'}"
        run_id, fill_s = fill(uri, folder / "artifacts", args.points)
        out: dict[str, Any] = {"points": args.points, "fill_s": round(fill_s, 1)}
        out["fill_points_per_s"] = round(args.points / fill_s)
        with serve(folder, uri, args.src.resolve()) as port:
            out["chart_s"], out["chart_points"] = chart(port, run_id, args.repeat)
            from runlab.tracking.client import RunlabClient

            client = RunlabClient(f"http://127.0.0.1:{port}")
            began = time.perf_counter()
            history = client.get_metric_history(run_id, "loss")
            took = time.perf_counter() - began
            if len(history) != args.points or history[-1].step != args.points - 1:
                raise RuntimeError(f"history: {len(history)} of {args.points} points")
            out["history_s"] = round(took, 2)
            out["history_points_per_s"] = round(args.points / took)
            del history
        out["load_average"] = [round(x, 1) for x in os.getloadavg()]
    print(json.dumps(out), flush=True)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
