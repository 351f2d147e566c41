"""MLflow 3 logged models: the models, their tags and params.

Revision ID: 0005_logged_models
Revises: 0002_registry
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_logged_models"
down_revision = "0004_auth"
branch_labels = None
depends_on = None

AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _key_value_table(table: str) -> None:
    op.create_table(
        table,
        sa.Column("model_id", sa.String(36), nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["logged_models.model_id"],
            name=f"fk_{table}_model_id_logged_models",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("model_id", "key", name=f"pk_{table}"),
    )


def upgrade() -> None:
    op.create_table(
        "logged_models",
        sa.Column("model_id", sa.String(36), nullable=False),
        sa.Column("experiment_id", AutoId, nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("artifact_location", sa.Text(), nullable=False),
        sa.Column("creation_time", sa.BigInteger(), nullable=False),
        sa.Column("last_updated_time", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("status_message", sa.Text(), nullable=True),
        sa.Column("model_type", sa.String(500), nullable=True),
        sa.Column("source_run_id", sa.String(32), nullable=True),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.experiment_id"],
            name="fk_logged_models_experiment_id_experiments",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("model_id", name="pk_logged_models"),
    )
    op.create_index(
        "ix_logged_models_experiment_id_creation_time",
        "logged_models",
        ["experiment_id", "creation_time"],
    )
    _key_value_table("logged_model_tags")
    _key_value_table("logged_model_params")


def downgrade() -> None:
    op.drop_table("logged_model_params")
    op.drop_table("logged_model_tags")
    op.drop_index("ix_logged_models_experiment_id_creation_time", table_name="logged_models")
    op.drop_table("logged_models")
