"""Params, tags and latest metrics become WITHOUT ROWID tables on SQLite.

Each of these tables is keyed by (run, key) and every read goes through that key. As
ordinary SQLite tables they were two b-trees, the rows and an index of the key, so a
lookup took two descents and a run's rows a second seek apiece; keyed by the primary key
itself they are one b-tree. Searches and run hydration read them faster, and each write
updates one b-tree instead of two. PostgreSQL is unchanged.

Revision ID: 0008_key_value_without_rowid
Revises: 0007_metric_dedupe
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0008_key_value_without_rowid"
down_revision = "0007_metric_dedupe"
branch_labels = None
depends_on = None

_TABLES = ("params", "tags", "latest_metrics")


def _rebuild(with_rowid: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in _TABLES:
        # Copies the table into a new one with the same columns, keys and indexes.
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_with_rowid": with_rowid}
        ):
            pass


def upgrade() -> None:
    _rebuild(with_rowid=False)


def downgrade() -> None:
    _rebuild(with_rowid=True)
