"""Indexes for thinned metric charts: every x bucket of a long history is an index range
whose lowest and highest values are read from the index alone, on both x axes.

The step index gains the value columns (it serves history reads as before); wall time gets
its own index.

Revision ID: 0006_ui_indexes
Revises: 0005_logged_models
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0006_ui_indexes"
down_revision = "0005_logged_models"
branch_labels = None
depends_on = None

_STEP = ["run_uuid", "key", "step", "value", "is_nan"]
_WALL = ["run_uuid", "key", "timestamp", "value", "is_nan"]


def upgrade() -> None:
    op.create_index("ix_metrics_run_uuid_key_step_value_is_nan", "metrics", _STEP)
    op.create_index("ix_metrics_run_uuid_key_timestamp_value_is_nan", "metrics", _WALL)
    op.drop_index("ix_metrics_run_uuid_key_step", table_name="metrics")


def downgrade() -> None:
    op.create_index("ix_metrics_run_uuid_key_step", "metrics", ["run_uuid", "key", "step"])
    op.drop_index("ix_metrics_run_uuid_key_timestamp_value_is_nan", table_name="metrics")
    op.drop_index("ix_metrics_run_uuid_key_step_value_is_nan", table_name="metrics")
