"""Slowing down credential guessing: failures counted per (credential, client address).

The credential is the one being guessed: a user name for passwords, or a short keyed
hash of a presented token (tokens carry no public identifier, and the secret itself is
never kept). Keying on the credential as well as the address means a valid credential
is never locked out by someone else's bad attempts, even from the same address (a NAT,
a CI runner): only the name or token that failed waits.

Kept in process memory rather than in the database: a failed login then costs no
write, and a flood of them cannot fill a table. The price is that with ``--workers N``
each worker counts on its own, so an attacker gets up to N times the allowance; the
lockout still grows, and argon2 keeps each guess slow.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time

__all__ = ["Credential", "LoginThrottle"]

# ("password", username) or ("token", keyed hash of the secret)
Credential = tuple[str, str]
_Table = dict[tuple[str, str], tuple[int, float]]


class LoginThrottle:
    """After ``free_failures`` failures, each further attempt waits ``2**k`` seconds
    (capped at ``max_delay``) after the last failure; a success forgets the failures.

    Each kind of credential has its own table of at most ``max_entries`` pairs, so a
    spray of made-up tokens cannot push out the lockout of a guessed password.
    """

    def __init__(
        self,
        free_failures: int = 5,
        max_delay: float = 300.0,
        forget_after: float = 3600.0,
        max_entries: int = 100_000,
    ) -> None:
        self.free_failures = free_failures
        self.max_delay = max_delay
        self.forget_after = forget_after
        self.max_entries = max_entries
        self._tables: dict[str, _Table] = {}
        self._lock = threading.Lock()
        self._key = os.urandom(32)  # per process: the hashes mean nothing outside it

    @staticmethod
    def password(username: str) -> Credential:
        return ("password", username)

    def token(self, secret: str) -> Credential:
        """A token's throttle key: 64 bits of a keyed hash, enough to tell guesses apart
        and useless for finding the token."""
        digest = hmac.new(self._key, secret.encode("utf-8"), hashlib.sha256).hexdigest()
        return ("token", digest[:16])

    def retry_after(self, credential: Credential | str, client: str) -> float:
        """Seconds until this credential may be tried again from ``client``; 0 for now."""
        kind, ident = _credential(credential)
        with self._lock:
            count, last = self._tables.get(kind, {}).get((ident, client), (0, 0.0))
        if count < self.free_failures:
            return 0.0
        now = time.monotonic()
        if now - last > self.forget_after:
            return 0.0
        delay = min(self.max_delay, 2.0 ** (count - self.free_failures + 1))
        return max(0.0, last + delay - now)

    def failed(self, credential: Credential | str, client: str) -> None:
        kind, ident = _credential(credential)
        now = time.monotonic()
        with self._lock:
            table = self._tables.setdefault(kind, {})
            count, last = table.pop((ident, client), (0, now))  # re-inserted last: newest
            if now - last > self.forget_after:
                count = 0
            table[(ident, client)] = (count + 1, now)
            if len(table) > self.max_entries:
                self._tables[kind] = self._shrunk(table, now)

    def succeeded(self, credential: Credential | str, client: str) -> None:
        kind, ident = _credential(credential)
        with self._lock:
            self._tables.get(kind, {}).pop((ident, client), None)

    def _shrunk(self, table: _Table, now: float) -> _Table:
        """The table without forgotten pairs; if still full, without its oldest quarter
        (the dict is in order of last failure, as :meth:`failed` re-inserts)."""
        cutoff = now - self.forget_after
        kept = {k: v for k, v in table.items() if v[1] > cutoff}
        if len(kept) > self.max_entries:
            keep = max(1, self.max_entries * 3 // 4)
            kept = dict(list(kept.items())[-keep:])
        return kept

    def __len__(self) -> int:
        with self._lock:
            return sum(len(t) for t in self._tables.values())


def _credential(credential: Credential | str) -> Credential:
    # A bare string is a user name, as callers of the password check pass it.
    return ("password", credential) if isinstance(credential, str) else credential
