"""Model versions remember the MLflow 3 logged model they were registered from.

The column is ``logged_model_id`` because ``model_versions.model_id`` already names the
registered model's surrogate key. It has no foreign key: a version outlives the logged
model it came from, as in MLflow.

Revision ID: 0010_model_version_logged_model
Revises: 0009_metrics_keyed_by_point
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_model_version_logged_model"
down_revision = "0009_metrics_keyed_by_point"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("model_versions", sa.Column("logged_model_id", sa.String(36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("model_versions") as batch:
        batch.drop_column("logged_model_id")
