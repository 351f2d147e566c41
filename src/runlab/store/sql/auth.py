"""Users, tokens and grants in the tracking database (tables from migration 0004_auth)."""

from __future__ import annotations

import hmac
import os
import time
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from runlab.auth import secrets
from runlab.auth.entities import ApiToken, Permission, User
from runlab.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from runlab.store.auth_base import AuthStore, check_password, check_username
from runlab.store.sql import schema as t

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from runlab.store.base import TrackingStore
    from runlab.store.sql._engine import Database

__all__ = ["SqlAuthStore", "open_auth_store"]

# last_used_time is written at most this often per token, not on every request.
_LAST_USED_RESOLUTION_MS = 60_000


def _now() -> int:
    return int(time.time() * 1000)


def _user(row: Any) -> User:
    return User(row.user_id, row.username, bool(row.is_admin), row.creation_time)


def _token(row: Any) -> ApiToken:
    return ApiToken(
        row.token_id,
        row.user_id,
        row.name,
        row.kind,
        row.creation_time,
        row.last_used_time,
        row.expiry_time,
        row.revoked_time,
    )


class SqlAuthStore(AuthStore):
    """Reads and writes the auth tables through the tracking store's own ``Database``."""

    def __init__(self, db: Database) -> None:
        self.db = db
        # Clients send Basic credentials with every request, and argon2 is slow on
        # purpose; a password verified once is remembered (keyed by a keyed hash, never
        # in clear) for as long as the user's stored hash stays the same.
        self._verified: dict[tuple[str, bytes], str] = {}
        self._cache_key = os.urandom(32)

    # users -------------------------------------------------------------------------

    def create_user(self, username: str, password: str, *, is_admin: bool = False) -> User:
        name = check_username(username)
        digest = secrets.hash_password(check_password(password))

        def insert(conn: Connection) -> User:
            if self._user_row(conn, name) is not None:
                raise AlreadyExistsError(f"user {name!r} already exists")
            now = _now()
            result = conn.execute(
                t.users.insert().values(
                    username=name, password_hash=digest, is_admin=is_admin, creation_time=now
                )
            )
            key = result.inserted_primary_key
            assert key is not None  # an INSERT of one row
            return User(int(key[0]), name, is_admin, now)

        return self.db.write(insert)

    def _user_row(self, conn: Connection, username: str) -> Any:
        return conn.execute(sa.select(t.users).where(t.users.c.username == username)).first()

    def get_user(self, username: str) -> User:
        with self.db.read() as conn:
            row = self._user_row(conn, username)
        if row is None:
            raise NotFoundError(f"user {username!r} does not exist")
        return _user(row)

    def list_users(self) -> list[User]:
        with self.db.read() as conn:
            rows = conn.execute(sa.select(t.users).order_by(t.users.c.username)).all()
        return [_user(r) for r in rows]

    def delete_user(self, username: str) -> None:
        user = self.get_user(username)

        def delete(conn: Connection) -> None:
            for table in (t.api_tokens, t.experiment_permissions, t.registered_model_permissions):
                conn.execute(table.delete().where(table.c.user_id == user.user_id))
            conn.execute(t.users.delete().where(t.users.c.user_id == user.user_id))

        self.db.write(delete)

    def update_password(self, username: str, password: str, *, keep_tokens: bool = False) -> int:
        """Set a password, and in the same transaction end the user's sessions and, unless
        ``keep_tokens``, revoke their API tokens: whoever learned the old password may
        have made either. Returns how many API tokens were revoked."""
        user = self.get_user(username)
        digest = secrets.hash_password(check_password(password))
        kinds = ["session"] if keep_tokens else ["session", "api"]

        def change(conn: Connection) -> int:
            conn.execute(
                t.users.update()
                .where(t.users.c.user_id == user.user_id)
                .values(password_hash=digest)
            )
            now = _now()
            revoked = 0
            for kind in kinds:
                result = conn.execute(
                    t.api_tokens.update()
                    .where(
                        t.api_tokens.c.user_id == user.user_id,
                        t.api_tokens.c.kind == kind,
                        t.api_tokens.c.revoked_time.is_(None),
                    )
                    .values(revoked_time=now)
                )
                if kind == "api":
                    revoked = result.rowcount
            return revoked

        return self.db.write(change)

    def update_admin(self, username: str, is_admin: bool) -> None:
        user = self.get_user(username)
        self.db.write(
            lambda conn: conn.execute(
                t.users.update().where(t.users.c.user_id == user.user_id).values(is_admin=is_admin)
            )
        )

    def ensure_admin(self, username: str, password: str) -> User:
        """The bootstrap admin: created if missing, else made admin with this password."""
        try:
            self.get_user(username)
        except NotFoundError:
            try:
                return self.create_user(username, password, is_admin=True)
            except (AlreadyExistsError, sa.exc.IntegrityError):  # another worker was first
                pass
        # Every start passes the same password; only a new one is a change that ends
        # the admin's sessions and tokens.
        if self.authenticate_password(username, password) is None:
            self.update_password(username, password)
        self.update_admin(username, True)
        return self.get_user(username)

    def authenticate_password(self, username: str, password: str) -> User | None:
        with self.db.read() as conn:
            row = self._user_row(conn, username)
        if row is None:
            secrets.verify_password(_dummy_hash(), password)  # same cost as a real check
            return None
        key = (username, hmac.new(self._cache_key, password.encode(), "sha256").digest())
        if row.password_hash and self._verified.get(key) == row.password_hash:
            return _user(row)
        if not secrets.verify_password(row.password_hash, password):
            return None
        if len(self._verified) > 10_000:
            self._verified.clear()
        self._verified[key] = row.password_hash
        return _user(row)

    # tokens ------------------------------------------------------------------------

    def create_token(
        self,
        username: str,
        name: str,
        *,
        expires_in_seconds: int | None = None,
        kind: str = "api",
    ) -> tuple[ApiToken, str]:
        """A new token for ``username``: its record and the secret, returned only here."""
        label = (name or "").strip()
        if not label or len(label) > 256:
            raise InvalidInputError("name: a token needs a name of 1-256 characters")
        if expires_in_seconds is not None and expires_in_seconds <= 0:
            raise InvalidInputError("expires_in: must be a positive number of seconds")
        user = self.get_user(username)
        secret = secrets.new_token()
        now = _now()
        expiry = now + expires_in_seconds * 1000 if expires_in_seconds else None

        def insert(conn: Connection) -> ApiToken:
            if kind == "api":
                taken = conn.execute(
                    sa.select(t.api_tokens.c.token_id).where(
                        t.api_tokens.c.user_id == user.user_id,
                        t.api_tokens.c.name == label,
                        t.api_tokens.c.kind == "api",
                        t.api_tokens.c.revoked_time.is_(None),
                    )
                ).first()
                if taken is not None:
                    raise AlreadyExistsError(f"user {username!r} already has a token {label!r}")
            result = conn.execute(
                t.api_tokens.insert().values(
                    user_id=user.user_id,
                    name=label,
                    kind=kind,
                    token_hash=secrets.hash_token(secret),
                    creation_time=now,
                    expiry_time=expiry,
                )
            )
            key = result.inserted_primary_key
            assert key is not None  # an INSERT of one row
            token_id = int(key[0])
            return ApiToken(token_id, user.user_id, label, kind, now, None, expiry, None)

        return self.db.write(insert), secret

    def list_tokens(self, username: str, *, include_revoked: bool = False) -> list[ApiToken]:
        user = self.get_user(username)
        query = sa.select(t.api_tokens).where(
            t.api_tokens.c.user_id == user.user_id, t.api_tokens.c.kind == "api"
        )
        if not include_revoked:
            query = query.where(t.api_tokens.c.revoked_time.is_(None))
        with self.db.read() as conn:
            rows = conn.execute(query.order_by(t.api_tokens.c.token_id)).all()
        return [_token(r) for r in rows]

    def revoke_token(self, username: str, name: str) -> None:
        user = self.get_user(username)

        def revoke(conn: Connection) -> None:
            result = conn.execute(
                t.api_tokens.update()
                .where(
                    t.api_tokens.c.user_id == user.user_id,
                    t.api_tokens.c.name == name,
                    t.api_tokens.c.kind == "api",
                    t.api_tokens.c.revoked_time.is_(None),
                )
                .values(revoked_time=_now())
            )
            if result.rowcount == 0:
                raise NotFoundError(f"user {username!r} has no active token {name!r}")

        self.db.write(revoke)

    def revoke_secret(self, secret: str) -> None:
        """Ends a session (logout) or revokes a token by its secret."""
        digest = secrets.hash_token(secret)
        self.db.write(
            lambda conn: conn.execute(
                t.api_tokens.update()
                .where(t.api_tokens.c.token_hash == digest)
                .values(revoked_time=_now())
            )
        )

    def authenticate_token(self, secret: str, *, kind: str | None = None) -> User | None:
        digest = secrets.hash_token(secret)
        query = (
            sa.select(t.api_tokens, t.users.c.username, t.users.c.is_admin)
            .join(t.users, t.users.c.user_id == t.api_tokens.c.user_id)
            .where(t.api_tokens.c.token_hash == digest)
        )
        with self.db.read() as conn:
            row = conn.execute(query).first()
        now = _now()
        if row is None or row.revoked_time is not None:
            return None
        if kind is not None and row.kind != kind:
            return None
        if row.expiry_time is not None and row.expiry_time <= now:
            return None
        if row.last_used_time is None or now - row.last_used_time > _LAST_USED_RESOLUTION_MS:
            self.db.write(
                lambda conn: conn.execute(
                    t.api_tokens.update()
                    .where(t.api_tokens.c.token_id == row.token_id)
                    .values(last_used_time=now)
                )
            )
        return User(row.user_id, row.username, bool(row.is_admin), 0)

    # permissions -------------------------------------------------------------------

    def set_experiment_permission(
        self, experiment_id: str, username: str, permission: Permission
    ) -> None:
        table = t.experiment_permissions
        self._set(table, "experiment_id", str(experiment_id), username, permission)

    def set_model_permission(self, name: str, username: str, permission: Permission) -> None:
        self._set(t.registered_model_permissions, "name", name, username, permission)

    def delete_experiment_permission(self, experiment_id: str, username: str) -> None:
        self._delete(t.experiment_permissions, "experiment_id", str(experiment_id), username)

    def delete_model_permission(self, name: str, username: str) -> None:
        self._delete(t.registered_model_permissions, "name", name, username)

    def get_experiment_permission(self, experiment_id: str, username: str) -> Permission:
        return self._get(t.experiment_permissions, "experiment_id", str(experiment_id), username)

    def get_model_permission(self, name: str, username: str) -> Permission:
        return self._get(t.registered_model_permissions, "name", name, username)

    def experiment_grants(self, user_id: int) -> dict[str, Permission]:
        return self._grants(t.experiment_permissions, "experiment_id", user_id)

    def model_grants(self, user_id: int) -> dict[str, Permission]:
        return self._grants(t.registered_model_permissions, "name", user_id)

    def rename_model(self, old: str, new: str) -> None:
        table = t.registered_model_permissions

        def move(conn: Connection) -> None:
            conn.execute(table.delete().where(table.c.name == new))
            conn.execute(table.update().where(table.c.name == old).values(name=new))

        self.db.write(move)

    def forget_model(self, name: str) -> None:
        table = t.registered_model_permissions
        self.db.write(lambda conn: conn.execute(table.delete().where(table.c.name == name)))

    def _set(
        self, table: sa.Table, column: str, key: str, username: str, permission: Permission
    ) -> None:
        user = self.get_user(username)

        def upsert(conn: Connection) -> None:
            where = (table.c[column] == key, table.c.user_id == user.user_id)
            if conn.execute(sa.select(table.c.user_id).where(*where)).first() is None:
                conn.execute(
                    table.insert().values(
                        {column: key, "user_id": user.user_id, "permission": permission.name}
                    )
                )
            else:
                conn.execute(table.update().where(*where).values(permission=permission.name))

        self.db.write(upsert)

    def _delete(self, table: sa.Table, column: str, key: str, username: str) -> None:
        user = self.get_user(username)

        def delete(conn: Connection) -> None:
            result = conn.execute(
                table.delete().where(table.c[column] == key, table.c.user_id == user.user_id)
            )
            if result.rowcount == 0:
                raise NotFoundError(f"user {username!r} has no permission on {key!r}")

        self.db.write(delete)

    def _get(self, table: sa.Table, column: str, key: str, username: str) -> Permission:
        user = self.get_user(username)
        with self.db.read() as conn:
            value = conn.execute(
                sa.select(table.c.permission).where(
                    table.c[column] == key, table.c.user_id == user.user_id
                )
            ).scalar()
        if value is None:
            raise NotFoundError(f"user {username!r} has no permission on {key!r}")
        return Permission[value]

    def _grants(self, table: sa.Table, column: str, user_id: int) -> dict[str, Permission]:
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(table.c[column], table.c.permission).where(table.c.user_id == user_id)
            ).all()
        return {str(r[0]): Permission[r[1]] for r in rows}


_dummy: list[str] = []


def _dummy_hash() -> str:
    if not _dummy:
        _dummy.append(secrets.hash_password("not a real password"))
    return _dummy[0]


def open_auth_store(store: TrackingStore) -> SqlAuthStore:
    """The auth store beside a SQL tracking store (folder, sqlite:// or postgresql://)."""
    from runlab.store.sql.store import SqlStore

    if not isinstance(store, SqlStore):
        raise InvalidInputError(
            "--auth needs a database backend store (a folder, sqlite:/// or postgresql://)"
        )
    return SqlAuthStore(store.db)
