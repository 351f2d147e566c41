"""Heartbeats and the sweep that ends the runs of processes that stopped sending them.

A run's last heartbeat is one row of ``run_heartbeats``. The sweep reads the rows older
than its cutoff (through their index), ends each still-RUNNING run FAILED at its last
heartbeat, and deletes the rows it has dealt with, so the range it scans stays small.
Each end is a conditional update (still RUNNING, heartbeat still old): of several
processes sweeping at once, only the one whose update took tags the run.
"""

from __future__ import annotations

from sqlalchemy import Connection

from runlab import _validation as check
from runlab.entities import RunStatus, RunTag
from runlab.errors import InvalidInputError, NotFoundError
from runlab.store.sql import _common, _logging, _raw
from runlab.store.sql._engine import Database

CRASHED_TAG = "runlab.crashed"

_UPSERT = (
    "INSERT INTO run_heartbeats (run_uuid, last_heartbeat) VALUES (?, ?) "
    "ON CONFLICT (run_uuid) DO UPDATE SET last_heartbeat = excluded.last_heartbeat "
    "WHERE excluded.last_heartbeat > run_heartbeats.last_heartbeat"
)
_MYSQL_UPSERT = (
    "INSERT INTO run_heartbeats (run_uuid, last_heartbeat) VALUES (?, ?) "
    "ON DUPLICATE KEY UPDATE last_heartbeat = GREATEST(last_heartbeat, VALUES(last_heartbeat))"
)
_STALE = (
    "SELECT h.run_uuid, r.status FROM run_heartbeats h JOIN runs r ON r.run_uuid = h.run_uuid "
    "WHERE h.last_heartbeat < ? ORDER BY h.run_uuid"
)
_LAST = "(SELECT last_heartbeat FROM run_heartbeats WHERE run_uuid = ?)"
_END = (
    f"UPDATE runs SET status = ?, end_time = {_LAST} "
    f"WHERE run_uuid = ? AND status = ? AND {_LAST} < ?"
)
_FORGET = "DELETE FROM run_heartbeats WHERE run_uuid = ? AND last_heartbeat < ?"


class HeartbeatMethods:
    """Mixed into SqlStore; works on its ``db``."""

    db: Database

    def record_heartbeat(self, run_id: str, time_ms: int | None = None) -> None:
        at = _common.now_ms() if time_ms is None else check.int64("time_ms", time_ms)

        def apply(conn: Connection) -> None:
            if not _raw.fetch(conn, "SELECT 1 FROM runs WHERE run_uuid = ?", (run_id,)):
                raise NotFoundError(f"run {run_id!r} not found")
            _raw.run(conn, _MYSQL_UPSERT if conn.dialect.name == "mysql" else _UPSERT, (run_id, at))

        self.db.write(apply)

    def end_crashed_runs(self, timeout_ms: int, now_ms: int | None = None) -> list[str]:
        timeout = check.int64("timeout_ms", timeout_ms)
        if timeout <= 0:
            raise InvalidInputError(f"timeout_ms must be positive, got {timeout}")
        now = _common.now_ms() if now_ms is None else check.int64("now_ms", now_ms)
        cutoff = now - timeout
        with self.db.read() as conn:  # the usual case, nothing stale, takes no write lock
            stale = _raw.fetch(conn, _STALE, (cutoff,))
        if not stale:
            return []

        def sweep(conn: Connection) -> list[str]:
            ended = []
            for run_id, status in stale:
                if status == RunStatus.RUNNING and _raw.run(
                    conn,
                    _END,
                    (RunStatus.FAILED, run_id, run_id, RunStatus.RUNNING, run_id, cutoff),
                ):
                    _logging.write_tags(conn, run_id, [RunTag(CRASHED_TAG, "true")])
                    ended.append(run_id)
                _raw.run(conn, _FORGET, (run_id, cutoff))
            return ended

        return self.db.write(sweep)
