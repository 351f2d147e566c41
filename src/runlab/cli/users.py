"""``runlab users``: accounts, permissions and API tokens of a server run with ``--auth``.

These commands work on the database directly (the server's ``--backend-store-uri``),
so the first admin can be made before the server starts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from runlab import environment_variables as env
from runlab.cli import _output as out

if TYPE_CHECKING:
    from runlab.store.auth_base import AuthStore

_BACKEND = click.option(
    "--backend-store-uri",
    metavar="URI",
    help="The server's database: a folder, sqlite:/// or postgresql:// [default: the tracking URI]",
)


@contextmanager
def _auth_store(backend_store_uri: str | None) -> Iterator[AuthStore]:
    from runlab.errors import InvalidInputError
    from runlab.store.sql.auth import open_auth_store
    from runlab.store.uri import build_store, resolve

    uri = resolve(backend_store_uri or out.state().tracking_uri or None)
    if uri.startswith(("http://", "https://")):
        raise InvalidInputError(
            f"{uri!r} is a server: runlab users works on its database; pass --backend-store-uri"
        )
    store = build_store(uri)
    try:
        yield open_auth_store(store)
    finally:
        store.close()


def _password(password: str | None) -> str:
    if password:
        return password
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@click.group("users")
def users() -> None:
    """Users, permissions and API tokens of `runlab server --auth`."""


@users.command("create")
@click.argument("username")
@click.option("--password", envvar=env.RUNLAB_USER_PASSWORD.name, help="[default: asked for]")
@click.option("--admin", is_flag=True, help="May do everything, and manage users and grants.")
@_BACKEND
def create(username: str, password: str | None, admin: bool, backend_store_uri: str | None) -> None:
    """Add a user (or, with --admin on an existing name, fail: use `users admin`)."""
    with _auth_store(backend_store_uri) as auth:
        user = auth.create_user(username, _password(password), is_admin=admin)
    click.echo(f"created {'admin' if user.is_admin else 'user'} {user.username}")


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_BACKEND
def list_(as_json: bool, backend_store_uri: str | None) -> None:
    """List users."""
    with _auth_store(backend_store_uri) as auth:
        found = auth.list_users()
    if as_json:
        out.echo_json([u.to_json() for u in found])
        return
    for user in found:
        click.echo(f"{user.username}{'  (admin)' if user.is_admin else ''}")


@users.command("delete")
@click.argument("username")
@_BACKEND
def delete(username: str, backend_store_uri: str | None) -> None:
    """Delete a user with their tokens and grants."""
    with _auth_store(backend_store_uri) as auth:
        auth.delete_user(username)
    click.echo(f"deleted user {username}")


@users.command("admin")
@click.argument("username")
@click.option("--revoke", is_flag=True, help="Take admin rights away instead.")
@_BACKEND
def admin(username: str, revoke: bool, backend_store_uri: str | None) -> None:
    """Make a user an admin (or no longer one)."""
    with _auth_store(backend_store_uri) as auth:
        auth.update_admin(username, not revoke)
    click.echo(f"{username} is {'no longer ' if revoke else ''}an admin")


@users.command("password")
@click.argument("username")
@click.option("--password", envvar=env.RUNLAB_USER_PASSWORD.name, help="[default: asked for]")
@click.option(
    "--keep-tokens", is_flag=True, help="Leave the user's API tokens valid (sessions end anyway)."
)
@_BACKEND
def password_(
    username: str, password: str | None, keep_tokens: bool, backend_store_uri: str | None
) -> None:
    """Set a user's password; this signs them out and revokes their API tokens."""
    with _auth_store(backend_store_uri) as auth:
        revoked = auth.update_password(username, _password(password), keep_tokens=keep_tokens)
    kept = "API tokens kept" if keep_tokens else f"{revoked} API token(s) revoked"
    click.echo(f"password of {username} changed; sessions ended, {kept}")


def _target(experiment: str | None, model: str | None) -> tuple[str, str]:
    if bool(experiment) == bool(model):
        raise click.UsageError("name exactly one of --experiment ID or --model NAME")
    return ("experiment", experiment) if experiment else ("model", model)  # type: ignore[return-value]


@users.command("grant")
@click.argument("username")
@click.argument("permission", type=click.Choice(["READ", "EDIT", "MANAGE", "NO_PERMISSIONS"]))
@click.option("--experiment", metavar="ID", help="An experiment id.")
@click.option("--model", metavar="NAME", help="A registered model name.")
@_BACKEND
def grant(
    username: str,
    permission: str,
    experiment: str | None,
    model: str | None,
    backend_store_uri: str | None,
) -> None:
    """Give USERNAME a PERMISSION on an experiment or a registered model."""
    from runlab.auth.entities import Permission

    kind, key = _target(experiment, model)
    level = Permission.parse(permission)
    with _auth_store(backend_store_uri) as auth:
        if kind == "experiment":
            auth.set_experiment_permission(key, username, level)
        else:
            auth.set_model_permission(key, username, level)
    click.echo(f"{username}: {level.name} on {kind} {key}")


@users.command("revoke")
@click.argument("username")
@click.option("--experiment", metavar="ID", help="An experiment id.")
@click.option("--model", metavar="NAME", help="A registered model name.")
@_BACKEND
def revoke(
    username: str, experiment: str | None, model: str | None, backend_store_uri: str | None
) -> None:
    """Remove USERNAME's grant (the server's default permission applies again)."""
    kind, key = _target(experiment, model)
    with _auth_store(backend_store_uri) as auth:
        if kind == "experiment":
            auth.delete_experiment_permission(key, username)
        else:
            auth.delete_model_permission(key, username)
    click.echo(f"{username}: grant on {kind} {key} removed")


@users.group("token")
def token() -> None:
    """API tokens: for clients, as RUNLAB_TRACKING_TOKEN or MLFLOW_TRACKING_TOKEN."""


@token.command("create")
@click.argument("name")
@click.option("--user", "username", required=True, help="Whose token it is.")
@click.option("--expires-in-days", type=click.IntRange(1), help="[default: never expires]")
@_BACKEND
def token_create(
    name: str, username: str, expires_in_days: int | None, backend_store_uri: str | None
) -> None:
    """Create a token and print it; it is shown only this once."""
    seconds = expires_in_days * 86400 if expires_in_days else None
    with _auth_store(backend_store_uri) as auth:
        _record, secret = auth.create_token(username, name, expires_in_seconds=seconds)
    click.echo(secret)
    click.echo(f"token {name!r} of {username}: store it now, it is not shown again", err=True)


@token.command("list")
@click.option("--user", "username", required=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_BACKEND
def token_list(username: str, as_json: bool, backend_store_uri: str | None) -> None:
    """List a user's active tokens (never the secrets)."""
    with _auth_store(backend_store_uri) as auth:
        found = auth.list_tokens(username)
    if as_json:
        out.echo_json([t.to_json() for t in found])
        return
    for t in found:
        expiry = out.format_time_full(t.expiry_time) if t.expiry_time else "never"
        used = out.format_time(t.last_used_time) if t.last_used_time else "never"
        click.echo(
            f"{t.name}  created {out.format_time(t.creation_time)}  last used {used}  "
            f"expires {expiry}"
        )


@token.command("revoke")
@click.argument("name")
@click.option("--user", "username", required=True)
@_BACKEND
def token_revoke(name: str, username: str, backend_store_uri: str | None) -> None:
    """Revoke a token: requests with it get 401 from now on."""
    with _auth_store(backend_store_uri) as auth:
        auth.revoke_token(username, name)
    click.echo(f"token {name!r} of {username} revoked")
