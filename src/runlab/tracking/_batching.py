"""In-process write-behind for fluent logging.

A training loop calls ``log_metric`` thousands of times a second; each call only
appends to a buffer here, and a background thread writes the buffer every
``interval`` seconds (or sooner when ``max_pending`` points wait) as one
``log_batch`` per run, one transaction each. ``flush()`` writes everything queued
before it returns. A failed write is never silent: it is logged at once and raised
from the next call that touches the batcher.

With a tracking server the batcher writes into the process's journal instead
(:mod:`runlab.store.rest.journal`), which survives the process and the server being
down, and the journal's own thread sends it; artifact uploads go there too, their files
set aside beside it. ``flush()`` then also waits until the
server has acknowledged everything, unless it is offline.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from runlab.entities import Metric, Param, RunTag
from runlab.errors import BackgroundWriteError, PartialWriteError, RunlabError, StorageError
from runlab.store.base import TrackingStore

if TYPE_CHECKING:
    from runlab.store.rest._sender import Outbox
    from runlab.store.rest.journal import Entry, Journal

log = logging.getLogger("runlab")

DEFAULT_INTERVAL_S = 0.1
DEFAULT_MAX_PENDING = 10_000


@dataclass
class _RunBuffer:
    metrics: list[Metric] = field(default_factory=list)
    params: dict[str, Param] = field(default_factory=dict)
    tags: dict[str, RunTag] = field(default_factory=dict)


class Batcher:
    def __init__(
        self,
        store: TrackingStore,
        interval: float = DEFAULT_INTERVAL_S,
        max_pending: int = DEFAULT_MAX_PENDING,
    ) -> None:
        self._store = store
        self._interval = interval
        self._max_pending = max_pending
        self._buffers: dict[str, _RunBuffer] = {}
        self._pending = 0
        self._lock = threading.Lock()  # guards the buffers
        self._io_lock = threading.Lock()  # one drain at a time keeps per-run order
        self._wake = threading.Event()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._closed = False
        self._journaled = _journaled(store)
        self._outbox: Outbox | None = None
        self._outbox_pid = 0

    # ---------------------------------------------------------------- producers
    def add_metrics(self, run_id: str, metrics: list[Metric]) -> None:
        if self._error is not None:
            self._raise_error()
        with self._lock:
            buf = self._buffers.get(run_id)
            if buf is None:
                buf = self._buffers[run_id] = _RunBuffer()
            buf.metrics.extend(metrics)
            self._pending += len(metrics)
            pending = self._pending
        self._after_add(pending)

    def add_metric(self, run_id: str, metric: Metric) -> None:
        # The hot path of fluent log_metric: no list allocation, one lock round trip.
        if self._error is not None:
            self._raise_error()
        with self._lock:
            buf = self._buffers.get(run_id)
            if buf is None:
                buf = self._buffers[run_id] = _RunBuffer()
            buf.metrics.append(metric)
            self._pending += 1
            pending = self._pending
        self._after_add(pending)

    def add_params_tags(
        self,
        run_id: str,
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        if self._error is not None:
            self._raise_error()
        with self._lock:
            buf = self._buffers.get(run_id)
            if buf is None:
                buf = self._buffers[run_id] = _RunBuffer()
            for p in params:
                buf.params[p.key] = p
            for t in tags:
                buf.tags[t.key] = t
            self._pending += len(params) + len(tags)
            pending = self._pending
        self._after_add(pending)

    def _after_add(self, pending: int) -> None:
        if self._thread is None:
            self._start()
        if pending >= self._max_pending:
            if pending >= 10 * self._max_pending:
                self._drain()  # the writer is far behind: make the producer wait
                self._raise_error()
            else:
                self._wake.set()

    # ---------------------------------------------------------------- writer
    def _start(self) -> None:
        with self._lock:
            if self._thread is not None or self._closed:
                return
            ref = weakref.ref(self)
            self._thread = threading.Thread(
                target=_writer_loop,
                args=(ref, self._wake, self._interval),
                name="runlab-batcher",
                daemon=True,
            )
            self._thread.start()

    def _drain(self, run_id: str | None = None) -> None:
        with self._io_lock:
            with self._lock:
                if run_id is None:
                    taken, self._buffers = self._buffers, {}
                    self._pending = 0
                else:
                    buf = self._buffers.pop(run_id, None)
                    taken = {run_id: buf} if buf is not None else {}
                    self._pending -= sum(
                        len(b.metrics) + len(b.params) + len(b.tags) for b in taken.values()
                    )
            for rid, buf in taken.items():
                self._write(rid, buf)

    # ---------------------------------------------------------------- journal
    @property
    def journaled(self) -> bool:
        return self._journaled

    def outbox(self) -> Outbox:
        """This process's journal for a server store (a forked child makes its own)."""
        if self._outbox is None or self._outbox_pid != os.getpid():
            from runlab.store.rest._sender import Outbox

            self._outbox = Outbox(self._store.tracking_uri, self._refused)  # type: ignore[attr-defined]
            self._outbox_pid = os.getpid()
        return self._outbox

    def delivered_within(self, run_id: str, seconds: float) -> bool:
        outbox = self._outbox
        return outbox is not None and outbox.delivered_within(run_id, seconds)

    def add_record(self, run_id: str, kind: str, body: dict[str, Any]) -> None:
        """Journal a run update or dataset input after everything queued for the run."""
        if self._error is not None:
            self._raise_error()
        with self._io_lock:
            with self._lock:
                buf = self._buffers.pop(run_id, None)
                if buf is not None:
                    self._pending -= len(buf.metrics) + len(buf.params) + len(buf.tags)
            entries = [_batch_entry(run_id, buf)] if buf is not None else []
            self.outbox().append([*entries, (run_id, kind, body, 0)])

    def add_artifacts(self, run_id: str, stash: Callable[[Journal], dict[str, Any]]) -> None:
        """Journal an artifact upload after everything queued for the run; ``stash`` sets
        its files aside beside the journal and returns the row's body."""
        if self._error is not None:
            self._raise_error()
        body = stash(self.outbox().journal)
        try:
            self.add_record(run_id, "artifacts", body)
        except BaseException:
            from runlab.store.rest._stash import discard

            discard(self.outbox().journal, body)
            raise

    def _refused(self, entry: Entry, exc: RunlabError) -> None:
        if entry.kind == "artifacts":
            paths = ", ".join(str(f.get("path")) for f in entry.body.get("files") or ())
            what = f"an artifact upload ({paths})"
        else:
            what = f"a {entry.kind} write ({entry.points} points, params and tags)"
        log.error("runlab: the server refused %s to run %s: %s", what, entry.run_id, exc)
        if self._error is None:
            self._error = BackgroundWriteError(
                f"the server refused {what} to run {entry.run_id!r} (not stored): {exc}"
            )
            self._error.__cause__ = exc

    def _write(self, run_id: str, buf: _RunBuffer) -> None:
        if self._journaled:
            try:
                self.outbox().append([_batch_entry(run_id, buf)])
            except Exception as exc:
                self._record(exc, run_id, buf, kept=False)
            return
        try:
            self._store.log_batch(
                run_id,
                metrics=buf.metrics,
                params=list(buf.params.values()),
                tags=list(buf.tags.values()),
            )
        except StorageError as exc:
            # The store was unreachable: keep the points for the next attempt, except
            # those a split batch had already stored (sending them again would repeat them).
            if isinstance(exc, PartialWriteError):
                buf = _RunBuffer(
                    buf.metrics[exc.stored_metrics :],
                    dict(list(buf.params.items())[exc.stored_params :]),
                    dict(list(buf.tags.items())[exc.stored_tags :]),
                )
            with self._lock:
                kept = self._buffers.setdefault(run_id, _RunBuffer())
                kept.metrics[:0] = buf.metrics
                for k, p in buf.params.items():
                    kept.params.setdefault(k, p)
                for k, t in buf.tags.items():
                    kept.tags.setdefault(k, t)
                self._pending += len(buf.metrics) + len(buf.params) + len(buf.tags)
            self._record(exc, run_id, buf, kept=True)
        except Exception as exc:
            self._record(exc, run_id, buf, kept=False)

    def _record(self, exc: BaseException, run_id: str, buf: _RunBuffer, kept: bool) -> None:
        what = f"{len(buf.metrics)} metric points, {len(buf.params)} params, {len(buf.tags)} tags"
        fate = "kept for the next flush" if kept else "not stored"
        log.error("runlab: writing %s to run %s failed (%s): %s", what, run_id, fate, exc)
        if self._error is None:
            self._error = BackgroundWriteError(
                f"writing {what} to run {run_id!r} failed ({fate}): {exc}"
            )
            self._error.__cause__ = exc

    def _raise_error(self) -> None:
        err, self._error = self._error, None
        if err is not None:
            raise err

    # ---------------------------------------------------------------- control
    def has_pending(self, run_id: str | None = None) -> bool:
        if self._outbox is not None and self._outbox.unsent():
            return True
        if run_id is None:
            return self._pending > 0
        return run_id in self._buffers

    def flush(self, run_id: str | None = None) -> None:
        """Write what is queued (for one run, or all); raise any earlier failure."""
        self._drain(run_id)
        if self._outbox is not None:
            self._outbox.wait()  # in order: a run's writes follow every earlier one
        self._raise_error()

    def close(self) -> None:
        self._closed = True
        self._wake.set()
        self._drain()
        outbox, self._outbox = self._outbox, None
        if outbox is not None and self._outbox_pid == os.getpid():
            left, journal = outbox.close()
            if left and journal is not None:
                print(  # noqa: T201  (at exit, where logging may already be shut down)
                    f"runlab: {left} writes to {outbox.tracking_uri} are waiting in the "
                    f"journal {journal.path} (the server did not answer); send them with:\n"
                    f"    runlab sync {journal.path.parent}",
                    file=sys.stderr,
                )
        self._raise_error()


