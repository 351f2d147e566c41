"""``sftp://[user[:password]@]host[:port]/absolute/path`` URIs."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from runlab.errors import InvalidInputError

__all__ = ["SFTPLocation", "parse_sftp_uri"]


@dataclass(frozen=True)
class SFTPLocation:
    """What an ``sftp://`` URI names; None where the URI leaves it to ``~/.ssh/config``.

    ``host`` may be a ``Host`` alias of the SSH configuration; ``root`` is an absolute
    path on the server.
    """

    host: str
    port: int | None
    user: str | None
    password: str | None
    root: str

    def __str__(self) -> str:
        """The URI without its password: what error messages show."""
        user = f"{self.user}@" if self.user else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = f":{self.port}" if self.port is not None else ""
        return f"sftp://{user}{host}{port}{self.root}"


def parse_sftp_uri(artifact_uri: str) -> SFTPLocation:
    """Split an ``sftp://`` URI; InvalidInputError naming the part that is wrong."""
    parsed = urlsplit(artifact_uri)
    if parsed.scheme.lower() != "sftp":
        raise InvalidInputError(f"artifact URI {artifact_uri!r} is not an sftp:// URI")
    shown = _without_password(artifact_uri, parsed.password)
    if parsed.query or parsed.fragment:
        raise InvalidInputError(
            f"artifact URI {shown!r}: sftp URIs take no query or fragment "
            "(percent-encode '?' and '#' in paths as %3F and %23)"
        )
    if not parsed.hostname:
        raise InvalidInputError(
            f"artifact URI {shown!r} names no host (sftp://user@host:port/absolute/path)"
        )
    try:
        port = parsed.port
    except ValueError:
        raise InvalidInputError(
            f"artifact URI {shown!r}: the port must be a number from 1 to 65535"
        ) from None
    if port == 0:
        raise InvalidInputError(f"artifact URI {shown!r}: the port must be from 1 to 65535")
    path = unquote(parsed.path)
    if not path or path == "/":
        raise InvalidInputError(
            f"artifact URI {shown!r} names no directory on the server "
            "(sftp://user@host:port/absolute/path)"
        )
    if "\x00" in path:
        raise InvalidInputError(f"artifact URI {shown!r}: NUL bytes are not allowed")
    return SFTPLocation(
        host=unquote(parsed.hostname),
        port=port,
        user=unquote(parsed.username) if parsed.username else None,
        password=unquote(parsed.password) if parsed.password is not None else None,
        root=posixpath.normpath(path),
    )


def _without_password(uri: str, password: str | None) -> str:
    return uri.replace(f":{password}@", ":***@", 1) if password else uri
