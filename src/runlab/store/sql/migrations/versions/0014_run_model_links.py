"""Logged models as run inputs and outputs.

Revision ID: 0014_run_model_links
Revises: 0013_logged_model_metrics
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_run_model_links"
down_revision = "0013_logged_model_metrics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_model_links",
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("model_id", sa.String(36), nullable=False),
        sa.Column("direction", sa.String(6), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_uuid"],
            ["runs.run_uuid"],
            name="fk_run_model_links_run_uuid_runs",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["logged_models.model_id"],
            name="fk_run_model_links_model_id_logged_models",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "run_uuid", "model_id", "direction", "step", name="pk_run_model_links"
        ),
    )


def downgrade() -> None:
    op.drop_table("run_model_links")
