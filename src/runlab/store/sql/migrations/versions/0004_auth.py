"""Users, API tokens and per-experiment / per-registered-model permissions.

Revision ID: 0004_auth
Revises: 0002_registry
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_auth"
down_revision = "0002_registry"
branch_labels = None
depends_on = None

AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["users.user_id"], name=f"fk_{table}_user_id_users", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("user_id", AutoId, autoincrement=True, nullable=False),
        sa.Column("username", sa.String(256), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("creation_time", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("token_id", AutoId, autoincrement=True, nullable=False),
        sa.Column("user_id", AutoId, nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("creation_time", sa.BigInteger(), nullable=False),
        sa.Column("last_used_time", sa.BigInteger(), nullable=True),
        sa.Column("expiry_time", sa.BigInteger(), nullable=True),
        sa.Column("revoked_time", sa.BigInteger(), nullable=True),
        _user_fk("api_tokens"),
        sa.PrimaryKeyConstraint("token_id", name="pk_api_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])
    op.create_table(
        "experiment_permissions",
        sa.Column("experiment_id", sa.String(32), nullable=False),
        sa.Column("user_id", AutoId, nullable=False),
        sa.Column("permission", sa.String(20), nullable=False),
        _user_fk("experiment_permissions"),
        sa.PrimaryKeyConstraint("experiment_id", "user_id", name="pk_experiment_permissions"),
    )
    op.create_table(
        "registered_model_permissions",
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("user_id", AutoId, nullable=False),
        sa.Column("permission", sa.String(20), nullable=False),
        _user_fk("registered_model_permissions"),
        sa.PrimaryKeyConstraint("name", "user_id", name="pk_registered_model_permissions"),
    )


def downgrade() -> None:
    op.drop_table("registered_model_permissions")
    op.drop_table("experiment_permissions")
    op.drop_index("ix_api_tokens_user_id", table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_table("users")
