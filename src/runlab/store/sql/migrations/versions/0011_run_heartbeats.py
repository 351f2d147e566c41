"""Heartbeats: each run's last sign of life, so runs of crashed processes can be ended.

Revision ID: 0011_run_heartbeats
Revises: 0010_model_version_logged_model
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_run_heartbeats"
down_revision = "0010_model_version_logged_model"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_heartbeats",
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("last_heartbeat", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_uuid"],
            ["runs.run_uuid"],
            name="fk_run_heartbeats_run_uuid_runs",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_uuid", name="pk_run_heartbeats"),
    )
    op.create_index("ix_run_heartbeats_last_heartbeat", "run_heartbeats", ["last_heartbeat"])


def downgrade() -> None:
    op.drop_index("ix_run_heartbeats_last_heartbeat", table_name="run_heartbeats")
    op.drop_table("run_heartbeats")
