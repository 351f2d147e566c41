"""The charts workspace figures of ``ui_bench.py``: 100 runs x 10 metrics x 10,000 points,
every run still RUNNING, written into runlab's store and into MLflow's schema.

- ``workspace_s``: runlab's Charts tab of that experiment in Chromium, from navigation to
  the frame in which every panel is drawn (the page's own clock, as the other pages);
- ``workspace_rest_s``: the requests each chart view makes for the same data, timed from
  a client with six connections at a time (a browser's limit per host): runlab's runs
  search and one ``metrics/downsampled/batch`` per key; MLflow's runs search and one
  ``get-history-bulk-interval`` per key of the 100 runs (320 points per run, as its chart
  view asks);
- ``poll_ms``: one live update of the 100 running runs after each logged one more point
  per series: runlab's ``metrics/updates`` with the search for runs started since, as the
  workspace sends them, in the server's own time (its ``Server-Timing``); MLflow's chart
  view refetches every key's sampled histories (``poll_ms`` is then the round trip, as it
  sends no server timing; ``poll_rtt_ms`` is the round trip on both sides).
"""

from __future__ import annotations

import json
import math
import sqlite3
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

RUNS, KEYS, POINTS = 100, 10, 10_000
QUICK = (20, 10, 2_000)
MLFLOW_SAMPLES = 320  # the points per run MLflow's chart view asks for
CONNECTIONS = 6
# MLflow's server reads every point of the 100 runs for each key it samples: one chart
# view's requests take minutes on two busy cores.
TIMEOUT_S = 3600


def _value(key: int, run: int, step: int, points: int) -> float:
    return math.exp(-step / points * (2 + key % 3)) + 0.01 * run + 0.02 * math.sin(step)


def seed_runlab(store_dir: Path, runs: int, keys: int, points: int) -> dict[str, Any]:
    from runlab.entities import Metric
    from runlab.store.uri import get_store

    store = get_store(str(store_dir))
    start = int(time.time() * 1000) - 86_400_000
    experiment = store.create_experiment("bench-workspace")
    run_ids = []
    for r in range(runs):
        run_id = store.create_run(experiment, "bench", start + r, {}, f"ws-{r:03d}").run_id
        batch = []
        for k in range(keys):
            for s in range(points):
                batch.append(Metric(f"m{k}", _value(k, r, s, points), start + s * 100, s))
                if len(batch) == 20_000:
                    store.log_batch(run_id, metrics=batch)
                    batch = []
        if batch:
            store.log_batch(run_id, metrics=batch)
        run_ids.append(run_id)
    store.close()
    return {"experiment": experiment, "runs": run_ids, "keys": keys, "points": points}


def seed_mlflow(db: Path, runs: int, keys: int, points: int) -> dict[str, Any]:
    """The same in MLflow's schema (its store makes the schema and the experiment; the rows
    are written in bulk, as ``ui_bench.seed_mlflow`` does)."""
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    artifacts = db.parent / "mlartifacts"
    store = SqlAlchemyStore(f"sqlite:///{db}", str(artifacts))
    experiment = store.create_experiment("bench-workspace")
    store.engine.dispose()
    start = int(time.time() * 1000) - 86_400_000
    run_ids = []
    with sqlite3.connect(db) as conn:
        for r in range(runs):
            run_id = uuid.uuid4().hex
            uri = f"{artifacts}/{experiment}/{run_id}/artifacts"
            row = (run_id, f"ws-{r:03d}", "UNKNOWN", "", "", "bench", "RUNNING", start + r)
            row += (None, "", "active", uri, int(experiment), None)
            conn.execute(f"INSERT INTO runs VALUES ({', '.join('?' * 14)})", row)
            conn.execute(
                "INSERT INTO tags (key, value, run_uuid) VALUES ('mlflow.runName', ?, ?)",
                (f"ws-{r:03d}", run_id),
            )
            for k in range(keys):
                rows = [
                    (f"m{k}", _value(k, r, s, points), start + s * 100, run_id, s, 0)
                    for s in range(points)
                ]
                conn.executemany(
                    "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    rows,
                )
                last = rows[-1]
                conn.execute(
                    "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid)"
                    " VALUES (?, ?, ?, ?, 0, ?)",
                    (last[0], last[1], last[2], last[4], run_id),
                )
            run_ids.append(run_id)
    conn.close()
    return {"experiment": experiment, "runs": run_ids, "keys": keys, "points": points}


def runlab_page(base: str, data: dict[str, Any]) -> tuple[str, str]:
    """The Charts tab, ready when every panel has drawn its canvas."""
    ready = (
        "const ws = document.querySelector(\".workspace[data-state='ready']\");"
        " const drawn = document.querySelectorAll(\".ws-panel[data-drawn='true'] canvas\");"
        f" return ws && drawn.length === {data['keys']}"
    )
    return f"{base}/#/experiments/{data['experiment']}?show=charts", ready


def _keys(data: dict[str, Any]) -> list[str]:
    return [f"m{k}" for k in range(data["keys"])]


def _search_body(data: dict[str, Any]) -> dict[str, Any]:
    return {"experiment_ids": [data["experiment"]], "max_results": 100}


def _points_per_series(run_count: int) -> int:
    # The workspace's own rule (workspace_series.js pointsPerSeries).
    return max(100, min(2000, round(10000 / max(1, run_count))))


