"""Processes creating versions of one model at the same moment get distinct numbers."""

from __future__ import annotations

import multiprocessing as mp

import runlab

PROCESSES = 4
VERSIONS_EACH = 10


def _create_versions(uri: str, start: mp.Event, queue: mp.Queue) -> None:  # type: ignore[type-arg]
    try:
        client = runlab.RunlabClient(uri)
        client.get_registered_model("shared")  # open the store before the race starts
        start.wait(60)
        numbers = [
            client.create_model_version("shared", "file:///m").version for _ in range(VERSIONS_EACH)
        ]
        queue.put(("ok", numbers))
    except Exception as exc:
        queue.put(("error", repr(exc)))


def test_concurrent_processes_get_distinct_version_numbers(store_uri: str) -> None:
    client = runlab.RunlabClient(store_uri)
    client.create_registered_model("shared")
    ctx = mp.get_context("spawn")
    start = ctx.Event()
    queue: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    procs = [
        ctx.Process(target=_create_versions, args=(store_uri, start, queue))
        for _ in range(PROCESSES)
    ]
    for p in procs:
        p.start()
    start.set()
    results = [queue.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert [r for kind, r in results if kind == "error"] == []
    numbers = sorted(n for _, found in results for n in found)
    assert numbers == list(range(1, PROCESSES * VERSIONS_EACH + 1))
    stored = client.search_model_versions("name = 'shared'")
    assert sorted(v.version for v in stored) == numbers


def test_concurrent_promotions_leave_one_version_in_production(store_uri: str) -> None:
    """Threads (separate connections) promote different versions with archiving at the
    same moment, round after round; after each round exactly one is in Production."""
    import threading

    threads_count, rounds = 6, 15
    client = runlab.RunlabClient(store_uri)
    client.create_registered_model("shared")
    for _ in range(threads_count):
        client.create_model_version("shared", "file:///m")
    barrier = threading.Barrier(threads_count + 1)
    errors: list[str] = []

    def promote(version: int) -> None:
        for _ in range(rounds):
            barrier.wait()
            try:
                client.transition_model_version_stage(
                    "shared", version, "Production", archive_existing_versions=True
                )
            except Exception as exc:
                errors.append(repr(exc))
            barrier.wait()

    workers = [threading.Thread(target=promote, args=(n + 1,)) for n in range(threads_count)]
    for w in workers:
        w.start()
    in_production = []
    for _ in range(rounds):
        barrier.wait()  # start the round
        barrier.wait()  # every promotion of the round is done
        stages = [v.current_stage for v in client.search_model_versions("name = 'shared'")]
        in_production.append(stages.count("Production"))
    for w in workers:
        w.join(timeout=60)
    assert errors == []
    assert in_production == [1] * rounds
