"""What the auth store keeps: users, their API tokens, and permission levels."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from runlab.errors import InvalidInputError

__all__ = ["ApiToken", "Permission", "User"]


class Permission(enum.IntEnum):
    """A user's level on one experiment or registered model; each includes the ones below.

    ``READ``: see it, its runs, metrics, artifacts and versions.
    ``EDIT``: also create and update runs, log to them, upload artifacts, rename,
    set tags and descriptions, create model versions.
    ``MANAGE``: also delete and restore it and its runs, and grant others permissions on it.
    ``NO_PERMISSIONS``: nothing, even when the server's default permission is higher.
    """

    NO_PERMISSIONS = 0
    READ = 1
    EDIT = 2
    MANAGE = 3

    @classmethod
    def parse(cls, value: str, field: str = "permission") -> Permission:
        try:
            return cls[str(value).strip().upper()]
        except KeyError:
            names = ", ".join(p.name for p in cls)
            raise InvalidInputError(f"{field}: {value!r} is not one of {names}") from None


@dataclass(frozen=True)
class User:
    user_id: int
    username: str
    is_admin: bool
    creation_time: int

    def to_json(self) -> dict[str, object]:
        return {"id": str(self.user_id), "username": self.username, "is_admin": self.is_admin}


@dataclass(frozen=True)
class ApiToken:
    """An API token's record; the token itself is shown once, at creation, and never kept."""

    token_id: int
    user_id: int
    name: str
    kind: str  # "api", or "session" for the web UI's login cookie
    creation_time: int
    last_used_time: int | None
    expiry_time: int | None
    revoked_time: int | None

    def to_json(self) -> dict[str, object]:
        return {
            "id": str(self.token_id),
            "name": self.name,
            "creation_time": self.creation_time,
            "last_used_time": self.last_used_time,
            "expiry_time": self.expiry_time,
            "revoked": self.revoked_time is not None,
        }
