"""Import speed: one million metric points over 1,000 runs, from an MLflow SQLite database
into a fresh runlab SQLite store. Target: under 20 s.

    PYTHONPATH=$PWD/src python bench/migrate_import.py               # 1,000 runs x 1,000 points
    PYTHONPATH=$PWD/src python bench/migrate_import.py --runs 100    # a smoke run
    PYTHONPATH=$PWD/src python bench/migrate_import.py --json out.json

The source database gets its schema from the real mlflow (3.17.2: it creates an
experiment, so every table and migration is MLflow's own); the runs are then written
straight into its tables with sqlite3, which takes seconds where MLflow's client would
take minutes. Each run has 10 params, 5 tags and 1,000 points of one metric (steps
0..999, a NaN among them). The clock covers the import only (reading the MLflow
database, writing runlab's), not the verification report.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

TARGET_SECONDS = 20.0
MAKE_SCHEMA = """
import mlflow, sys
client = mlflow.MlflowClient(sys.argv[1])
print(client.create_experiment("bench"))
"""


def make_source(path: Path, runs: int, points: int) -> None:
    uri = f"sqlite:///{path}"
    done = subprocess.run(
        [sys.executable, "-c", MAKE_SCHEMA, uri], capture_output=True, text=True, check=True
    )
    experiment_id = int(done.stdout.strip().splitlines()[-1])
    db = sqlite3.connect(path)
    base = 1_700_000_000_000
    with db:
        for r in range(runs):
            run_id = uuid.uuid4().hex
            start = base + r * 10_000
            db.execute(
                "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, "
                "user_id, status, start_time, end_time, source_version, lifecycle_stage, "
                "artifact_uri, experiment_id) VALUES (?, ?, 'LOCAL', '', '', 'bench', "
                "'FINISHED', ?, ?, '', 'active', ?, ?)",
                (run_id, f"run-{r}", start, start + 5_000,
                 f"{path.parent}/mlruns/{experiment_id}/{run_id}/artifacts", experiment_id),
            )  # fmt: skip
            db.executemany(
                "INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)",
                [(f"p{i}", str(i * r), run_id) for i in range(10)],
            )
            db.executemany(
                "INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)",
                [(f"t{i}", f"v{i}", run_id) for i in range(4)]
                + [("mlflow.runName", f"run-{r}", run_id)],
            )
            rows = []
            for step in range(points):
                value = math.nan if step == 7 else 1.0 / (step + 1)
                nan = value != value
                rows.append(("loss", 0.0 if nan else value, start + step, run_id, step, nan))
            db.executemany(
                "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
            last = rows[-1]
            db.execute(
                "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (last[0], last[1], last[2], last[4], last[5], run_id),
            )
    db.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1_000)
    parser.add_argument("--points", type=int, default=1_000, help="points per run")
    parser.add_argument("--workdir", help="keep the source database here and reuse it")
    parser.add_argument("--json", help="write the figures to this file too")
    args = parser.parse_args()

    from runlab.migrate import Target, import_all, open_mlflow_source

    work = Path(args.workdir or tempfile.mkdtemp(prefix="runlab-import-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    source_db = work / f"mlflow-{args.runs}x{args.points}.db"
    if not source_db.exists():
        t = time.perf_counter()
        make_source(source_db, args.runs, args.points)
        print(f"made the MLflow database in {time.perf_counter() - t:.1f} s: {source_db}")
    target_dir = Path(tempfile.mkdtemp(prefix="runlab-import-target-", dir=work))
    target = Target.open(f"sqlite:///{target_dir / 'runlab.db'}")  # schema made before the clock
    source = open_mlflow_source(f"sqlite:///{source_db}")
    start = time.perf_counter()
    report = import_all(source, target)
    seconds = time.perf_counter() - start
    target.close()
    source.close()
    points = report.metric_points
    figures = {
        "runs": report.runs_imported,
        "metric_points": points,
        "seconds": round(seconds, 2),
        "points_per_second": round(points / seconds),
        "target_seconds": TARGET_SECONDS,
        "cpu_count": os.cpu_count(),
    }
    print(
        f"imported {report.runs_imported:,} runs and {points:,} metric points in {seconds:.2f} s "
        f"({points / seconds:,.0f} points/s); target {TARGET_SECONDS:.0f} s"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))
    expected = args.runs * args.points
    if points != expected:
        print(f"wrong count: {points} points imported, {expected} expected")
        return 1
    return 0 if args.runs * args.points < 1_000_000 or seconds < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
