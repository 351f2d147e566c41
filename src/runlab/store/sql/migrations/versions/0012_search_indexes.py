"""Indexes that let a run search read only what it returns.

- runs: (experiment, stage, start_time, run_uuid), so the default order (newest first,
  then run id) is an index scan that stops at the page, and a keyset page starts where
  the last one ended.
- latest_metrics: (key, is_nan, value, run_uuid), so a metric filter is an index range
  and ordering by a metric reads the top of it.
- params and tags: (key, first 200 characters of value). A b-tree entry of PostgreSQL
  holds at most ~2.7 kB and values go to 6,000 (params) or 8,000 (tags) characters, so
  the index keeps a prefix; searches compare the prefix first, then the whole value.
  MySQL and MariaDB take a prefix index of their own kind (``value(200)``).

Revision ID: 0012_search_indexes
Revises: 0011_run_heartbeats
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_search_indexes"
down_revision = "0011_run_heartbeats"
branch_labels = None
depends_on = None

_RUNS = ["experiment_id", "lifecycle_stage", "start_time", "run_uuid"]
_LATEST = ["key", "is_nan", "value", "run_uuid"]
VALUE_PREFIX = 200


def upgrade() -> None:
    op.create_index("ix_runs_experiment_id_lifecycle_stage_start_time_run_uuid", "runs", _RUNS)
    op.drop_index("ix_runs_experiment_id_lifecycle_stage_start_time", table_name="runs")
    op.create_index("ix_latest_metrics_key_is_nan_value_run_uuid", "latest_metrics", _LATEST)
    op.drop_index("ix_latest_metrics_key_value", table_name="latest_metrics")
    mysql = op.get_bind().dialect.name == "mysql"
    for table in ("params", "tags"):
        if mysql:  # no expression indexes on MariaDB; a prefix index is MySQL's own form
            op.create_index(
                f"ix_{table}_key_value_prefix",
                table,
                ["key", "value"],
                mysql_length={"value": VALUE_PREFIX},
            )
            continue
        prefix = sa.text(f"substr(value, 1, {VALUE_PREFIX})")
        op.create_index(f"ix_{table}_key_value_prefix", table, [sa.text("key"), prefix])


def downgrade() -> None:
    for table in ("params", "tags"):
        op.drop_index(f"ix_{table}_key_value_prefix", table_name=table)
    op.create_index("ix_latest_metrics_key_value", "latest_metrics", ["key", "value"])
    op.drop_index("ix_latest_metrics_key_is_nan_value_run_uuid", table_name="latest_metrics")
    op.create_index(
        "ix_runs_experiment_id_lifecycle_stage_start_time",
        "runs",
        ["experiment_id", "lifecycle_stage", "start_time"],
    )
    op.drop_index("ix_runs_experiment_id_lifecycle_stage_start_time_run_uuid", table_name="runs")
