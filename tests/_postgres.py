"""A throwaway PostgreSQL cluster: initdb, start on a free loopback port, trust auth.

Used by the test fixtures (``tests/conftest.py``) and by the server benchmark
(``bench/server_writes.py``)::

    info = start_cluster()          # {"root": ..., "bindir": ..., "port": ...}
    url = create_database(server_url(info))
    ...
    stop_cluster(info)

The description is a plain dict so that it can be written to a file and shared between
processes. When running as root, the cluster runs as the ``postgres`` account (PostgreSQL
refuses to run as root). The settings favour speed over durability (``fsync=off``): the
data is thrown away afterwards.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shlex
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any

from _local_server import free_port, wait_until

__all__ = [
    "CLUSTER_USER",
    "ClusterError",
    "admin_connection",
    "create_database",
    "drop_database",
    "find_postgres_bindir",
    "import_psycopg",
    "server_url",
    "start_cluster",
    "stop_cluster",
]

CLUSTER_USER = "postgres"
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
}
INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) were not found in /usr/lib/postgresql/*/bin "
    "or on PATH. Install Debian's `postgresql` package (`apt-get install postgresql`; "
    "`bash scripts/test` does this when it runs as root), or set RUNLAB_TEST_POSTGRES=0 "
    "to skip the PostgreSQL tests explicitly."
)


class ClusterError(Exception):
    """The PostgreSQL cluster could not be set up."""


def server_url(info: dict[str, Any]) -> str:
    """SQLAlchemy URL of the cluster, without a database: append ``/<name>``."""
    return f"postgresql+psycopg://{CLUSTER_USER}@127.0.0.1:{info['port']}"


def create_database(url: str, prefix: str = "test") -> str:
    """Create an empty database on the cluster at ``url``; return its URL."""
    psycopg = import_psycopg()
    name = f"{prefix}_{uuid.uuid4().hex[:20]}"
    with admin_connection(url) as conn:
        conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))
    return f"{url}/{name}"


def drop_database(url: str, name: str) -> None:
    """Drop database ``name`` of the cluster at ``url``, closing its connections."""
    psycopg = import_psycopg()
    with admin_connection(url) as conn:
        conn.execute(
            psycopg.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                psycopg.sql.Identifier(name)
            )
        )


def find_postgres_bindir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin (Debian), else the one on PATH."""

    def version(bindir: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", bindir.parent.name))

    found = [
        bindir
        for bindir in Path("/usr/lib/postgresql").glob("*/bin")
        if (bindir / "pg_ctl").is_file() and (bindir / "initdb").is_file()
    ]
    if found:
        return max(found, key=version)
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl and (Path(pg_ctl).parent / "initdb").is_file():
        return Path(pg_ctl).parent
    return None


def start_cluster() -> dict[str, Any]:
    """Create and start a cluster; its description (root, bindir, port) as a JSON-able dict."""
    bindir = find_postgres_bindir()
    if bindir is None:
        raise ClusterError(INSTALL_HINT)
    root = Path(tempfile.mkdtemp(prefix="runlab-pg-"))
    info: dict[str, Any] = {"root": str(root), "bindir": str(bindir)}
    try:
        sockets = root / "sockets"
        sockets.mkdir()
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root: the cluster belongs to the postgres account.
            account = _cluster_account()
            for path in (root, sockets):
                os.chown(path, account.pw_uid, account.pw_gid)
        _run(
            [
                str(bindir / "initdb"),
                *("-D", str(root / "data"), "-U", CLUSTER_USER, "-A", "trust"),
                *("-E", "UTF8", "--locale=C", "--no-sync"),
            ],
            cwd=root,
        )
        info["port"] = _start_server(bindir, root, sockets)
        _wait_until_accepting(info["port"])
    except BaseException:
        stop_cluster(info)
        raise
    return info


def _start_server(bindir: Path, root: Path, sockets: Path) -> int:
    """Start on a free port; retry on a new port if another process took it meanwhile."""
    settings = " ".join(f"-c {key}={value}" for key, value in SERVER_SETTINGS.items())
    log = root / "server.log"
    failure = ClusterError("no attempt made")
    for _ in range(3):
        port = free_port()
        options = f"-F -p {port} -k {shlex.quote(str(sockets))} {settings}"
        command = [str(bindir / "pg_ctl"), "start", "-D", str(root / "data"), "-l", str(log)]
        try:
            _run([*command, "-w", "-t", "60", "-o", options], cwd=root)
        except ClusterError as exc:
            failure = exc
            with contextlib.suppress(ClusterError):
                _run([str(bindir / "pg_ctl"), "stop", "-D", str(root / "data"), "-m", "immediate"])
            continue
        return port
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise ClusterError(f"{failure}\nserver log ({log}):\n{tail}")


def _wait_until_accepting(port: int, seconds: float = 30) -> None:
    psycopg = import_psycopg()
    conninfo = f"host=127.0.0.1 port={port} user={CLUSTER_USER} dbname=postgres connect_timeout=5"
    failure: list[Exception] = []

    def accepts() -> bool:
        try:
            with psycopg.connect(conninfo) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.OperationalError as exc:
            failure[:] = [exc]
            return False

    if not wait_until(accepts, seconds=seconds):
        raise ClusterError(f"PostgreSQL on port {port} accepts no connections: {failure[-1]}")


def stop_cluster(info: dict[str, Any]) -> None:
    """Stop the cluster ``start_cluster`` described and delete its files."""
    root = Path(info["root"]) if "root" in info else None
    if root is None:
        return
    data = root / "data"
    if "bindir" in info and (data / "postmaster.pid").exists():
        with contextlib.suppress(ClusterError, OSError):
            _run([str(Path(info["bindir"]) / "pg_ctl"), "stop", "-D", str(data), "-m", "immediate"])
    shutil.rmtree(root, ignore_errors=True)


def _cluster_account() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(CLUSTER_USER)
    except KeyError:
        raise ClusterError(
            f"running as root, but there is no {CLUSTER_USER!r} account to run PostgreSQL "
            "(it refuses to run as root); install Debian's `postgresql` package, which "
            "creates it, or run the tests as an ordinary user"
        ) from None


def _as_cluster_owner(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", CLUSTER_USER, "--", *command]
    su = shutil.which("su")
    if su:
        return [su, "-s", "/bin/sh", CLUSTER_USER, "-c", shlex.join(command)]
    raise ClusterError("running as root, but neither runuser nor su is available")


def _run(command: list[str], cwd: Path | None = None) -> None:
    # A C locale whatever the user's: an unset or ungenerated locale makes initdb fail.
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    try:
        result = subprocess.run(
            _as_cluster_owner(command),
            cwd=cwd or tempfile.gettempdir(),
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ClusterError(f"{shlex.join(command)}: {exc}") from exc
    if result.returncode != 0:
        raise ClusterError(
            f"{shlex.join(command)} exited with {result.returncode}:\n"
            f"{result.stdout}{result.stderr}"
        )


def admin_connection(server_url: str) -> Any:
    psycopg = import_psycopg()
    conninfo = server_url.replace("postgresql+psycopg://", "postgresql://", 1) + "/postgres"
    return psycopg.connect(conninfo, autocommit=True, connect_timeout=10)


def import_psycopg() -> Any:
    try:
        import psycopg
        import psycopg.sql
    except ImportError:
        raise ClusterError("psycopg is not installed: pip install -e '.[test]'") from None
    return psycopg
