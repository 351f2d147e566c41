"""Alembic environment: runs on the connection runlab hands over (see _migrate.py)."""

from __future__ import annotations

from alembic import context

from runlab.store.sql.schema import metadata

connection = context.config.attributes["connection"]
if connection.dialect.name == "mysql":
    from runlab.store.sql import _mysql

    # Tables are created below with the database's collation: a case-sensitive one.
    _mysql.use_binary_collation(connection)
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
