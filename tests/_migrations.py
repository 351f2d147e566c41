"""Databases at an older schema revision, for tests of the migrations that follow it.

from tests._migrations import migrate, add_metric_rows
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text

from runlab.store.sql import _migrate


def migrate(conn: Connection, revision: str, action: str = "upgrade") -> None:
    """Alembic's ``upgrade`` (or ``downgrade``) to ``revision`` on ``conn``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(_migrate._MIGRATIONS))
    cfg.attributes["connection"] = conn
    getattr(command, action)(cfg, revision)


def add_metric_rows(
    conn: Connection,
    run_ids: Sequence[str],
    rows: Sequence[tuple[str, float, bool, int, int]],
) -> None:
    """The Default experiment, a run per id, and the metric ``rows`` (key, value, is_nan,
    timestamp, step) stored as they are in each run, written as plain SQL so that any
    schema revision since the first takes them."""
    conn.execute(
        text(
            "INSERT INTO experiments (experiment_id, name, artifact_location, "
            "lifecycle_stage, creation_time, last_update_time) "
            "VALUES (0, 'Default', 'x', 'active', 1, 1)"
        )
    )
    for run_id in run_ids:
        conn.execute(
            text(
                "INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, "
                "lifecycle_stage, artifact_uri) "
                "VALUES (:r, 'r', 0, 'u', 'RUNNING', 'active', 'x')"
            ),
            {"r": run_id},
        )
        conn.execute(
            text(
                "INSERT INTO metrics (run_uuid, key, value, is_nan, timestamp, step) "
                "VALUES (:r, :k, :v, :n, :t, :s)"
            ),
            [{"r": run_id, "k": k, "v": v, "n": n, "t": t, "s": s} for k, v, n, t, s in rows],
        )
