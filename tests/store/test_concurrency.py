"""Several writers at once: processes on one SQLite file, processes setting up one fresh
PostgreSQL database, threads racing for one experiment name."""

from __future__ import annotations

import multiprocessing as mp
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import runlab
from runlab.entities import Metric
from runlab.errors import AlreadyExistsError

PROCESSES = 6
STEPS = 400


def _worker(uri: str, experiment_id: str, n: int, queue: mp.Queue) -> None:
    try:
        client = runlab.RunlabClient(uri)
        run_id = client.create_run(experiment_id, run_name=f"worker-{n}").info.run_id
        for step in range(STEPS):
            # alternate the fluent-style batched path and single synchronous writes
            if step % 2:
                client.log_metric(run_id, "loss", 1.0 / (step + 1), step=step)
            else:
                client.log_batch(run_id, metrics=[Metric("loss", 1.0 / (step + 1), 1, step)])
            if step % 50 == 0:
                client.set_tag(run_id, "progress", str(step))
        client.set_terminated(run_id)
        queue.put(("ok", run_id))
    except Exception as exc:
        queue.put(("error", repr(exc)))


def _fluent_worker(uri: str, n: int, queue: mp.Queue) -> None:
    try:
        runlab.set_tracking_uri(uri)
        runlab.set_experiment("shared-fluent")  # every process races to create it
        with runlab.start_run(run_name=f"fluent-{n}") as run:
            for step in range(STEPS):
                runlab.log_metrics({"a": float(step), "b": -float(step)}, step=step)
        queue.put(("ok", run.info.run_id))
    except Exception as exc:
        queue.put(("error", repr(exc)))


@pytest.mark.slow
def test_processes_write_one_sqlite_file(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'shared.db'}"
    experiment_id = runlab.RunlabClient(uri).create_experiment("concurrency")
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(uri, experiment_id, n, queue)) for n in range(PROCESSES)
    ]
    procs += [ctx.Process(target=_fluent_worker, args=(uri, n, queue)) for n in range(PROCESSES)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    errors = [r for kind, r in results if kind == "error"]
    assert errors == []
    client = runlab.RunlabClient(uri)
    run_ids = [r for _, r in results]
    assert len(set(run_ids)) == 2 * PROCESSES
    for run_id in run_ids:
        run = client.get_run(run_id)
        keys = ["loss"] if run.info.run_name.startswith("worker") else ["a", "b"]
        for key in keys:
            steps = [m.step for m in client.get_metric_history(run_id, key)]
            assert steps == list(range(STEPS)), (run.info.run_name, key)
    fluent_exps = client.search_experiments(filter_string="name = 'shared-fluent'")
    assert len(fluent_exps) == 1


def _create_same_experiment(uri: str, barrier: Any, queue: mp.Queue) -> None:
    """Open the store (a fresh database: every process races to create the schema), then
    race the others to create one experiment name."""
    try:
        barrier.wait(timeout=120)
        client = runlab.RunlabClient(uri)
        client.search_experiments()  # opens the store
        barrier.wait(timeout=120)
        try:
            queue.put(("created", client.create_experiment("raced")))
        except AlreadyExistsError:
            queue.put(("exists", ""))
    except Exception as exc:
        queue.put(("error", repr(exc)))


@pytest.mark.slow
@pytest.mark.postgres
def test_processes_set_up_a_fresh_postgres_database_at_once(postgres_url: str) -> None:
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()
    barrier = ctx.Barrier(PROCESSES)
    procs = [
        ctx.Process(target=_create_same_experiment, args=(postgres_url, barrier, queue))
        for _ in range(PROCESSES)
    ]
    for p in procs:
        p.start()
    results = [queue.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert sorted(kind for kind, _ in results) == ["created"] + ["exists"] * (PROCESSES - 1)
    client = runlab.RunlabClient(postgres_url)
    names = sorted(e.name for e in client.search_experiments())
    assert names == ["Default", "raced"]
    from sqlalchemy import create_engine, text

    engine = create_engine(postgres_url)
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    engine.dispose()
    assert len(versions) == 1


def test_threads_create_one_experiment_name(store_uri: str) -> None:
    """Check-then-insert races end in AlreadyExistsError for all but one, never a 500."""
    client = runlab.RunlabClient(store_uri)
    client.search_experiments()
    barrier = threading.Barrier(8)

    def create(_: int) -> str:
        barrier.wait(timeout=60)
        try:
            return client.create_experiment("raced")
        except AlreadyExistsError:
            return "exists"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(create, range(8)))
    assert sorted(o == "exists" for o in outcomes) == [False] + [True] * 7
