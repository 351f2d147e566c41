"""Start a real ``runlab server`` process for tests (importable by any test package).

    from tests._servers import start_runlab_server

    with start_runlab_server(tmp_path) as (base_url, process):
        httpx.get(f"{base_url}/health")

The server listens on a free loopback port, keeps its store in ``tmp_path/server-store``
unless ``--backend-store-uri`` is among ``extra_args``, and logs to
``tmp_path/runlab-server-<port>.log`` (shown when it fails to start). It is stopped with
SIGTERM (graceful: in-flight requests finish) when the block ends.
"""

from __future__ import annotations

import contextlib
import os
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from _local_server import free_port

__all__ = [
    "free_port",
    "runlab_command",
    "serve_command",
    "start_runlab_server",
    "start_runlab_servers",
    "wait_healthy",
]

STARTUP_TIMEOUT = 120.0  # generous: a loaded machine starts slowly


def runlab_command(*args: str) -> list[str]:
    """The ``runlab`` command line, run by this interpreter (and this checkout's code)."""
    return [sys.executable, "-c", "from runlab.cli import main; main()", *args]


def _subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    # The child imports runlab the way this process did.
    src = str(Path(__file__).resolve().parent.parent / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    return env


def _healthy(base_url: str, verify: ssl.SSLContext | bool) -> bool:
    import httpx

    try:
        return httpx.get(f"{base_url}/health", timeout=2.0, verify=verify).text == "OK"
    except httpx.HTTPError:
        return False


@contextlib.contextmanager
def start_runlab_server(
    tmp_path: Path, *extra_args: str, command: str = "server"
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run ``runlab server`` (or ``command``, such as ``ui``) on a free port; yield
    ``(base_url, process)``."""
    with start_runlab_servers(tmp_path, 1, *extra_args, command=command) as servers:
        yield servers[0]


@contextlib.contextmanager
def start_runlab_servers(
    tmp_path: Path, count: int, *extra_args: str, command: str = "server"
) -> Iterator[list[tuple[str, subprocess.Popen[bytes]]]]:
    """Start ``count`` servers with the same arguments at the same moment (each on its own
    port), wait until all answer, and yield their ``(base_url, process)`` pairs.

    All processes are launched before any is waited for, so they open the backend store
    concurrently: on a fresh database they race to create the schema.
    """
    args = list(extra_args)
    if command == "server" and "--backend-store-uri" not in args:
        args += ["--backend-store-uri", str(tmp_path / "server-store")]
    launched: list[subprocess.Popen[bytes]] = []  # every process, stopped at the end

    def launch() -> tuple[str, subprocess.Popen[bytes], Path]:
        base_url, process, log_path = _launch(tmp_path, command, args)
        launched.append(process)
        return base_url, process, log_path

    try:
        started: list[tuple[str, subprocess.Popen[bytes]]] = []
        pending = [launch() for _ in range(count)]
        for _attempt in range(3):  # another process may take a free port first
            retry = []
            for base_url, process, log_path in pending:
                if wait_healthy(base_url, process):
                    started.append((base_url, process))
                    continue
                stop(process)
                log = log_path.read_text(errors="replace")
                if "already in use" not in log:
                    raise RuntimeError(f"runlab server did not start:\n{log[-4000:]}")
                retry.append(launch())
            pending = retry
            if not pending:
                break
        if pending:
            raise RuntimeError("runlab server did not start: its port was taken three times")
        yield started
    finally:
        for process in launched:
            stop(process)


@contextlib.contextmanager
def serve_command(
    tmp_path: Path, argv: list[str], base_url: str
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server command line as given (its port chosen by the caller) until it answers
    ``/health`` at ``base_url``; stop it when the block ends."""
    log_path = tmp_path / f"server-{base_url.rsplit(':', 1)[1]}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, env=_subprocess_env(), cwd=tmp_path
        )
    try:
        if not wait_healthy(base_url, process):
            raise RuntimeError(f"{argv[:4]} did not start:\n{log_path.read_text()[-4000:]}")
        yield process
    finally:
        stop(process)


def _launch(
    tmp_path: Path, command: str, args: list[str]
) -> tuple[str, subprocess.Popen[bytes], Path]:
    port = free_port()
    log_path = tmp_path / f"runlab-server-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            runlab_command(command, "--host", "127.0.0.1", "--port", str(port), *args),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=_subprocess_env(),
            cwd=tmp_path,
        )
    return f"http://127.0.0.1:{port}", process, log_path


def wait_healthy(
    base_url: str,
    process: subprocess.Popen[bytes],
    *,
    timeout: float = STARTUP_TIMEOUT,
    verify: ssl.SSLContext | bool = True,
) -> bool:
    """Whether ``base_url/health`` answers ``OK`` before ``process`` ends or ``timeout``
    seconds pass (a runlab or MLflow server, or a proxy in front of one)."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        if _healthy(base_url, verify):
            return True
        time.sleep(0.1)
    return process.poll() is None and _healthy(base_url, verify)


def stop(process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for localhost and 127.0.0.1 and its key, as PEM files."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "runlab.pem", folder / "runlab.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path
