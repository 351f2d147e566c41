"""The server's periodic sweep for runs whose heartbeats stopped (their process crashed).

Every ``RUNLAB_HEARTBEAT_SWEEP_INTERVAL`` seconds the tracking store ends FAILED each
RUNNING run silent for ``RUNLAB_HEARTBEAT_TIMEOUT`` seconds (with ``silent_runs``, also
those that never sent a heartbeat, silent since their last write). Several server processes on
one database may sweep at once: each end is conditional in the store, so a run is ended
and tagged once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from runlab import environment_variables as env
from runlab.errors import RunlabError
from runlab.store.base import TrackingStore

__all__ = ["sweeping"]

_log = logging.getLogger(__name__)


async def _sweep_forever(
    store: TrackingStore, interval: float, timeout_ms: int, silent_runs: bool
) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            ended = await asyncio.to_thread(store.end_crashed_runs, timeout_ms, None, silent_runs)
        except RunlabError as exc:  # a database that is down now may be back next time
            _log.warning("runlab: the sweep for crashed runs failed: %s", exc)
            continue
        if ended:
            _log.info("runlab: ended %d crashed run(s): %s", len(ended), ", ".join(ended))


@asynccontextmanager
async def sweeping(store: TrackingStore, silent_runs: bool = False) -> AsyncIterator[None]:
    """Sweep ``store`` in the background while the block runs (a server's lifespan)."""
    if type(store).end_crashed_runs is TrackingStore.end_crashed_runs:
        yield  # a store that does not sweep (the REST store): nothing to do
        return
    timeout_ms = int(env.RUNLAB_HEARTBEAT_TIMEOUT.get() * 1000)
    task = asyncio.create_task(
        _sweep_forever(store, env.RUNLAB_HEARTBEAT_SWEEP_INTERVAL.get(), timeout_ms, silent_runs)
    )
    try:
        yield
    finally:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
