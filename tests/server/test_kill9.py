"""No acknowledged write is lost when the server is killed (SIGKILL) or stopped (SIGTERM).

Sixteen client processes log metric batches through ``runlab server`` for about ten
seconds; the server is killed with SIGKILL and restarted on the same port and store twice
meanwhile, the clients retrying through their ordinary HTTP retry settings. Each client
writes down every batch it saw acknowledged (``synchronous=True``: the call returned), and
afterwards every such point must be stored exactly once, and nothing else stored but the
points of batches whose answer never came. A server sent SIGTERM while a request is
arriving answers it and stores it before it exits.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from tests._servers import free_port, runlab_command, serve_command

from runlab.tracking.client import RunlabClient

pytestmark = pytest.mark.slow

CLIENTS = 16
PHASE_SECONDS = 3.3  # logging before each kill, and after the last restart
KILLS = 2
CLIENT_SCRIPT = Path(__file__).with_name("_kill9_client.py")
POINTS = 50  # per batch, as in the client script
SRC = Path(__file__).resolve().parents[2] / "src"


@dataclass
class Figures:
    acknowledged: int
    stored: int
    failed_batches: int
    retried_requests: int  # requests that met a dead server and were sent again


class Servers:
    """``count`` server processes on one store, each restartable on its own port."""

    def __init__(self, tmp_path: Path, store: str, count: int, stack: contextlib.ExitStack):
        self.tmp_path, self.store, self.stack = tmp_path, store, stack
        self.ports = [free_port() for _ in range(count)]
        self.processes = [self._start(port) for port in self.ports]

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    def _start(self, port: int) -> subprocess.Popen[bytes]:
        argv = runlab_command(
            "server", "--host", "127.0.0.1", "--port", str(port), "--backend-store-uri", self.store
        )
        url = f"http://127.0.0.1:{port}"
        return self.stack.enter_context(serve_command(self.tmp_path, argv, url))

    def kill_and_restart(self) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGKILL)
        for process in self.processes:
            process.wait(30)
        self.processes = [self._start(port) for port in self.ports]


def _client_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUNLAB_", "MLFLOW_"))}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    env.update(
        RUNLAB_JOURNAL="false",
        RUNLAB_HTTP_MAX_RETRIES="60",  # about 30 s of waiting: a restart on a loaded machine
        RUNLAB_HTTP_BACKOFF_FACTOR="0.05",
        RUNLAB_HTTP_BACKOFF_MAX="0.5",
        RUNLAB_HTTP_TIMEOUT="60",
    )
    return env


def _read_acks(path: Path) -> tuple[set[int], set[int]]:
    """Steps acknowledged, and steps of batches that failed past the retry budget."""
    acked: set[int] = set()
    failed: set[int] = set()
    for line in path.read_text().splitlines():
        if line.startswith("failed "):
            first = int(line.split()[1])
            failed.update(range(first, first + POINTS))
        elif line:
            first = int(line)
            acked.update(range(first, first + POINTS))
    return acked, failed


def _ack_count(paths: list[Path]) -> int:
    return sum(len(p.read_text().splitlines()) for p in paths if p.exists())


@contextlib.contextmanager
def _clients(
    tmp_path: Path, urls: list[str], run_ids: list[str]
) -> Iterator[tuple[list[Path], Path, list[subprocess.Popen[bytes]]]]:
    stop = tmp_path / "stop"
    acks = [tmp_path / f"acks-{n:02d}.txt" for n in range(CLIENTS)]
    env = _client_env(tmp_path)
    processes = []
    try:
        for n in range(CLIENTS):
            log = (tmp_path / f"client-{n:02d}.log").open("wb")
            argv = [sys.executable, str(CLIENT_SCRIPT), urls[n % len(urls)], run_ids[n]]
            processes.append(
                subprocess.Popen([*argv, str(acks[n]), str(stop)], env=env, stdout=log, stderr=log)
            )
            log.close()
        yield acks, stop, processes
    finally:
        stop.touch()
        for process in processes:
            try:
                process.wait(120)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_until(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _kill9_under_load(tmp_path: Path, store: str, server_count: int) -> Figures:
    with contextlib.ExitStack() as stack:
        servers = Servers(tmp_path, store, server_count, stack)
        setup = RunlabClient(servers.urls[0])
        experiment_id = setup.create_experiment("kill9")
        run_ids = [
            setup.create_run(experiment_id, run_name=f"client-{n:02d}").info.run_id
            for n in range(CLIENTS)
        ]
        with _clients(tmp_path, servers.urls, run_ids) as (acks, stop, processes):
            # Every client is up and logging before the clock starts.
            _wait_until(
                lambda: all(p.exists() and p.read_text() for p in acks), 180, "every client"
            )
            counts = [_ack_count(acks)]
            for _ in range(KILLS):
                time.sleep(PHASE_SECONDS)
                servers.kill_and_restart()
                counts.append(_ack_count(acks))
            time.sleep(PHASE_SECONDS)
            counts.append(_ack_count(acks))
            stop.touch()
            for process in processes:
                assert process.wait(120) == 0, process.args
        # Logging went on in every phase: before, between and after the kills.
        assert all(b > a for a, b in zip(counts, counts[1:], strict=False)), counts
        # Read back from the store itself, the servers stopped.
        for process in servers.processes:
            process.send_signal(signal.SIGTERM)
            process.wait(30)
    reader = RunlabClient(store)
    acknowledged = stored = failed_batches = 0
    for n, run_id in enumerate(run_ids):
        acked, failed = _read_acks(acks[n])
        steps = Counter(m.step for m in reader.get_metric_history(run_id, "m"))
        twice = sorted(step for step, count in steps.items() if count > 1)
        assert not twice, f"client {n}: steps stored more than once: {twice[:10]}"
        missing = sorted(acked - steps.keys())
        assert not missing, f"client {n}: acknowledged but not stored: {missing[:10]}"
        unexpected = sorted(steps.keys() - acked - failed)
        assert not unexpected, f"client {n}: stored but never sent: {unexpected[:10]}"
        acknowledged += len(acked)
        stored += len(steps)
        failed_batches += len(failed) // POINTS
    retried = sum(
        p.read_text(errors="replace").count("failed (") for p in tmp_path.glob("client-*.log")
    )
    # The kills hit clients mid-request: they retried and went on.
    assert retried > 0
    figures = Figures(acknowledged, stored, failed_batches, retried)
    where = f"{server_count} server(s) on {store.split(':')[0]}"
    print(f"\nkill -9 x{KILLS}, {where}: {figures}")  # noqa: T201  the figures of the docs
    return figures


def test_sigkill_under_load_sqlite(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'store.db'}"
    figures = _kill9_under_load(tmp_path, store, server_count=1)
    assert figures.acknowledged > 0


@pytest.mark.postgres
def test_sigkill_under_load_postgres_two_servers(tmp_path: Path, postgres_url: str) -> None:
    figures = _kill9_under_load(tmp_path, postgres_url, server_count=2)
    assert figures.acknowledged > 0


def test_sigterm_finishes_the_request_in_flight(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'store.db'}"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = runlab_command(
        "server", "--host", "127.0.0.1", "--port", str(port), "--backend-store-uri", store
    )
    with serve_command(tmp_path, argv, url) as process:
        client = RunlabClient(url)
        run_id = client.create_run(client.create_experiment("sigterm")).info.run_id
        now = int(time.time() * 1000)
        points = [{"key": "m", "value": s, "timestamp": now, "step": s} for s in range(1000)]
        body = json.dumps({"run_id": run_id, "metrics": points}).encode()
        half = len(body) // 2
        signalled_at: list[float] = []

        def slow_body() -> Iterator[bytes]:
            # Half the request is on the wire when the server is told to stop.
            yield body[:half]
            process.send_signal(signal.SIGTERM)
            signalled_at.append(time.monotonic())
            time.sleep(1.0)
            yield body[half:]

        response = httpx.post(
            f"{url}/api/2.0/mlflow/runs/log-batch",
            content=slow_body(),
            headers={"Content-Type": "application/json"},
            timeout=60,
        )
        assert response.status_code == 200, response.text
        # uvicorn shuts down, then ends by the signal it was sent (status -SIGTERM).
        assert process.wait(60) in (0, -signal.SIGTERM)
        # It stopped because of the signal, after answering, not at the end of a timeout.
        assert time.monotonic() - signalled_at[0] < 30
        log = (tmp_path / f"server-{port}.log").read_text(errors="replace")
        assert "Waiting for connections to close" in log or "Shutting down" in log, log
        assert "Finished server process" in log, log
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{url}/health", timeout=5)
    history = RunlabClient(store).get_metric_history(run_id, "m")
    assert sorted(m.step for m in history) == list(range(1000))
