"""A throwaway MariaDB server: mariadb-install-db, start on a free loopback port.

Used by the test fixtures (``tests/conftest.py``) like ``_postgres`` is::

    info = start_server()           # {"root": ..., "port": ..., "pid": ...}
    url = create_database(server_url(info))
    ...
    stop_server(info)

The description is a plain dict so that it can be written to a file and shared between
processes. When running as root, the server runs as the ``mysql`` account (the Debian
package creates it). The settings favour speed over durability: the data is thrown away.
"""

from __future__ import annotations

import contextlib
import functools
import os
import pwd
import shlex
import shutil
import signal
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any

from _local_server import free_port, running, wait_until

__all__ = [
    "SERVER_USER",
    "ServerError",
    "admin_connection",
    "create_database",
    "drop_database",
    "server_url",
    "start_server",
    "stop_server",
]

SERVER_USER = "root"  # the server's own superuser, reached over TCP without a password
ACCOUNT = "mysql"  # the Unix account the server runs as when we are root
SERVER_SETTINGS = {
    "bind-address": "127.0.0.1",
    "skip-name-resolve": None,
    "innodb-flush-log-at-trx-commit": "0",
    "innodb-doublewrite": "0",
    "innodb-buffer-pool-size": "64M",
    "innodb-log-file-size": "48M",
    "sync-binlog": "0",
    "skip-log-bin": None,
    "max-connections": "300",
    "character-set-server": "utf8mb4",
    "collation-server": "utf8mb4_general_ci",  # the usual default: runlab must not rely on it
}
INSTALL_HINT = (
    "MariaDB server binaries (mariadbd, mariadb-install-db) were not found on PATH or in "
    "/usr/sbin. Install Debian's `mariadb-server` package (`apt-get install mariadb-server`; "
    "`bash scripts/test` does this when it runs as root), or set RUNLAB_TEST_MYSQL=0 to skip "
    "the MariaDB tests explicitly."
)


# Servers this process started, kept so the Popen objects live as long as the servers do
# (one collected while its process runs warns); other processes stop them by pid.
_STARTED: dict[int, subprocess.Popen[bytes]] = {}


class ServerError(Exception):
    """The MariaDB server could not be set up."""


def server_url(info: dict[str, Any]) -> str:
    """SQLAlchemy URL of the server, without a database: append ``/<name>``."""
    return f"mysql+pymysql://{SERVER_USER}@127.0.0.1:{info['port']}"


def create_database(url: str, prefix: str = "test") -> str:
    """Create an empty database on the server at ``url``; return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:20]}"
    with contextlib.closing(admin_connection(url)) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}`")
    return f"{url}/{name}"


def drop_database(url: str, name: str) -> None:
    """Drop database ``name`` of the server at ``url``, ending its connections first."""
    with contextlib.closing(admin_connection(url)) as conn, conn.cursor() as cur:
        cur.execute("SELECT id FROM information_schema.processlist WHERE db = %s", (name,))
        for (pid,) in cur.fetchall():
            with contextlib.suppress(Exception):  # it may have ended meanwhile
                cur.execute(f"KILL {int(pid)}")
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")


def _binary(name: str) -> str | None:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    return found


def start_server() -> dict[str, Any]:
    """Create and start a server; its description (root, port, pid) as a JSON-able dict."""
    mariadbd, install_db = _binary("mariadbd"), _binary("mariadb-install-db")
    if mariadbd is None or install_db is None:
        raise ServerError(INSTALL_HINT)
    root = Path(tempfile.mkdtemp(prefix="runlab-mariadb-"))
    info: dict[str, Any] = {"root": str(root)}
    try:
        user_args: list[str] = []
        if os.geteuid() == 0:
            account = _account()
            os.chown(root, account.pw_uid, account.pw_gid)
            user_args = [f"--user={ACCOUNT}"]
        data = root / "data"
        _run(
            [
                install_db,
                "--no-defaults",
                f"--datadir={data}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                *user_args,
            ],
            cwd=root,
        )
        _start(mariadbd, root, user_args, info)
    except BaseException:
        stop_server(info)
        raise
    return info


def _start(mariadbd: str, root: Path, user_args: list[str], info: dict[str, Any]) -> None:
    """Start on a free port; retry on a new port if another process took it meanwhile."""
    settings = [f"--{k}" if v is None else f"--{k}={v}" for k, v in SERVER_SETTINGS.items()]
    log = root / "server.log"
    for _ in range(3):
        port = free_port()
        command = [
            mariadbd,
            "--no-defaults",
            f"--datadir={root / 'data'}",
            f"--port={port}",
            f"--socket={root / 'mysqld.sock'}",
            f"--pid-file={root / 'mysqld.pid'}",
            f"--log-error={log}",
            *settings,
            *user_args,
        ]
        with open(os.devnull, "rb") as stdin, open(root / "stderr.log", "ab") as stderr:
            process = subprocess.Popen(
                command,
                cwd=root,
                stdin=stdin,
                stdout=stderr,
                stderr=stderr,
                start_new_session=True,
            )
        _STARTED[process.pid] = process
        info["pid"], info["port"] = process.pid, port
        if _wait_until_accepting(port, process):
            return
        _terminate(process.pid)
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise ServerError(f"mariadbd did not start\nserver log ({log}):\n{tail}")


def _wait_until_accepting(port: int, process: subprocess.Popen[bytes], seconds: float = 60) -> bool:
    pymysql = _import_pymysql()

    def accepts() -> bool:
        try:
            pymysql.connect(
                host="127.0.0.1", port=port, user=SERVER_USER, connect_timeout=5
            ).close()
            return True
        except pymysql.err.OperationalError:
            return False

    return wait_until(accepts, seconds=seconds, alive=functools.partial(running, process))


def stop_server(info: dict[str, Any]) -> None:
    """Stop the server ``start_server`` described and delete its files."""
    if "pid" in info:
        _terminate(int(info["pid"]))
    if "root" in info:
        shutil.rmtree(info["root"], ignore_errors=True)


def _terminate(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)  # the data is thrown away: no clean shutdown needed
    process = _STARTED.pop(pid, None)
    if process is not None:
        process.wait()
        return
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _account() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(ACCOUNT)
    except KeyError:
        raise ServerError(
            f"running as root, but there is no {ACCOUNT!r} account to run MariaDB; install "
            "Debian's `mariadb-server` package, which creates it, or run the tests as an "
            "ordinary user"
        ) from None


def _run(command: list[str], cwd: Path) -> None:
    try:
        result = subprocess.run(
            command,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ServerError(f"{shlex.join(command)}: {exc}") from exc
    if result.returncode != 0:
        raise ServerError(
            f"{shlex.join(command)} exited with {result.returncode}:\n"
            f"{result.stdout}{result.stderr}"
        )


def admin_connection(server_url: str) -> Any:
    pymysql = _import_pymysql()
    rest = server_url.split("@", 1)[1]
    host, port = rest.rsplit(":", 1)
    return pymysql.connect(
        host=host, port=int(port), user=SERVER_USER, autocommit=True, connect_timeout=10
    )


def _import_pymysql() -> Any:
    try:
        import pymysql
    except ImportError:
        raise ServerError("PyMySQL is not installed: pip install -e '.[test]'") from None
    return pymysql
