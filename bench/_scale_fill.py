"""Bulk fills for bench/w7_scale.py: one experiment of N runs (10 params, 5 metrics,
3 tags each) written straight into runlab's or MLflow's tables, as bench/ui_bench.py
does for MLflow (through either store's own calls 100,000 runs take hours here).

Param ``p1`` is ``'x'`` on 2,000 runs spread over the experiment (every run at 2,000),
so the w3 filter ``metrics.m0 > 0.5 AND params.p1 = 'x'`` returns about 1,000 runs at
every size: what a search returns stays the same while the experiment grows.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from typing import Any

X_RUNS = 2000
START = 1_760_000_000_000


Run = tuple[str, int, dict[str, str], list[float], list[str]]
Rows = dict[str, list[tuple[Any, ...]]]


def rows(n: int, seed: int = 0) -> Iterator[Run]:
    """(run id, start time, params, metric values, tag values) of each run."""
    rnd = random.Random(seed)
    every = max(1, n // X_RUNS)
    for i in range(n):
        params = {f"p{j}": f"v{i}_{j}" for j in range(10)}
        params["p1"] = "x" if i % every == 0 else "y"
        metrics = [rnd.random() for _ in range(5)]
        run_id = uuid.UUID(int=rnd.getrandbits(128)).hex
        yield run_id, START + i, params, metrics, [f"tag{i % 7}"] * 3


def _tables(n: int, experiment_id: int, artifacts: str, mlflow: bool) -> Rows:
    out: Rows = {"runs": [], "params": [], "tags": [], "metrics": []}
    for i, (run_id, started, params, values, tag_values) in enumerate(rows(n)):
        name, uri = f"run-{i:06d}", f"{artifacts}/{experiment_id}/{run_id}/artifacts"
        if mlflow:
            out["runs"].append(
                (
                    run_id,
                    name,
                    "UNKNOWN",
                    "",
                    "",
                    "bench",
                    "FINISHED",
                    started,
                    started + 1000,
                    "",
                    "active",
                    uri,
                    experiment_id,
                    None,
                )
            )
            out["tags"].append(("mlflow.runName", name, run_id))
        else:
            out["runs"].append(
                (
                    run_id,
                    name,
                    experiment_id,
                    "bench",
                    "FINISHED",
                    started,
                    started + 1000,
                    "active",
                    None,
                    uri,
                )
            )
        out["params"] += [(run_id, k, v) for k, v in params.items()]
        out["tags"] += [
            (f"t{j}", v, run_id) if mlflow else (run_id, f"t{j}", v)
            for j, v in enumerate(tag_values)
        ]
        for j, v in enumerate(values):
            out["metrics"].append((run_id, f"m{j}", v, False, started, 0))
    return out


def fill_runlab(uri: str, n: int, artifacts: str) -> str:
    """A runlab store at ``uri`` (created by runlab itself) with one filled experiment."""
    from runlab.store.sql._engine import build_engine
    from runlab.store.uri import build_store

    store = build_store(uri, artifact_root=artifacts)
    experiment_id = store.create_experiment(f"scale-{n}")
    store.close()
    t = _tables(n, int(experiment_id), artifacts, mlflow=False)
    engine = build_engine(uri)
    conn = engine.raw_connection()
    try:
        cur = conn.cursor()
        inserts = {
            "runs": "INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time,"
            " end_time, lifecycle_stage, deleted_time, artifact_uri)"
            f" VALUES ({', '.join(['?'] * 10)})",
            "params": "INSERT INTO params (run_uuid, key, value) VALUES (?, ?, ?)",
            "tags": "INSERT INTO tags (run_uuid, key, value) VALUES (?, ?, ?)",
            "metrics": "INSERT INTO metrics (run_uuid, key, value, is_nan, timestamp, step)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            "latest": "INSERT INTO latest_metrics (run_uuid, key, value, is_nan, timestamp, step)"
            " VALUES (?, ?, ?, ?, ?, ?)",
        }
        postgres = engine.dialect.name == "postgresql"
        for table, sql in inserts.items():
            data = t["metrics" if table == "latest" else table]
            if postgres:  # COPY: an order of magnitude faster than INSERT here
                name = "latest_metrics" if table == "latest" else table
                columns = sql[sql.index("(") + 1 : sql.index(")")]
                with cur.copy(f"COPY {name} ({columns}) FROM STDIN") as copy:
                    for row in data:
                        copy.write_row(row)
            else:
                cur.executemany(sql, data)
        conn.commit()
        if postgres:
            raw = conn.driver_connection  # the pool's proxy has no autocommit of its own
            raw.autocommit = True
            raw.execute("VACUUM ANALYZE")
    finally:
        conn.close()
        engine.dispose()
    return experiment_id


def fill_mlflow(uri: str, n: int, artifacts: str) -> str:
    """MLflow's SQLite store at ``uri`` (created by MLflow) with one filled experiment."""
    import sqlite3

    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    store = SqlAlchemyStore(uri, artifacts)
    experiment_id = store.create_experiment(f"scale-{n}")
    store.engine.dispose()
    t = _tables(n, int(experiment_id), artifacts, mlflow=True)
    conn = sqlite3.connect(uri.removeprefix("sqlite:///"))
    with conn:
        conn.executemany(f"INSERT INTO runs VALUES ({', '.join('?' * 14)})", t["runs"])
        conn.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)", t["tags"])
        conn.executemany("INSERT INTO params (run_uuid, key, value) VALUES (?, ?, ?)", t["params"])
        conn.executemany(
            "INSERT INTO metrics (run_uuid, key, value, is_nan, timestamp, step)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            t["metrics"],
        )
        conn.executemany(
            "INSERT INTO latest_metrics (run_uuid, key, value, is_nan, timestamp, step)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            t["metrics"],
        )
    conn.close()
    return experiment_id


def timed_fill(fill: Any, *args: Any) -> tuple[str, float]:
    t0 = time.perf_counter()
    return fill(*args), time.perf_counter() - t0
