"""Heartbeats and the sweep that ends the runs of processes that stopped sending them.

A run's last heartbeat is one row of ``run_heartbeats``. The sweep reads the rows older
than its cutoff (through their index), ends each still-RUNNING run FAILED at its last
heartbeat, and deletes the rows it has dealt with, so the range it scans stays small.
Each end is a conditional update (still RUNNING, heartbeat still old): of several
processes sweeping at once, only the one whose update took tags the run.

A delivered log-batch refreshes the heartbeat of a run that has one (:func:`touch`), so a
client busy sending needs no separate heartbeat. A heartbeat for a run the sweep ended
(its client was offline past the timeout) makes it RUNNING again (:func:`revive`).
Asked to, the sweep also ends runs that never sent a heartbeat (the MLflow client's),
silent since their start and latest metric point.
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

# Runs that never sent a heartbeat: their last sign of life is their start or their latest
# metric point (params and tags carry no time). Read only when the sweep is asked to.
_LAST_POINT = "(SELECT max(m.timestamp) FROM latest_metrics m WHERE m.run_uuid = r.run_uuid)"
_NO_BEAT = "NOT EXISTS (SELECT 1 FROM run_heartbeats h WHERE h.run_uuid = r.run_uuid)"
_SILENT = (
    f"SELECT r.run_uuid, coalesce(r.start_time, 0), coalesce({_LAST_POINT}, 0) FROM runs r "
    f"WHERE r.status = ? AND {_NO_BEAT} AND coalesce(r.start_time, 0) < ? "
    f"AND coalesce({_LAST_POINT}, 0) < ? ORDER BY r.run_uuid"
)
_END_SILENT = (
    "UPDATE runs SET status = ?, end_time = ? WHERE run_uuid = ? AND status = ? AND "
    "NOT EXISTS (SELECT 1 FROM run_heartbeats h WHERE h.run_uuid = ?) AND coalesce("
    "(SELECT max(m.timestamp) FROM latest_metrics m WHERE m.run_uuid = ?), 0) < ?"
)
# A delivered log-batch is a sign of life of a run that sends heartbeats (it has a row):
# one update through the primary key, in the batch's transaction; other runs gain no row.
_TOUCH = "UPDATE run_heartbeats SET last_heartbeat = ? WHERE run_uuid = ? AND last_heartbeat < ?"


def touch(conn: Connection, run_id: str) -> None:
    """A delivered write is a sign of life of its run, if the run sends heartbeats."""
    at = _common.now_ms()
    _raw.run(conn, _TOUCH, (at, run_id, at))


def revive(conn: Connection, run_id: str) -> None:
    """A run the sweep ended as crashed whose process turns out to live (it was offline
    longer than the timeout) is RUNNING again, without an end time or the crashed tag."""
    if _raw.run(conn, "DELETE FROM tags WHERE run_uuid = ? AND key = ?", (run_id, CRASHED_TAG)):
        _raw.run(
            conn,
            "UPDATE runs SET status = ?, end_time = NULL WHERE run_uuid = ? AND status = ?",
            (RunStatus.RUNNING, run_id, RunStatus.FAILED),
        )


class HeartbeatMethods:
    """Mixed into SqlStore; works on its ``db``."""

    db: Database

    def record_heartbeat(self, run_id: str, time_ms: int | None = None) -> None:
        at = _common.now_ms() if time_ms is None else check.int64("time_ms", time_ms)

        def apply(conn: Connection) -> None:
            found = _raw.fetch(conn, "SELECT status FROM runs WHERE run_uuid = ?", (run_id,))
            if not found:
                raise NotFoundError(f"run {run_id!r} not found")
            if found[0][0] == RunStatus.FAILED:
                revive(conn, run_id)
            _raw.run(conn, _MYSQL_UPSERT if conn.dialect.name == "mysql" else _UPSERT, (run_id, at))

        self.db.write(apply)

    def end_crashed_runs(
        self, timeout_ms: int, now_ms: int | None = None, silent_runs: bool = False
    ) -> list[str]:
        timeout = check.int64("timeout_ms", timeout_ms)
        if timeout <= 0:
            raise InvalidInputError(f"timeout_ms must be positive, got {timeout}")
        now = _common.now_ms() if now_ms is None else check.int64("now_ms", now_ms)
        cutoff = now - timeout
        with self.db.read() as conn:  # the usual case, nothing stale, takes no write lock
            stale = _raw.fetch(conn, _STALE, (cutoff,))
            silent = (
                _raw.fetch(conn, _SILENT, (RunStatus.RUNNING, cutoff, cutoff))
                if silent_runs
                else []
            )
        if not stale and not silent:
            return []

        def sweep(conn: Connection) -> list[str]:
            ended = []
            for run_id, started, last_point in silent:
                end = max(int(started), int(last_point))
                if _raw.run(
                    conn,
                    _END_SILENT,
                    (RunStatus.FAILED, end, run_id, RunStatus.RUNNING, run_id, run_id, cutoff),
                ):
                    _logging.write_tags(conn, run_id, [RunTag(CRASHED_TAG, "true")])
                    ended.append(run_id)
            for run_id, status in stale:
                if status == RunStatus.RUNNING and _raw.run(
                    conn,
                    _END,
                    (RunStatus.FAILED, run_id, run_id, RunStatus.RUNNING, run_id, cutoff),
                ):
                    _logging.write_tags(conn, run_id, [RunTag(CRASHED_TAG, "true")])
                    ended.append(run_id)
                _raw.run(conn, _FORGET, (run_id, cutoff))
            return sorted(ended)

        return self.db.write(sweep)
