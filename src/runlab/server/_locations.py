"""Which artifact locations a server accepts from clients and reads from.

A client may choose an experiment's ``artifact_location`` only under the server's own
artifact root (never inside another experiment's folder there) or under a root the
operator allowed with ``--allowed-artifact-root``. Locations in the artifact proxy's
``mlflow-artifacts:`` namespace are the server's to hand out: the proxy decides who may
read a path by the experiment id it starts with, so a client-chosen one could sit in
another experiment's folder. Stored locations that break these rules (made before them,
or written into the database directly) are refused when read, so the server never
fetches from a place nobody allowed, and never sends its own credentials there.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from runlab.errors import InvalidInputError, PermissionDeniedError

__all__ = ["PROXY_SCHEME", "LocationPolicy"]

PROXY_SCHEME = "mlflow-artifacts"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_FORBIDDEN = ("?", "#", "\\", "%")  # queries, fragments, Windows separators, escapes


@dataclass(frozen=True)
class _Place:
    """A location split for prefix comparison: scheme, host and path segments."""

    scheme: str
    host: str
    segments: tuple[str, ...]

    def under(self, root: _Place) -> bool:
        return (
            self.scheme == root.scheme
            and self.host == root.host
            and self.segments[: len(root.segments)] == root.segments
        )


def _place(uri: str, *, relative_ok: bool = False) -> _Place:
    """``uri`` split, or a ValueError saying which rule it breaks. A relative local path
    (allowed only with ``relative_ok``) is read from the server's working directory, as
    the store reads it."""
    if _CONTROL.search(uri):
        raise ValueError("it contains a control character")
    for char in _FORBIDDEN:
        if char in uri:
            raise ValueError(f"it contains {char!r} (no queries, fragments or escapes)")
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if len(scheme) <= 1:  # a plain path (or a drive letter): a local folder
        scheme, host, path = "file", "", uri
    else:
        host, path = parts.netloc.lower(), parts.path
    if scheme == "file" and not path.startswith("/"):
        if not relative_ok:
            raise ValueError("a local path must be absolute")
        path = os.path.abspath(path)
    segments = tuple(s for s in path.split("/") if s)
    if any(s in (".", "..") for s in segments):
        raise ValueError("it contains '.' or '..' segments")
    return _Place(scheme, host, segments)


@dataclass(frozen=True)
class LocationPolicy:
    """``own_root``: where the store puts new experiments (None: only the proxy);
    ``allowed_roots``: further roots the operator allows (``--allowed-artifact-root``);
    ``served_roots``: the server's own storage (the proxy's destination, ``artifacts/``
    beside the database), read but never handed to a client: experiments logged there
    directly, before the store was served, stay readable."""

    own_root: str | None = None
    allowed_roots: tuple[str, ...] = ()
    served_roots: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for root in self.allowed_roots:
            try:
                place = _place(root)
            except ValueError as exc:
                raise InvalidInputError(f"allowed artifact root {root!r}: {exc}") from None
            if place.scheme == PROXY_SCHEME:
                raise InvalidInputError(
                    f"allowed artifact root {root!r}: the proxy's namespace is the server's own"
                )

    def _roots(self, *, served: bool = False) -> list[tuple[str, _Place]]:
        found = []
        extra = self.served_roots if served else ()
        for root in (self.own_root, *self.allowed_roots, *extra):
            if root and urlsplit(root).scheme.lower() != PROXY_SCHEME:
                try:
                    found.append((root, _place(root, relative_ok=True)))
                except ValueError:
                    continue
        return found

    def check_new(self, location: str) -> str:
        """``location`` if a client may give it to a new experiment; else a 400 naming
        ``artifact_location`` and the rule."""
        field = f"artifact_location: {location!r}"
        try:
            place = _place(location)
        except ValueError as exc:
            raise InvalidInputError(f"{field} is refused: {exc}") from None
        if place.scheme == PROXY_SCHEME:
            raise InvalidInputError(
                f"{field} is refused: the server chooses locations in its artifact proxy "
                "(mlflow-artifacts:/<experiment id>); leave artifact_location out"
            )
        for root, root_place in self._roots():
            if not place.under(root_place):
                continue
            rest = place.segments[len(root_place.segments) :]
            if root == self.own_root and rest[:1] and rest[0].isdigit():
                raise InvalidInputError(
                    f"{field} is refused: a top folder named by a number ({rest[0]!r}) "
                    "belongs to the experiment with that id; choose another name"
                )
            return location
        raise InvalidInputError(
            f"{field} is refused: it must lie under this server's artifact root or under a "
            "root the operator allowed with --allowed-artifact-root"
        )

    def check_stored(self, artifact_uri: str) -> None:
        """Refuse to read from a stored location that breaks the rules (403)."""
        try:
            place = _place(artifact_uri, relative_ok=True)
        except ValueError as exc:
            raise PermissionDeniedError(
                f"this server does not read artifact location {artifact_uri!r}: {exc}; "
                "an admin must move the experiment's artifacts"
            ) from None
        if place.scheme == PROXY_SCHEME:
            return
        if not any(place.under(root) for _, root in self._roots(served=True)):
            raise PermissionDeniedError(
                f"this server does not read artifact location {artifact_uri!r}: it lies "
                "outside the roots it serves; an operator may allow its root with "
                "--allowed-artifact-root"
            )

    def allows_http(self, artifact_uri: str) -> bool:
        """Whether an ``http(s)`` location lies under a root the operator allowed."""
        place = _place(artifact_uri)
        return any(place.under(_place(root)) for root in self.allowed_roots)
