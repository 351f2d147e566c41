"""Password hashing (argon2) and API tokens (random, kept as a SHA-256 hash).

A token has 256 bits of entropy, so a fast hash is enough: nobody can guess one to
search the hash space. Passwords are chosen by people and get argon2's slow hash.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from typing import Any

__all__ = ["TOKEN_PREFIX", "hash_password", "hash_token", "new_token", "verify_password"]

TOKEN_PREFIX = "rlt_"  # makes a leaked token easy to recognise in logs and secret scanners


@functools.lru_cache(maxsize=1)
def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()


def hash_password(password: str) -> str:
    return str(_hasher().hash(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    if not password_hash:
        return False
    try:
        return bool(_hasher().verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
