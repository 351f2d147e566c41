"""The client's journal of writes to a tracking server: durable until acknowledged.

Each process that logs to a server keeps one SQLite file (WAL mode, ``synchronous=NORMAL``:
it survives the process being killed) in :func:`journal_dir`. A write goes in as one row
(its kind, its run and the request body as MLflow's JSON), is sent in row order, and is
deleted once the server has acknowledged it. The rows are self-contained, so any later
process (``runlab sync``) can send what an ended process left behind. Artifact files
being uploaded wait beside it, in ``<journal>.files/`` (:mod:`runlab.store.rest._stash`).

Beside each journal lies a lock file that its process holds (``flock``) for as long as it
lives; the operating system releases it when the process ends, however it ends. A sender
takes that lock before reading a journal, so a live process's journal is never sent by
anyone else and two ``runlab sync`` never send the same journal.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runlab import environment_variables as env
from runlab.errors import StorageError

__all__ = ["KINDS", "SUFFIX", "Entry", "Journal", "journal_dir"]

SUFFIX = ".journal"
# log-batch, runs/update and runs/log-inputs bodies; artifact files set aside (_stash)
KINDS = ("batch", "update", "inputs", "artifacts")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS writes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    points INTEGER NOT NULL
);
"""


def journal_dir() -> Path:
    """``RUNLAB_JOURNAL_DIR``, else ``runlab/journal`` in the user's cache folder."""
    chosen = env.RUNLAB_JOURNAL_DIR.get()
    if chosen:
        return Path(chosen).expanduser()
    if os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "runlab" / "journal"


@dataclass(frozen=True)
class Entry:
    seq: int
    run_id: str
    kind: str
    body: dict[str, Any]
    points: int  # metric points, params and tags it carries (what progress counts)


def _try_lock(path: Path) -> int | None:
    """An open descriptor holding an exclusive lock on ``path``, or None if it is held."""
    import fcntl

    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


class Journal:
    """One journal file, open and locked by this process."""

    def __init__(self, path: Path, lock_fd: int) -> None:
        self.path = path
        self._lock_fd: int | None = lock_fd
        self._lock = threading.Lock()  # one connection, shared by the logging threads
        try:
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=10000")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            self._release()
            raise StorageError(f"cannot open the runlab journal {path}: {exc}") from exc

    @property
    def lock_path(self) -> Path:
        return lock_path(self.path)

    @property
    def files_dir(self) -> Path:
        """Where the artifact files of ``artifacts`` rows wait for their upload."""
        return self.path.with_name(self.path.name + ".files")

    # ---------------------------------------------------------------- opening
    @classmethod
    def create(cls, folder: Path, tracking_uri: str) -> Journal:
        """A new journal for this process's writes to ``tracking_uri``."""
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot create the runlab journal folder {folder}: {exc} "
                "(set RUNLAB_JOURNAL_DIR to a writable folder)"
            ) from exc
        path = folder / f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}{SUFFIX}"
        fd = _try_lock(lock_path(path))  # taken before the file exists: sync never races us
        assert fd is not None, "a fresh lock file is never held"
        journal = cls(path, fd)
        meta = {
            "tracking_uri": tracking_uri,
            "pid": str(os.getpid()),
            "host": socket.gethostname(),
            "created": str(int(time.time() * 1000)),
        }
        with journal._lock:
            journal._db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())
        return journal

    @classmethod
    def claim(cls, path: Path) -> Journal | None:
        """The journal at ``path`` if its process has ended and no one else is sending it."""
        fd = _try_lock(lock_path(path))
        if fd is None:
            return None
        if not path.exists():  # its process deleted it (empty) just before we locked
            os.close(fd)
            return None
        return cls(path, fd)

    # ---------------------------------------------------------------- reading
    def meta(self) -> dict[str, str]:
        with self._lock:
            return dict(self._db.execute("SELECT key, value FROM meta").fetchall())

    @property
    def tracking_uri(self) -> str:
        uri = self.meta().get("tracking_uri")
        if not uri:
            raise StorageError(f"the runlab journal {self.path} names no tracking server")
        return uri

    def waiting(self) -> tuple[int, int]:
        """How many writes wait, and how many points, params and tags they carry."""
        with self._lock:
            row = self._db.execute("SELECT count(*), coalesce(sum(points), 0) FROM writes")
            count, points = row.fetchone()
        return int(count), int(points)

    def head(self, limit: int = 100) -> list[Entry]:
        """The oldest ``limit`` writes, in the order they were made."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, run_id, kind, body, points FROM writes ORDER BY seq LIMIT ?",
                (limit,),
            ).fetchall()
        return [Entry(seq, run, kind, json.loads(body), n) for seq, run, kind, body, n in rows]

    # ---------------------------------------------------------------- writing
    def append(self, entries: Sequence[tuple[str, str, dict[str, Any], int]]) -> int:
        """Store ``(run_id, kind, body, points)`` writes in one transaction; the last seq."""
        rows = [
            (run, kind, json.dumps(body, separators=(",", ":"), allow_nan=False), points)
            for run, kind, body, points in entries
        ]
        try:
            with self._lock:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    self._db.executemany(
                        "INSERT INTO writes (run_id, kind, body, points) VALUES (?, ?, ?, ?)",
                        rows,
                    )
                    last = self._db.execute("SELECT max(seq) FROM writes").fetchone()[0]
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
        except sqlite3.Error as exc:
            raise StorageError(f"cannot write to the runlab journal {self.path}: {exc}") from exc
        return int(last or 0)

    def remove(self, entry: Entry) -> None:
        """Forget a write the server acknowledged (or refused for good), and the files it
        set aside (after the row: a crash between the two leaves files, never a row
        without its files)."""
        with self._lock:
            self._db.execute("DELETE FROM writes WHERE seq = ?", (entry.seq,))
        if entry.kind == "artifacts":
            from runlab.store.rest._stash import discard

            discard(self, entry.body)

    # ---------------------------------------------------------------- closing
    def close(self) -> None:
        """Close; delete the files when nothing waits. The lock is released last."""
        if self._lock_fd is None:
            return
        empty = self.waiting()[0] == 0
        with self._lock:
            self._db.close()
        if empty:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            shutil.rmtree(self.files_dir, ignore_errors=True)
            self.lock_path.unlink(missing_ok=True)
        self._release()

    def _release(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")
