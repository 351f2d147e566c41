"""Sending a journal's writes to its server, in order, deleting each once acknowledged.

:class:`Outbox` is the live side: the batcher of a process appends to it and a
background thread sends. When the server does not answer past the retry budget
(``RUNLAB_HTTP_MAX_RETRIES`` attempts, ``RUNLAB_HTTP_BACKOFF_*`` apart, probing at least
every 10 s), the outbox is *offline*: one warning says so, logging goes on into the
journal, and the thread keeps probing and resumes by itself. :func:`send_entry` is the
one dispatch both the outbox and ``runlab sync`` use.

Every write kind is safe to send twice, so a write whose answer was lost is simply sent
again: the server keeps one copy of an identical metric point, an identical param is
accepted again, a tag or a run update sets the same value, a dataset input is linked once,
an artifact file is put again whole.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from runlab import wire
from runlab.entities import Metric, Param, RunTag
from runlab.errors import RunlabError, StorageError
from runlab.store.rest._stash import Uploader
from runlab.store.rest.journal import Entry, Journal, journal_dir
from runlab.store.rest.store import RestStore

__all__ = ["Outbox", "batch_body", "send_entry"]

log = logging.getLogger("runlab")
PROBE_MAX_S = 10.0  # an offline outbox asks the server at least this often


def batch_body(
    metrics: Sequence[Metric], params: Sequence[Param], tags: Sequence[RunTag]
) -> dict[str, Any]:
    return {
        "metrics": [wire.metric_json(m) for m in metrics],
        "params": [wire.param_json(p) for p in params],
        "tags": [wire.tag_json(t) for t in tags],
    }


def send_entry(store: RestStore, entry: Entry, journal: Journal, uploader: Uploader) -> None:
    """Send one journal write (an ``artifacts`` row through ``uploader``, its files kept
    beside ``journal``); raises what the store raises."""
    body, run_id = entry.body, entry.run_id
    if entry.kind == "artifacts":
        uploader.upload(journal, entry)
    elif entry.kind == "batch":
        store.log_batch(
            run_id,
            metrics=[wire.metric_from_json(m, run_id) for m in body.get("metrics") or ()],
            params=[Param(p["key"], p["value"]) for p in body.get("params") or ()],
            tags=[RunTag(t["key"], t["value"]) for t in body.get("tags") or ()],
        )
    elif entry.kind == "update":
        store.update_run_info(run_id, status=body.get("status"), end_time=body.get("end_time"))
    elif entry.kind == "inputs":
        items = [wire.dataset_input_from_json(d) for d in body.get("datasets") or ()]
        store.log_inputs(run_id, items)
    else:
        raise StorageError(f"journal write {entry.seq} has an unknown kind {entry.kind!r}")


def quiet_store(tracking_uri: str) -> RestStore:
    """A store whose calls try once: the outbox does its own waiting, without a warning
    per attempt."""
    store = RestStore(tracking_uri)
    store.http.settings = dataclasses.replace(store.http.settings, max_retries=0)
    return store


class Outbox:
    """This process's journal for one server, and the thread that empties it."""

    def __init__(self, tracking_uri: str, on_refused: Callable[[Entry, RunlabError], None]) -> None:
        self.tracking_uri = tracking_uri
        self._on_refused = on_refused
        self._store = quiet_store(tracking_uri)
        self._uploader = Uploader(self._store, quiet=True)
        self._budget = RestStore(tracking_uri).http.settings
        self._journal: Journal | None = None
        self._cond = threading.Condition()
        self._appended = 0  # highest seq written
        self._done = 0  # highest seq acknowledged or refused
        self._offline = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self._nudge = threading.Event()  # cuts a wait between attempts short
        self._attempts = 0
        self._delivered: dict[str, float] = {}  # run id → when a log-batch of it was stored

    @property
    def journal(self) -> Journal:
        if self._journal is None:
            self._journal = Journal.create(journal_dir(), self.tracking_uri)
        return self._journal

    def append(self, entries: Sequence[tuple[str, str, dict[str, Any], int]]) -> int:
        if not entries:
            return self._appended
        seq = self.journal.append(entries)
        with self._cond:
            self._appended = max(self._appended, seq)
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._run, name="runlab-sender", daemon=True)
                self._thread.start()
            self._cond.notify_all()
        return seq

    def delivered_within(self, run_id: str, seconds: float) -> bool:
        """Whether a log-batch of ``run_id`` was stored in the last ``seconds`` (a server
        takes it as the run's heartbeat)."""
        at = self._delivered.get(run_id)
        return at is not None and time.monotonic() - at < seconds

    def unsent(self) -> bool:
        return self._done < self._appended

    def wait(self, seq: int | None = None) -> bool:
        """Wait until every write up to ``seq`` (default: all) is acknowledged; False
        (at once) when the server is offline, the writes staying in the journal."""
        target = self._appended if seq is None else seq
        with self._cond:
            if self._offline and self._done < target:
                # One attempt now rather than at the next probe: the server may be back.
                tried = self._attempts
                self._nudge.set()
                while self._attempts == tried and self._offline and not self._closed:
                    self._cond.wait(0.5)
            while self._done < target and not self._offline and self._thread is not None:
                self._cond.wait(0.5)
            return self._done >= target

    # ---------------------------------------------------------------- the thread
    def _run(self) -> None:
        try:
            self._send_until_closed()
        except Exception as exc:  # the journal closed under a request that outlived exit
            if not self._closed:
                log.error("runlab: the journal sender stopped: %s", exc)

    def _send_until_closed(self) -> None:
        failures = 0
        while True:
            with self._cond:
                while self._done >= self._appended and not self._closed:
                    self._cond.wait()
                if self._closed and (self._done >= self._appended or self._offline):
                    return
            for entry in self.journal.head(100):
                try:
                    send_entry(self._store, entry, self.journal, self._uploader)
                except StorageError as exc:
                    failures += 1
                    self._failed(exc, failures)
                    break
                except RunlabError as exc:  # refused: sending it again cannot help
                    self.journal.remove(entry)
                    self._on_refused(entry, exc)
                else:
                    self.journal.remove(entry)
                    if entry.kind == "batch":
                        self._delivered[entry.run_id] = time.monotonic()
                    if failures:
                        self._resumed()
                    failures = 0
                with self._cond:
                    self._done = entry.seq
                    self._attempts += 1
                    self._cond.notify_all()

    def _failed(self, exc: StorageError, failures: int) -> None:
        s = self._budget
        with self._cond:
            self._attempts += 1
            self._cond.notify_all()
        if failures > s.max_retries and not self._offline:
            count, _ = self.journal.waiting()
            log.warning(
                "runlab: the tracking server %s did not answer after %d attempts (%s); "
                "training goes on and writes are kept in the journal %s (%d waiting) "
                "until it answers again",
                self.tracking_uri,
                failures,
                exc.message.splitlines()[0][:200],
                self.journal.path,
                count,
            )
            with self._cond:
                self._offline = True
                self._cond.notify_all()
        delay = min(s.backoff_factor * 2 ** min(failures - 1, 30), s.backoff_max, PROBE_MAX_S)
        delay += random.uniform(0, min(1.0, s.backoff_factor))
        self._nudge.wait(delay)
        self._nudge.clear()

    def _resumed(self) -> None:
        if self._offline:
            log.info("runlab: the tracking server %s answers again; sending", self.tracking_uri)
        with self._cond:
            self._offline = False

    # ---------------------------------------------------------------- exit
    def close(self) -> tuple[int, Journal | None]:
        """Send what waits (unless the server is offline), stop, and close the journal;
        returns how many writes are left in it and the journal."""
        self.wait()
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._nudge.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
        journal, self._journal = self._journal, None
        if journal is None:
            return 0, None
        left = journal.waiting()[0]
        journal.close()
        return left, journal
