"""The model registry: registered models, versions, tags, aliases and stage history.

Revision ID: 0002_registry
Revises: 0001_initial
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_registry"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _version_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["model_id", "version"],
        ["model_versions.model_id", "model_versions.version"],
        name=f"fk_{table}_model_id_model_versions",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "registered_models",
        sa.Column("model_id", AutoId, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("creation_time", sa.BigInteger(), nullable=False),
        sa.Column("last_updated_time", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.String(5000), nullable=True),
        sa.Column("last_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("model_id", name="pk_registered_models"),
        sa.UniqueConstraint("name", name="uq_registered_models_name"),
    )
    op.create_table(
        "registered_model_tags",
        sa.Column("model_id", AutoId, nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["registered_models.model_id"],
            name="fk_registered_model_tags_model_id_registered_models",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("model_id", "key", name="pk_registered_model_tags"),
    )
    op.create_table(
        "model_versions",
        sa.Column("model_id", AutoId, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("creation_time", sa.BigInteger(), nullable=False),
        sa.Column("last_updated_time", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.String(5000), nullable=True),
        sa.Column("user_id", sa.String(256), nullable=True),
        sa.Column("current_stage", sa.String(20), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("run_id", sa.String(256), nullable=True),
        sa.Column("run_link", sa.Text(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_message", sa.String(500), nullable=True),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["registered_models.model_id"],
            name="fk_model_versions_model_id_registered_models",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("model_id", "version", name="pk_model_versions"),
    )
    op.create_index("ix_model_versions_run_id", "model_versions", ["run_id"])
    op.create_table(
        "model_version_tags",
        sa.Column("model_id", AutoId, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        _version_fk("model_version_tags"),
        sa.PrimaryKeyConstraint("model_id", "version", "key", name="pk_model_version_tags"),
    )
    op.create_table(
        "registered_model_aliases",
        sa.Column("model_id", AutoId, nullable=False),
        sa.Column("alias", sa.String(255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _version_fk("registered_model_aliases"),
        sa.PrimaryKeyConstraint("model_id", "alias", name="pk_registered_model_aliases"),
    )
    op.create_table(
        "model_version_stage_transitions",
        sa.Column("id", AutoId, autoincrement=True, nullable=False),
        sa.Column("model_id", AutoId, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("from_stage", sa.String(20), nullable=False),
        sa.Column("to_stage", sa.String(20), nullable=False),
        sa.Column("user_id", sa.String(256), nullable=True),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        _version_fk("model_version_stage_transitions"),
        sa.PrimaryKeyConstraint("id", name="pk_model_version_stage_transitions"),
    )
    op.create_index(
        "ix_model_version_stage_transitions_model_id_version",
        "model_version_stage_transitions",
        ["model_id", "version"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_model_version_stage_transitions_model_id_version",
        table_name="model_version_stage_transitions",
    )
    op.drop_table("model_version_stage_transitions")
    op.drop_table("registered_model_aliases")
    op.drop_table("model_version_tags")
    op.drop_index("ix_model_versions_run_id", table_name="model_versions")
    op.drop_table("model_versions")
    op.drop_table("registered_model_tags")
    op.drop_table("registered_models")
