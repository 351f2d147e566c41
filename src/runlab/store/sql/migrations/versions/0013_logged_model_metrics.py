"""Metrics of logged models: points logged with a model_id, with their run and dataset.

Revision ID: 0013_logged_model_metrics
Revises: 0012_search_indexes
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_logged_model_metrics"
down_revision = "0012_search_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "logged_model_metrics",
        sa.Column("model_id", sa.String(36), nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("is_nan", sa.Boolean(), nullable=False),
        sa.Column("dataset_name", sa.String(500), nullable=False),
        sa.Column("dataset_digest", sa.String(36), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["logged_models.model_id"],
            name="fk_logged_model_metrics_model_id_logged_models",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_uuid"],
            ["runs.run_uuid"],
            name="fk_logged_model_metrics_run_uuid_runs",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "model_id", "key", "timestamp", "step", "run_uuid", name="pk_logged_model_metrics"
        ),
    )


def downgrade() -> None:
    op.drop_table("logged_model_metrics")