def rest_calls(base: str, data: dict[str, Any], sut: str) -> list[tuple[str, str, Any]]:
    """(method, url, JSON body or query) of every request the chart view makes after
    its runs search."""
    runs = data["runs"]
    if sut == "runlab":
        url = f"{base}/ajax-api/2.0/runlab/metrics/downsampled/batch"
        most = _points_per_series(len(runs))
        return [
            ("POST", url, {"run_ids": runs, "metric_keys": [key], "max_points": most})
            for key in _keys(data)
        ]
    url = f"{base}/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval"
    return [
        ("GET", url, [*(("run_ids", r) for r in runs), ("metric_key", key), ("max_results", 320)])
        for key in _keys(data)
    ]


def _send(client: Any, method: str, url: str, payload: Any) -> tuple[float, float]:
    """(round trip s, server's own ms or NaN)."""
    began = time.perf_counter()
    if method == "POST":
        answer = client.post(url, json=payload)
    else:
        answer = client.get(url, params=payload)
    took = time.perf_counter() - began
    answer.raise_for_status()
    timing = answer.headers.get("server-timing", "")
    server = float(timing.split("dur=")[1].split(",")[0]) if "dur=" in timing else math.nan
    return took, server


def time_rest(
    base: str, data: dict[str, Any], sut: str, repeats: int, warmup: bool = True
) -> float:
    """Median seconds of the runs search then every chart request, six at a time, after
    one untimed round (``warmup``)."""
    import httpx

    search = f"{base}/ajax-api/2.0/mlflow/runs/search"
    samples = []
    limits = httpx.Limits(max_connections=CONNECTIONS)
    with httpx.Client(timeout=TIMEOUT_S, limits=limits) as client:
        calls = rest_calls(base, data, sut)
        for i in range(repeats + 1 if warmup else repeats):
            began = time.perf_counter()
            _send(client, "POST", search, _search_body(data))
            with ThreadPoolExecutor(CONNECTIONS) as pool:
                list(pool.map(lambda c: _send(client, *c), calls))
            if i or not warmup:
                samples.append(time.perf_counter() - began)
    return round(statistics.median(samples), 3)


def _log_one_more(store_dir: Path | None, db: Path | None, data: dict[str, Any], step: int) -> None:
    """One more point of every series, written beside the server (WAL: readers go on)."""
    now = int(time.time() * 1000)
    if store_dir is not None:
        from runlab.entities import Metric
        from runlab.store.uri import get_store

        store = get_store(str(store_dir))
        for run_id in data["runs"]:
            metrics = [Metric(key, 0.5, now, step) for key in _keys(data)]
            store.log_batch(run_id, metrics=metrics)
        store.close()
    if db is not None:
        with sqlite3.connect(db) as conn:
            rows = [(k, 0.5, now, r, step, 0) for r in data["runs"] for k in _keys(data)]
            conn.executemany(
                "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
            conn.executemany(
                "UPDATE latest_metrics SET value = ?, timestamp = ?, step = ?"
                " WHERE key = ? AND run_uuid = ?",
                [(0.5, now, step, k, r) for k, _, _, r, _, _ in rows],
            )
        conn.close()


def time_polls(
    base: str,
    data: dict[str, Any],
    sut: str,
    polls: int,
    store: Path | None,
    db: Path | None,
    warmup: bool = True,
) -> dict[str, float]:
    """Median server ms (runlab) and round-trip ms of one live update of the running runs,
    each after one more point was logged to every series."""
    import httpx

    runs = data["runs"]
    keys = _keys(data)
    started = 0
    server_ms, rtt_ms = [], []
    limits = httpx.Limits(max_connections=CONNECTIONS)
    with httpx.Client(timeout=TIMEOUT_S, limits=limits) as client:
        if sut == "runlab":
            found = client.post(
                f"{base}/ajax-api/2.0/mlflow/runs/search", json=_search_body(data)
            ).json()
            started = max(int(r["info"]["start_time"]) for r in found["runs"])
        first = 0 if warmup else 1
        for i in range(first, polls + 1):
            step = data["points"] + i
            _log_one_more(store, db, data, step)
            if sut == "runlab":
                after = {r: dict.fromkeys(keys, step - 1) for r in runs}
                body = {"run_ids": runs, "metric_keys": keys, "after_step": after}
                body["max_points"] = _points_per_series(len(runs))
                fresh = {
                    "experiment_ids": [data["experiment"]],
                    "filter": f"attributes.start_time > {started}",
                    "max_results": 100,
                }
                calls = [
                    ("POST", f"{base}/ajax-api/2.0/runlab/metrics/updates", body),
                    ("POST", f"{base}/ajax-api/2.0/mlflow/runs/search", fresh),
                ]
            else:
                calls = rest_calls(base, data, sut)
            began = time.perf_counter()
            with ThreadPoolExecutor(CONNECTIONS) as pool:
                answers = list(pool.map(lambda c: _send(client, *c), calls))
            took = time.perf_counter() - began
            if i:
                rtt_ms.append(took * 1000)
                server_ms.append(sum(s for _, s in answers))
    figures = {"poll_rtt_ms": round(statistics.median(rtt_ms), 1)}
    ours = [s for s in server_ms if not math.isnan(s)]
    figures["poll_ms"] = round(statistics.median(ours), 1) if ours else figures["poll_rtt_ms"]
    return figures


def describe(data: dict[str, Any]) -> str:
    return json.dumps({k: data[k] for k in ("experiment", "keys", "points")})
