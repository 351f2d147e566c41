"""Heartbeats of the runs this process has active, and their end on SIGTERM.

One daemon thread sends a heartbeat for each active run every
``RUNLAB_HEARTBEAT_INTERVAL`` seconds (the first at once), so that a store can tell a
run whose process died (SIGKILL, the out-of-memory killer, a lost machine) from one that
is still training: see ``TrackingStore.end_crashed_runs``. A failed heartbeat is logged
once and retried at the next beat; it never reaches the training loop.

A server counts each log-batch it stores as a sign of life of the run, so a beat is
skipped when the journal delivered a batch for the run within the interval; after a
failed beat the next one always goes (it is what revives a run ended while offline).

SIGTERM ends the active runs KILLED at once, then goes on to the handler that was there
before (Python's default: the process ends by the signal, as it would have).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any, Protocol

from runlab import environment_variables as env


class _Target(Protocol):
    """What a heartbeat is sent to: the run's client (or a store)."""

    def record_heartbeat(self, run_id: str) -> object: ...

    def delivered_within(self, run_id: str, seconds: float) -> bool: ...


__all__ = ["Heartbeats", "heartbeats"]

_log = logging.getLogger(__name__)
_END_TIMEOUT = 10.0  # seconds SIGTERM waits for the runs to end before going on


class Heartbeats:
    def __init__(self) -> None:
        self._wake = threading.Condition()
        self._runs: dict[str, _Target] = {}
        self._thread: threading.Thread | None = None
        self._failing = False
        self._previous: Any = None
        self._on_sigterm: Callable[[], None] | None = None

    def start(self, target: _Target, run_id: str) -> None:
        """Beat for ``run_id`` until :meth:`stop`; the first heartbeat goes now."""
        with self._wake:
            self._runs[run_id] = target
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._beat_forever, name="runlab-heartbeat", daemon=True
                )
                self._thread.start()
            self._wake.notify_all()

    def stop(self, run_id: str) -> None:
        with self._wake:
            self._runs.pop(run_id, None)

    def active(self) -> list[str]:
        with self._wake:
            return list(self._runs)

    def _beat_forever(self) -> None:
        interval = env.RUNLAB_HEARTBEAT_INTERVAL.get()
        while True:
            with self._wake:
                runs = list(self._runs.items())
            for run_id, target in runs:
                if self._failing or not _delivered_within(target, run_id, interval):
                    self._beat(target, run_id)
            with self._wake:
                self._wake.wait(interval)

    def _beat(self, target: _Target, run_id: str) -> None:
        try:
            target.record_heartbeat(run_id)
        except Exception as exc:  # the tracker being down must not stop the training
            if not self._failing:
                _log.warning("runlab: heartbeat of run %s failed (will retry): %s", run_id, exc)
            self._failing = True
        else:
            self._failing = False

    # ------------------------------------------------------------ SIGTERM
    def end_runs_on_sigterm(self, end_runs: Callable[[], None]) -> None:
        """Call ``end_runs`` on SIGTERM (once installed; only the main thread can)."""
        if (
            self._on_sigterm is not None
            or threading.current_thread() is not threading.main_thread()
        ):
            return
        previous = signal.getsignal(signal.SIGTERM)
        if previous is signal.SIG_IGN:
            return  # the process outlives SIGTERM: its runs go on
        self._previous, self._on_sigterm = previous, end_runs
        signal.signal(signal.SIGTERM, self._handle_sigterm)

    def _handle_sigterm(self, signum: int, frame: FrameType | None) -> None:
        if self._on_sigterm is not None:
            # On a thread of its own: the signal may have come while this thread held a
            # lock that ending the runs needs, and then waiting forever would hang here.
            ender = threading.Thread(target=self._on_sigterm, name="runlab-sigterm", daemon=True)
            ender.start()
            ender.join(_END_TIMEOUT)
        previous = self._previous
        if callable(previous):
            previous(signum, frame)
        else:  # SIG_DFL, or a handler installed outside Python: end by the signal
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)


def _delivered_within(target: _Target, run_id: str, seconds: float) -> bool:
    try:
        return target.delivered_within(run_id, seconds)
    except Exception:  # never a reason to miss a beat
        return False


heartbeats = Heartbeats()
