"""Slowing down password guessing: failures counted per (username, client address).

Kept in process memory rather than in the database: a failed login then costs no
write, and a flood of them cannot fill a table. The price is that with ``--workers N``
each worker counts on its own, so an attacker gets up to N times the allowance; the
lockout still grows, and argon2 keeps each guess slow.
"""

from __future__ import annotations

import threading
import time

__all__ = ["LoginThrottle"]


class LoginThrottle:
    """After ``free_failures`` failures, each further attempt waits ``2**k`` seconds
    (capped at ``max_delay``) after the last failure; a success forgets the failures."""

    def __init__(
        self, free_failures: int = 5, max_delay: float = 300.0, forget_after: float = 3600.0
    ) -> None:
        self.free_failures = free_failures
        self.max_delay = max_delay
        self.forget_after = forget_after
        self._failures: dict[tuple[str, str], tuple[int, float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, username: str, client: str) -> float:
        """Seconds until this pair may try again; 0 when it may try now."""
        with self._lock:
            count, last = self._failures.get((username, client), (0, 0.0))
        if count < self.free_failures:
            return 0.0
        delay = min(self.max_delay, 2.0 ** (count - self.free_failures + 1))
        return max(0.0, last + delay - time.monotonic())

    def failed(self, username: str, client: str) -> None:
        now = time.monotonic()
        with self._lock:
            count, last = self._failures.get((username, client), (0, now))
            if now - last > self.forget_after:
                count = 0
            self._failures[(username, client)] = (count + 1, now)
            if len(self._failures) > 100_000:  # bound memory under a spray of names
                cutoff = now - self.forget_after
                self._failures = {k: v for k, v in self._failures.items() if v[1] > cutoff}

    def succeeded(self, username: str, client: str) -> None:
        with self._lock:
            self._failures.pop((username, client), None)
