"""Identical metric points are stored once, as MLflow does: a retried batch (a client that
resent a request whose answer it lost) no longer doubles its points.

Existing duplicates are removed first, keeping the earliest row of each point; then the
step index becomes unique over the whole point. Its leading columns stay (run, key, step,
value, is_nan), so chart buckets still read their extremes from the index alone, and the
timestamp comes last. A NaN is stored as value 0 with ``is_nan`` set, so two NaN points at
the same step and time are duplicates too.

Revision ID: 0007_metric_dedupe
Revises: 0006_ui_indexes
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0007_metric_dedupe"
down_revision = "0006_ui_indexes"
branch_labels = None
depends_on = None

_OLD = "ix_metrics_run_uuid_key_step_value_is_nan"
_NEW = "ix_metrics_run_uuid_key_step_value_is_nan_timestamp"
_STEP = ["run_uuid", "key", "step", "value", "is_nan"]

# Each lookup is a seek in the old step index; valid SQL on SQLite and PostgreSQL.
_DELETE_DUPLICATES = """
DELETE FROM metrics WHERE EXISTS (
    SELECT 1 FROM metrics AS earlier
    WHERE earlier.run_uuid = metrics.run_uuid
      AND earlier.key = metrics.key
      AND earlier.step = metrics.step
      AND earlier.value = metrics.value
      AND earlier.is_nan = metrics.is_nan
      AND earlier.timestamp = metrics.timestamp
      AND earlier.id < metrics.id
)
"""

# MySQL refuses a sub-query on the table a DELETE removes from, but deletes through a join.
_MYSQL_DELETE_DUPLICATES = """
DELETE later FROM metrics AS later JOIN metrics AS earlier
    ON earlier.run_uuid = later.run_uuid
   AND earlier.key = later.key
   AND earlier.step = later.step
   AND earlier.value = later.value
   AND earlier.is_nan = later.is_nan
   AND earlier.timestamp = later.timestamp
   AND earlier.id < later.id
"""


def upgrade() -> None:
    mysql = op.get_bind().dialect.name == "mysql"
    op.execute(_MYSQL_DELETE_DUPLICATES if mysql else _DELETE_DUPLICATES)
    op.create_index(_NEW, "metrics", [*_STEP, "timestamp"], unique=True)
    op.drop_index(_OLD, table_name="metrics")


def downgrade() -> None:
    op.create_index(_OLD, "metrics", _STEP)
    op.drop_index(_NEW, table_name="metrics")
