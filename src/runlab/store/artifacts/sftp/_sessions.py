"""SSH connections and SFTP sessions, shared per server and process.

How to reach a server comes from the URI first and then from OpenSSH's own files, so
whatever lets ``sftp host`` in lets runlab in: ``~/.ssh/config`` (``HostName``,
``Port``, ``User``, ``IdentityFile``, ``IdentitiesOnly``, ``ProxyCommand``,
``UserKnownHostsFile``, ``StrictHostKeyChecking``, ``ConnectTimeout``), the keys an
agent at ``SSH_AUTH_SOCK`` holds, ``~/.ssh/id_*`` and ``~/.ssh/known_hosts``. A host
whose key is not known is refused unless the configuration says
``StrictHostKeyChecking no`` (or ``accept-new``).

One SSH connection per server carries many SFTP channels: each operation takes an idle
channel (or opens one) and gives it back, so the threads of a server share a connection
without sharing a channel. paramiko loads only when the first connection is made.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from runlab.errors import StorageError
from runlab.store.artifacts.sftp._uri import SFTPLocation

__all__ = ["CONNECTION_ERRORS", "Endpoint", "resolve_endpoint", "session"]

INSTALL_HINT = "SFTP artifacts need paramiko: pip install 'runlab[sftp]'"
# Flow control of each channel: paramiko's 2 MB default window stalls a fast link.
WINDOW_SIZE = 16 * 1024 * 1024
MAX_PACKET_SIZE = 32 * 1024
_MAX_IDLE = 8  # channels kept open per connection for later operations

# Failures of the connection itself (as opposed to an answer of the server): the channel
# in use is dropped rather than given back.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (EOFError, TimeoutError, ConnectionError)


@dataclass(frozen=True)
class Endpoint:
    """Everything needed to open one connection; hashable, the key of its pool."""

    hostname: str
    port: int
    user: str
    password: str | None
    key_files: tuple[str, ...]
    allow_agent: bool
    look_for_keys: bool
    known_hosts: tuple[str, ...]
    accept_unknown_hosts: bool
    proxy_command: str | None
    timeout: float
    alias: str  # the host as the URI names it

    def __str__(self) -> str:
        return f"{self.user}@{self.hostname}:{self.port}"


def resolve_endpoint(location: SFTPLocation, timeout: float) -> Endpoint:
    """The URI's parts, completed by the SSH configuration of the current user."""
    entry = _ssh_config_entry(location.host)
    port = location.port or int(entry.get("port", 22))
    user = location.user or entry.get("user") or getpass.getuser()
    identities_only = str(entry.get("identitiesonly", "no")).lower() == "yes"
    key_files = tuple(
        path
        for path in (os.path.expanduser(p) for p in entry.get("identityfile", []))
        if os.path.exists(path)
    )
    known = entry.get("userknownhostsfile", "~/.ssh/known_hosts ~/.ssh/known_hosts2")
    known_hosts = tuple(os.path.expanduser(p) for p in str(known).split()) + (
        "/etc/ssh/ssh_known_hosts",
    )
    strict = str(entry.get("stricthostkeychecking", "ask")).lower()
    if "connecttimeout" in entry:
        timeout = float(entry["connecttimeout"])
    return Endpoint(
        hostname=str(entry.get("hostname", location.host)),
        port=port,
        user=user,
        password=location.password,
        key_files=key_files,
        allow_agent=not identities_only,
        look_for_keys=not (identities_only and key_files),
        known_hosts=known_hosts,
        accept_unknown_hosts=strict in ("no", "off", "accept-new"),
        proxy_command=entry.get("proxycommand"),
        timeout=timeout,
        alias=location.host,
    )


def _ssh_config_entry(host: str) -> dict[str, Any]:
    path = os.path.expanduser("~/.ssh/config")
    if not os.path.isfile(path):
        return {}
    import paramiko

    try:
        config = paramiko.SSHConfig.from_path(path)
    except (OSError, ValueError, paramiko.SSHException) as exc:
        raise StorageError(f"could not read the SSH configuration {path}: {exc}") from exc
    return dict(config.lookup(host))


