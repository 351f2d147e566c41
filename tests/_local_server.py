"""Start a local server process (an emulator, a database) on a free loopback port and wait
until it answers; the shape that ``_s3``, ``_gcs`` and ``_azurite`` share::

    server = start_local_server(
        lambda port: [sys.executable, "-m", "moto.server", "-p", str(port)],
        name="moto's S3 server",
        probe="/moto-api/",
    )
    ...  # server.url, server.process, server.log
    server.stop()

The port is chosen by binding port 0, then given to the process, so another process may
take it in between: a server that exits or never answers is retried on a new port. Its
output goes to a file (an unread pipe would fill and stall it), whose tail is shown when
every attempt failed.
"""

from __future__ import annotations

import contextlib
import functools
import os
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, TypeVar

__all__ = ["LocalServer", "free_port", "http_answers", "start_local_server", "wait_until"]


def free_port() -> int:
    """A loopback port free at the moment of asking."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    check: Callable[[], bool],
    *,
    seconds: float,
    alive: Callable[[], bool] = lambda: True,
    interval: float = 0.1,
) -> bool:
    """Poll ``check`` until it is true (True), ``seconds`` pass or ``alive`` turns false
    (False): the wait every local server's start-up shares."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and alive():
        if check():
            return True
        time.sleep(interval)
    return False


def running(process: subprocess.Popen[bytes]) -> bool:
    return process.poll() is None


def http_answers(url: str) -> bool:
    """True when anything answers HTTP at ``url`` (an error status counts: it is up)."""
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


@dataclass
class LocalServer:
    url: str  # http://127.0.0.1:PORT
    process: subprocess.Popen[bytes]
    log: IO[bytes]  # the process's stdout and stderr

    def stop(self) -> None:
        """Terminate (kill after 10 s) and close the log."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.log.close()


ServerT = TypeVar("ServerT", bound=LocalServer)


def start_local_server(
    command: Callable[[int], list[str]],
    *,
    name: str,
    probe: str = "/",
    kind: type[ServerT] = LocalServer,  # type: ignore[assignment]
    env: Mapping[str, str] | None = None,
    log: Callable[[], IO[bytes]] = tempfile.TemporaryFile,
    attempts: int = 3,
    seconds: float = 60.0,  # generous: a loaded machine starts them slowly
) -> ServerT:
    """Run ``command(port)`` on a free port until ``http://127.0.0.1:PORT{probe}``
    answers; the running server as a ``kind``. ``env`` adds to the environment;
    ``log`` makes the file its output goes to."""
    failure = ""
    for _ in range(attempts):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        output = log()
        process = subprocess.Popen(
            command(port),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
        if wait_until(
            functools.partial(http_answers, url + probe),
            seconds=seconds,
            alive=functools.partial(running, process),
        ):
            return kind(url, process, output)
        with contextlib.suppress(OSError):
            process.kill()
        process.wait(timeout=10)
        output.seek(0)
        failure = output.read().decode(errors="replace")[-2000:]
        output.close()
    raise RuntimeError(f"{name} did not start:\n{failure}")