def _journaled(store: TrackingStore) -> bool:
    from runlab import environment_variables as env

    rest = sys.modules.get("runlab.store.rest.store")  # not loaded: no server store exists
    return rest is not None and isinstance(store, rest.RestStore) and env.RUNLAB_JOURNAL.get()


def _batch_entry(run_id: str, buf: _RunBuffer) -> tuple[str, str, dict[str, Any], int]:
    from runlab.store.rest._sender import batch_body

    params, tags = list(buf.params.values()), list(buf.tags.values())
    body = batch_body(buf.metrics, params, tags)
    return run_id, "batch", body, len(buf.metrics) + len(params) + len(tags)


def _writer_loop(ref: weakref.ref[Batcher], wake: threading.Event, interval: float) -> None:
    while True:
        wake.wait(interval)
        wake.clear()
        batcher = ref()
        if batcher is None or batcher._closed:
            return
        if batcher._pending:
            batcher._drain()
        del batcher


_batchers: dict[int, Batcher] = {}
_batchers_lock = threading.Lock()


def batcher_for(store: TrackingStore) -> Batcher:
    """The one batcher of ``store`` in this process."""
    b = _batchers.get(id(store))
    if b is None:
        with _batchers_lock:
            b = _batchers.get(id(store))
            if b is None:
                b = _batchers[id(store)] = Batcher(store)
    return b


def existing_batcher(store: TrackingStore) -> Batcher | None:
    return _batchers.get(id(store))


def flush_all() -> None:
    for b in list(_batchers.values()):
        b.flush()


def close_all() -> None:
    with _batchers_lock:
        batchers = list(_batchers.values())
        _batchers.clear()
    for b in batchers:
        b.close()
