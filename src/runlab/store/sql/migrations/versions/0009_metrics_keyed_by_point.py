"""The metric history is keyed by the whole point, and loses its row id and wall-time index.

Every logged point used to cost three b-tree inserts: the row (by id), the unique index of
the point and the wall-time index. Now the unique point is the primary key itself,
ordered (run, key, step, timestamp, value, is_nan), and on SQLite the rows live in that
key's b-tree (WITHOUT ROWID): one insert per point, and half the bytes on disk. Charts
over wall time read the series once instead of ranges of an index of their own.

SQLite copies the rows into the new table in key order; PostgreSQL and MySQL drop the
column and the indexes in place and make the point the primary key (the unique index of
0007 guarantees no point is there twice).

Revision ID: 0009_metrics_keyed_by_point
Revises: 0008_key_value_without_rowid
Create Date: 2026-11-24
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0009_metrics_keyed_by_point"
down_revision = "0008_key_value_without_rowid"
branch_labels = None
depends_on = None

_KEY = ["run_uuid", "key", "step", "timestamp", "value", "is_nan"]
_COLUMNS = "run_uuid, key, value, is_nan, timestamp, step"
_UNIQUE = "ix_metrics_run_uuid_key_step_value_is_nan_timestamp"
_UNIQUE_COLUMNS = ["run_uuid", "key", "step", "value", "is_nan", "timestamp"]
_WALL = "ix_metrics_run_uuid_key_timestamp_value_is_nan"
_WALL_COLUMNS = ["run_uuid", "key", "timestamp", "value", "is_nan"]
_FK = "fk_metrics_run_uuid_runs"


def _point_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("is_nan", sa.Boolean(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
    ]


def _copy_into(table: str, order: str) -> None:
    """SQLite: a new ``metrics`` built as ``table`` with the rows copied in ``order``."""
    op.execute(f"INSERT INTO {table} ({_COLUMNS}) SELECT {_COLUMNS} FROM metrics ORDER BY {order}")
    op.drop_table("metrics")
    op.rename_table(table, "metrics")


def upgrade() -> None:
    if op.get_bind().dialect.name == "mysql":
        # MySQL keeps an auto-increment column in a key: the column goes with its key.
        op.drop_index(_WALL, table_name="metrics")
        op.drop_column("metrics", "id")
        op.create_primary_key("pk_metrics", "metrics", _KEY)
        op.drop_index(_UNIQUE, table_name="metrics")
        return
    if op.get_bind().dialect.name != "sqlite":
        op.drop_index(_WALL, table_name="metrics")
        op.drop_constraint("pk_metrics", "metrics", type_="primary")
        op.drop_column("metrics", "id")
        op.create_primary_key("pk_metrics", "metrics", _KEY)
        op.drop_index(_UNIQUE, table_name="metrics")
        return
    op.create_table(
        "_metrics_keyed",
        *_point_columns(),
        sa.ForeignKeyConstraint(["run_uuid"], ["runs.run_uuid"], name=_FK, ondelete="CASCADE"),
        sa.PrimaryKeyConstraint(*_KEY, name="pk_metrics"),
        sqlite_with_rowid=False,
    )
    _copy_into("_metrics_keyed", ", ".join(_KEY))


def downgrade() -> None:
    if op.get_bind().dialect.name == "mysql":
        op.create_index(_UNIQUE, "metrics", _UNIQUE_COLUMNS, unique=True)
        op.drop_constraint("pk_metrics", "metrics", type_="primary")
        op.execute("ALTER TABLE metrics ADD COLUMN id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY")
        op.create_index(_WALL, "metrics", _WALL_COLUMNS)
        return
    if op.get_bind().dialect.name != "sqlite":
        op.create_index(_UNIQUE, "metrics", _UNIQUE_COLUMNS, unique=True)
        op.drop_constraint("pk_metrics", "metrics", type_="primary")
        op.add_column("metrics", sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False))
        op.create_primary_key("pk_metrics", "metrics", ["id"])
        op.create_index(_WALL, "metrics", _WALL_COLUMNS)
        return
    op.create_table(
        "_metrics_numbered",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        *_point_columns(),
        sa.ForeignKeyConstraint(["run_uuid"], ["runs.run_uuid"], name=_FK, ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_metrics"),
    )
    _copy_into("_metrics_numbered", ", ".join(_KEY))
    op.create_index(_UNIQUE, "metrics", _UNIQUE_COLUMNS, unique=True)
    op.create_index(_WALL, "metrics", _WALL_COLUMNS)
