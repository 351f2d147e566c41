"""The contract of the store that keeps users, API tokens, sessions and permission grants
(SQL today: :class:`runlab.store.sql.auth.SqlAuthStore`), and the rules on user names and
passwords every backend enforces."""

from __future__ import annotations

import abc

from runlab.auth.entities import ApiToken, Permission, User
from runlab.errors import InvalidInputError

__all__ = ["AuthStore", "check_password", "check_username"]


def check_username(username: str) -> str:
    name = (username or "").strip()
    if not name or len(name) > 256 or ":" in name or any(c.isspace() for c in name):
        raise InvalidInputError(
            f"username: {username!r} must be 1-256 characters without spaces or ':'"
        )
    return name


def check_password(password: str) -> str:
    if not password or len(password) < 8:
        raise InvalidInputError("password: must be at least 8 characters")
    return password


class AuthStore(abc.ABC):
    """Users and their credentials and grants. Secrets are only ever stored hashed."""

    @abc.abstractmethod
    def create_user(self, username: str, password: str, *, is_admin: bool = False) -> User: ...

    @abc.abstractmethod
    def get_user(self, username: str) -> User: ...

    @abc.abstractmethod
    def list_users(self) -> list[User]: ...

    @abc.abstractmethod
    def delete_user(self, username: str) -> None: ...

    @abc.abstractmethod
    def update_password(self, username: str, password: str, *, keep_tokens: bool = False) -> int:
        """Set a password, and in the same transaction end the user's sessions and, unless
        ``keep_tokens``, revoke their API tokens: whoever learned the old password may
        have made either. Returns how many API tokens were revoked."""

    @abc.abstractmethod
    def update_admin(self, username: str, is_admin: bool) -> None: ...

    @abc.abstractmethod
    def ensure_admin(self, username: str, password: str) -> User:
        """The bootstrap admin: created if missing, else made admin with this password."""

    @abc.abstractmethod
    def authenticate_password(self, username: str, password: str) -> User | None:
        """The user whose password this is; None for a wrong password or unknown user."""

    @abc.abstractmethod
    def create_token(
        self,
        username: str,
        name: str,
        *,
        expires_in_seconds: int | None = None,
        kind: str = "api",
    ) -> tuple[ApiToken, str]:
        """A new token for ``username``: its record and the secret, returned only here."""

    @abc.abstractmethod
    def list_tokens(self, username: str, *, include_revoked: bool = False) -> list[ApiToken]: ...

    @abc.abstractmethod
    def revoke_token(self, username: str, name: str) -> None: ...

    @abc.abstractmethod
    def revoke_secret(self, secret: str) -> None:
        """Ends a session (logout) or revokes a token by its secret."""

    @abc.abstractmethod
    def authenticate_token(self, secret: str, *, kind: str | None = None) -> User | None:
        """The owner of a live (unexpired, unrevoked) token or session of ``kind``; else None."""

    @abc.abstractmethod
    def set_experiment_permission(
        self, experiment_id: str, username: str, permission: Permission
    ) -> None: ...

    @abc.abstractmethod
    def set_model_permission(self, name: str, username: str, permission: Permission) -> None: ...

    @abc.abstractmethod
    def delete_experiment_permission(self, experiment_id: str, username: str) -> None: ...

    @abc.abstractmethod
    def delete_model_permission(self, name: str, username: str) -> None: ...

    @abc.abstractmethod
    def get_experiment_permission(self, experiment_id: str, username: str) -> Permission: ...

    @abc.abstractmethod
    def get_model_permission(self, name: str, username: str) -> Permission: ...

    @abc.abstractmethod
    def experiment_grants(self, user_id: int) -> dict[str, Permission]:
        """Every experiment permission granted to the user, by experiment id."""

    @abc.abstractmethod
    def model_grants(self, user_id: int) -> dict[str, Permission]: ...

    @abc.abstractmethod
    def rename_model(self, old: str, new: str) -> None:
        """Carry a registered model's grants over to its new name, replacing any left
        under that name (the registry has just found it free)."""

    @abc.abstractmethod
    def forget_model(self, name: str) -> None:
        """Drop every grant on a registered model name: the model is gone, and a new
        model given the name later must not inherit them."""
