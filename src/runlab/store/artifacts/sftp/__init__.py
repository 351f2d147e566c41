"""Artifacts on an SSH server: ``sftp://[user[:password]@]host[:port]/absolute/path``
(``runlab[sftp]``, through paramiko).

The host may be a ``Host`` alias of ``~/.ssh/config``, which also supplies what the URI
leaves out (host name, port, user, identity files, known hosts files, a proxy command);
keys come from there, from an agent at ``SSH_AUTH_SOCK`` and from ``~/.ssh/id_*``; a
password in the URI is tried too. A server whose host key is in no known_hosts file is
refused (``StrictHostKeyChecking no`` in the configuration accepts it).
``RUNLAB_SFTP_TIMEOUT`` (30 s) bounds connecting, logging in and each request.

Unlike object stores, the server has real directories: an empty directory exists, and
symbolic links on the server are followed only when they stay inside the root.
"""

from __future__ import annotations

from runlab.store.artifacts.sftp._sessions import close_all
from runlab.store.artifacts.sftp._uri import SFTPLocation, parse_sftp_uri
from runlab.store.artifacts.sftp.repository import SFTPArtifactRepository

__all__ = ["SFTPArtifactRepository", "SFTPLocation", "close_all", "parse_sftp_uri"]