class _Pool:
    """One SSH connection to one endpoint and the idle SFTP channels over it."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self._lock = threading.Lock()
        self._client: Any = None
        self._idle: list[Any] = []

    def acquire(self) -> Any:
        with self._lock:
            while self._idle:
                sftp = self._idle.pop()
                if self._alive(sftp):
                    return sftp
                _close_quietly(sftp)
            transport = self._connected().get_transport()
        import paramiko

        try:
            sftp = paramiko.SFTPClient.from_transport(
                transport, window_size=WINDOW_SIZE, max_packet_size=MAX_PACKET_SIZE
            )
        except (paramiko.SSHException, *CONNECTION_ERRORS) as exc:
            raise StorageError(
                f"could not open an SFTP session on {self.endpoint}: {exc or type(exc).__name__}"
                " (is the server's sftp subsystem enabled?)"
            ) from exc
        if sftp is None:
            raise StorageError(f"could not open an SFTP session on {self.endpoint}")
        sftp.get_channel().settimeout(self.endpoint.timeout)
        return sftp

    def release(self, sftp: Any, *, broken: bool) -> None:
        with self._lock:
            if not broken and self._alive(sftp) and len(self._idle) < _MAX_IDLE:
                self._idle.append(sftp)
                return
        _close_quietly(sftp)

    def _alive(self, sftp: Any) -> bool:
        channel = sftp.get_channel()
        return bool(channel is not None and not channel.closed and channel.get_transport().active)

    def _connected(self) -> Any:
        """The live client, connecting (again) when there is none; under the lock."""
        client = self._client
        if client is not None and client.get_transport() is not None:
            if client.get_transport().is_active():
                return client
            _close_quietly(client)
        self._client = connect(self.endpoint)
        return self._client


def connect(endpoint: Endpoint) -> Any:
    """A logged-in ``paramiko.SSHClient``; StorageError saying what to check otherwise."""
    try:
        import paramiko
    except ImportError:
        raise StorageError(INSTALL_HINT) from None

    client = paramiko.SSHClient()
    for path in endpoint.known_hosts:
        if os.path.isfile(path):
            client.load_system_host_keys(path)
    client.set_missing_host_key_policy(_host_key_policy(endpoint))
    sock = paramiko.ProxyCommand(endpoint.proxy_command) if endpoint.proxy_command else None
    try:
        client.connect(
            endpoint.hostname,
            port=endpoint.port,
            username=endpoint.user,
            password=endpoint.password,
            key_filename=list(endpoint.key_files) or None,
            allow_agent=endpoint.allow_agent,
            look_for_keys=endpoint.look_for_keys,
            timeout=endpoint.timeout,
            banner_timeout=endpoint.timeout,
            auth_timeout=endpoint.timeout,
            channel_timeout=endpoint.timeout,
            sock=sock,
        )
    except BaseException as exc:
        _close_quietly(client)
        if isinstance(exc, StorageError):
            raise
        if isinstance(exc, paramiko.AuthenticationException):
            raise StorageError(
                f"SFTP server {endpoint} refused the login ({exc}); check the user, the "
                "password in the URI, or the keys offered (~/.ssh/config IdentityFile, "
                "~/.ssh/id_*, the agent at SSH_AUTH_SOCK)"
            ) from exc
        if isinstance(exc, paramiko.BadHostKeyException):
            raise StorageError(
                f"SFTP server {endpoint} sent a host key that differs from the one in "
                "known_hosts: the server was re-installed, or someone is in the way; "
                "check with its administrator before replacing the entry"
            ) from exc
        if isinstance(exc, TimeoutError):
            raise StorageError(
                f"SFTP server {endpoint} did not answer within {endpoint.timeout:g} seconds "
                "(RUNLAB_SFTP_TIMEOUT)"
            ) from exc
        if isinstance(exc, (paramiko.SSHException, EOFError, OSError)):
            detail = getattr(exc, "strerror", None) or exc or type(exc).__name__
            raise StorageError(f"could not connect to SFTP server {endpoint}: {detail}") from exc
        raise
    return client


def _host_key_policy(endpoint: Endpoint) -> Any:
    import paramiko

    if endpoint.accept_unknown_hosts:
        return paramiko.AutoAddPolicy()

    class RefuseUnknown(paramiko.MissingHostKeyPolicy):  # type: ignore[misc]
        def missing_host_key(self, client: Any, hostname: str, key: Any) -> None:
            port = f" -p {endpoint.port}" if endpoint.port != 22 else ""
            raise StorageError(
                f"SFTP server {endpoint} is not a known host: its {key.get_name()} key is "
                f"in no known_hosts file ({', '.join(endpoint.known_hosts)}); add it, for "
                f"example with `ssh-keyscan{port} {endpoint.hostname} >> ~/.ssh/known_hosts` "
                "after checking the fingerprint, or set StrictHostKeyChecking in ~/.ssh/config"
            )

    return RefuseUnknown()


def _close_quietly(thing: Any) -> None:
    with contextlib.suppress(Exception):
        thing.close()


_pools: dict[tuple[int, Endpoint], _Pool] = {}
_pools_lock = threading.Lock()


def pool_for(endpoint: Endpoint) -> _Pool:
    """The process's pool for ``endpoint`` (keyed by pid too: a forked child must not
    share its parent's connection)."""
    key = (os.getpid(), endpoint)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            pool = _pools[key] = _Pool(endpoint)
        return pool


@contextlib.contextmanager
def session(endpoint: Endpoint) -> Iterator[Any]:
    """An ``SFTPClient`` for the duration of the block."""
    pool = pool_for(endpoint)
    sftp = pool.acquire()
    broken = False
    try:
        yield sftp
    except CONNECTION_ERRORS:
        broken = True
        raise
    finally:
        pool.release(sftp, broken=broken)


def close_all() -> None:
    """Close every connection of this process (tests, and after credentials changed)."""
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        with pool._lock:
            for sftp in pool._idle:
                _close_quietly(sftp)
            pool._idle.clear()
            if pool._client is not None:
                _close_quietly(pool._client)
                pool._client = None
