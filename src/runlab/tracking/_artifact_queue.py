"""Artifact uploads that do not block the caller (``log_image(..., synchronous=False)``).

One worker thread per process writes them in the order they were queued. ``flush``
waits for a run's uploads (or all of them) and raises the first failure, so an error
is never lost: ``end_run`` and ``flush_artifact_async_logging`` call it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

__all__ = ["flush", "submit"]

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_pending: dict[str, list[Future[None]]] = {}


def submit(run_id: str, upload: Callable[[], None]) -> None:
    """Run ``upload`` on the worker thread; its failure is raised by a later ``flush``."""
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="runlab-artifacts")
        _pending.setdefault(run_id, []).append(_executor.submit(upload))


def flush(run_id: str | None = None) -> None:
    """Wait for the queued uploads of ``run_id`` (every run when None)."""
    with _lock:
        if run_id is None:
            futures = [f for fs in _pending.values() for f in fs]
            _pending.clear()
        else:
            futures = _pending.pop(run_id, [])
    errors = [exc for f in futures if (exc := f.exception()) is not None]
    if errors:
        from runlab.errors import RunlabError, StorageError

        first = errors[0]
        if isinstance(first, RunlabError):
            raise first
        raise StorageError(f"a background artifact upload failed: {first}") from first
