"""``runlab db``: the database schema revision, and upgrading it.

These commands open the database directly rather than through the tracking store,
whose constructor refuses a database made by an older runlab.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

import click

from runlab.cli import _output as out
from runlab.errors import InvalidInputError, SchemaOutdatedError


def database_uri(tracking_uri: str) -> str:
    """The SQLAlchemy URI of the database behind a (resolved) tracking URI."""
    from runlab.store import uri as store_uri

    parsed = urlparse(tracking_uri)
    scheme = parsed.scheme.lower() if len(parsed.scheme) > 1 else ""
    if scheme in ("", "file"):
        folder = Path(unquote(parsed.path)) if scheme == "file" else Path(tracking_uri)
        return f"sqlite:///{folder.expanduser().resolve() / store_uri.DB_FILE}"
    if scheme.split("+", 1)[0] in ("sqlite", "postgresql", "postgres", "mysql"):
        return tracking_uri
    raise InvalidInputError(
        f"{tracking_uri!r} is not a database: runlab db works on a folder, sqlite:///, "
        "postgresql:// or mysql:// URI"
    )


def _target(uri: str | None) -> tuple[str, str]:
    """(tracking URI, database URI) for the command's argument or the tracking URI."""
    from runlab.store import uri as store_uri

    tracking = store_uri.resolve(uri or out.state().tracking_uri)
    return tracking, database_uri(tracking)


def _sqlite_path(db_uri: str) -> Path | None:
    if not db_uri.startswith("sqlite"):
        return None
    raw = db_uri.partition(":///")[2].split("?", 1)[0]
    return Path(unquote(raw)) if raw else None


def _shown(db_uri: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(db_uri).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy understands: show it as given
        return db_uri


def _read_revision(db_uri: str) -> str | None:
    from runlab.store.sql import _migrate
    from runlab.store.sql._engine import Database

    db = Database(db_uri)
    try:
        with db.read() as conn:
            return _migrate.current_revision(conn)
    finally:
        db.dispose()


@click.group()
def db() -> None:
    """Database schema: status and upgrades."""


@db.command("status")
@click.argument("uri", required=False)
@out.tracking_uri_option
def status(uri: str | None) -> None:
    """Show the schema revision of the database at URI and the one this runlab expects.

    URI defaults to the tracking URI; for a folder the database is <folder>/runlab.db.
    """
    from runlab.store.sql import _migrate, schema

    _, db_uri = _target(uri)
    expected = schema.SCHEMA_REVISION
    click.echo(f"database: {_shown(db_uri)}")
    path = _sqlite_path(db_uri)
    if path is not None and not path.exists():
        click.echo("current:  none (no database yet; it is created on first use)")
        click.echo(f"expected: {expected}")
        return
    current = _read_revision(db_uri)
    click.echo(f"current:  {current or 'none (empty database)'}")
    click.echo(f"expected: {expected}")
    if current is None:
        click.echo("The schema is created on first use, or by `runlab db upgrade`.")
    elif current == expected:
        click.echo("Up to date.")
    elif current in _migrate.known_revisions():
        command = f"runlab db upgrade {uri}" if uri else "runlab db upgrade"
        click.echo(f"Outdated: back the database up, then run `{command}`.")
    else:
        click.echo("Made by a newer runlab: upgrade runlab to use it.")


@db.command("upgrade")
@click.argument("uri", required=False)
@out.tracking_uri_option
def upgrade(uri: str | None) -> None:
    """Upgrade the database at URI to the schema this runlab expects (back it up first).

    URI defaults to the tracking URI; for a folder the database is <folder>/runlab.db.
    An empty or missing database gets the full schema.
    """
    from runlab.store import uri as store_uri
    from runlab.store.sql import _migrate, schema
    from runlab.store.sql._engine import Database

    tracking, db_uri = _target(uri)
    expected = schema.SCHEMA_REVISION
    path = _sqlite_path(db_uri)
    current = _read_revision(db_uri) if path is None or path.exists() else None
    if current is None:
        # A new database: the store builds the schema and seeds the Default experiment.
        store_uri.build_store(tracking).close()
        click.echo(f"Created the schema at revision {expected} in {_shown(db_uri)}.")
        return
    if current == expected:
        click.echo(f"Database {_shown(db_uri)} is already at revision {expected}.")
        return
    if current not in _migrate.known_revisions():
        raise SchemaOutdatedError(
            f"the database at {_shown(db_uri)} has schema revision {current}, unknown to this "
            "runlab (it was made by a newer version): upgrade runlab instead"
        )
    database = Database(db_uri)
    try:
        before, after = _migrate.upgrade(database)
    finally:
        database.dispose()
    click.echo(f"Upgraded database {_shown(db_uri)} from revision {before} to {after}.")
