"""A real OpenSSH server for the SFTP artifact tests: a private ``sshd`` on a loopback port.

``start_server`` gives it its own host key and configuration (key logins only, no PAM,
the in-process ``internal-sftp`` subsystem) and a client key authorized for the user
running the tests. ``SSHServer.home`` is a home directory laid out the way a user's is
(``.ssh/id_ed25519``, ``.ssh/known_hosts`` naming the server's host key, ``.ssh/config``
with a ``Host`` alias), so pointing ``HOME`` at it gives runlab "the usual environment".
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ALIAS = "runlab-sftp-test"  # the Host entry of the generated ~/.ssh/config
SSHD = "/usr/sbin/sshd"


@dataclass
class SSHServer:
    port: int
    user: str
    home: Path  # a HOME with .ssh/{id_ed25519,known_hosts,config}
    workdir: Path
    process: subprocess.Popen[bytes]

    def uri(self, path: str | Path) -> str:
        return f"sftp://{self.user}@127.0.0.1:{self.port}{Path(path).as_posix()}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log(self) -> str:
        return (self.workdir / "sshd.log").read_text(errors="replace")


def available() -> bool:
    return os.path.exists(SSHD) and shutil.which("ssh-keygen") is not None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _keygen(path: Path) -> str:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "runlab-test", "-f", str(path)],
        check=True,
        stdin=subprocess.DEVNULL,
    )
    return path.with_suffix(".pub").read_text().strip()


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            return sock.recv(4).startswith(b"SSH-")
    except OSError:
        return False


def start_server(workdir: Path, attempts: int = 3) -> SSHServer:
    if not available():
        raise RuntimeError(
            "the SFTP tests need OpenSSH's server: apt-get install openssh-server "
            "(bash scripts/test installs it)"
        )
    # sshd insists on its privilege separation directory, even for a private instance.
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    user = getpass.getuser()
    home = workdir / "home"
    (home / ".ssh").mkdir(parents=True)
    host_pub = _keygen(workdir / "host_ed25519")
    client_pub = _keygen(home / ".ssh" / "id_ed25519")
    (workdir / "authorized_keys").write_text(client_pub + "\n")
    failure = ""
    for _ in range(attempts):
        port = _free_port()
        config = workdir / "sshd_config"
        config.write_text(
            "\n".join(
                [
                    "ListenAddress 127.0.0.1",
                    f"Port {port}",
                    f"HostKey {workdir / 'host_ed25519'}",
                    f"PidFile {workdir / 'sshd.pid'}",
                    f"AuthorizedKeysFile {workdir / 'authorized_keys'}",
                    "StrictModes no",
                    "UsePAM no",
                    "PubkeyAuthentication yes",
                    "PasswordAuthentication yes",  # refused anyway: a wrong password is tested
                    "KbdInteractiveAuthentication no",
                    "PermitRootLogin prohibit-password",
                    "Subsystem sftp internal-sftp",
                    "LogLevel VERBOSE",
                    "",
                ]
            )
        )
        log = open(workdir / "sshd.log", "wb")  # the server writes to it
        process = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        for _ in range(200):
            if process.poll() is not None:
                break
            if _answers(port):
                (home / ".ssh" / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_pub}\n")
                (home / ".ssh" / "config").write_text(
                    f"Host {ALIAS}\n  HostName 127.0.0.1\n  Port {port}\n  User {user}\n"
                    f"  IdentityFile {home / '.ssh' / 'id_ed25519'}\n"
                )
                return SSHServer(port, user, home, workdir, process)
            time.sleep(0.05)
        with contextlib.suppress(OSError):
            process.kill()
        process.wait(timeout=10)
        failure = (workdir / "sshd.log").read_text(errors="replace")[-2000:]
    raise RuntimeError(f"sshd did not start:\n{failure}")


@pytest.fixture(scope="session")
def sshd() -> Iterator[SSHServer]:
    with tempfile.TemporaryDirectory(prefix="runlab-sshd-") as workdir:
        server = start_server(Path(workdir))
        yield server
        server.stop()


@pytest.fixture
def sftp_home(sshd: SSHServer, monkeypatch: pytest.MonkeyPatch) -> SSHServer:
    """HOME points at the server's prepared home, and no agent offers other keys."""
    monkeypatch.setenv("HOME", str(sshd.home))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    for name in list(os.environ):
        if name.startswith("RUNLAB_SFTP_"):
            monkeypatch.delenv(name)
    return sshd


@pytest.fixture
def sftp_root(sftp_home: SSHServer, tmp_path: Path) -> Path:
    """A fresh directory on the server (this machine) for one test's artifacts."""
    root = tmp_path / "sftp-root"
    root.mkdir()
    return root
