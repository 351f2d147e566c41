"""Helpers of the REST tests: server subprocesses, the ``Remote`` bundle, a stub server."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests._servers import free_port, runlab_command, wait_healthy

import runlab

STARTUP_TIMEOUT_S = 180
SERVER_KINDS = ["runlab", "mlflow"]  # every real server the client is tested against
SRC = str(Path(__file__).resolve().parents[2] / "src")


@dataclass
class ServerProcess:
    """A tracking server subprocess that can be stopped and started again on its port."""

    command: list[str]
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RUNLAB_", "MLFLOW_"))}
        # The server imports this checkout's runlab, as the tests do.
        env["PYTHONPATH"] = os.pathsep.join(p for p in (SRC, env.get("PYTHONPATH", "")) if p)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,  # its own group: stopping it stops its workers
            )
        if wait_healthy(self.url, self.process, timeout=STARTUP_TIMEOUT_S):
            return
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.command[:4]} exited:\n{self.log.read_text()[-3000:]}")
        self.stop()
        raise RuntimeError(f"server did not answer /health:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """Stop at once, as a crash would (no graceful shutdown)."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        self._signal(signal.SIGTERM)

    def _signal(self, sig: int) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        # Workers of the group may outlive the leader for a moment; wait for the port.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) != 0:
                    return
            time.sleep(0.1)


def mlflow_server_process(directory: Path, port: int | None = None) -> ServerProcess:
    directory.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    command = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        *("--host", "127.0.0.1", "--port", str(port)),
        *("--backend-store-uri", f"sqlite:///{directory / 'mlflow.db'}"),
        *("--artifacts-destination", str(directory / "artifacts")),
        *("--workers", "1"),
    ]
    return ServerProcess(command, port, directory / "server.log")


def runlab_server_process(
    directory: Path, port: int | None = None, backend: str | None = None
) -> ServerProcess:
    """A ``runlab server`` on ``backend`` (default: a store folder in ``directory``), its
    artifact proxy keeping files in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    command = runlab_command(
        "server",
        *("--host", "127.0.0.1", "--port", str(port)),
        *("--backend-store-uri", backend or str(directory / "store")),
        *(("--artifacts-destination", str(directory / "artifacts")) if backend else ()),
    )
    return ServerProcess(command, port, directory / "server.log")


@dataclass
class Remote:
    url: str
    client: runlab.RunlabClient
    experiment_id: str
    experiment_name: str


# ------------------------------------------------------------------------------ the stub
@dataclass
class Answer:
    status: int = 200
    body: Any = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    cut_off: bool = False  # promise more body than is sent, then hang up


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Stub:
    """A loopback HTTP server: ``script(request)`` picks each answer.

    Given a certificate and its key (PEM files), it speaks HTTPS instead.
    """

    def __init__(self, tls: tuple[Path, Path] | None = None) -> None:
        self.requests: list[Recorded] = []
        self.script: Callable[[Recorded], Answer] = lambda request: Answer()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorded = Recorded(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                stub.requests.append(recorded)
                answer = stub.script(recorded)
                payload = (
                    answer.body
                    if isinstance(answer.body, bytes)
                    else json.dumps(answer.body).encode()
                )
                self.send_response(answer.status)
                content_type = "text/html" if isinstance(answer.body, bytes) else "application/json"
                self.send_header("Content-Type", content_type)
                promised = len(payload) + (1000 if answer.cut_off else 0)
                self.send_header("Content-Length", str(promised))
                for key, value in answer.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)
                if answer.cut_off:
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        scheme = "http"
        if tls is not None:
            import ssl

            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
