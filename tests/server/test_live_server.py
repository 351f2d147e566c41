"""A real ``runlab server`` process: many clients at once, the command line, shutdown."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from tests._servers import free_port, runlab_command, start_runlab_server, stop

API = "/api/2.0/mlflow"
CLIENTS = 32
BATCHES = 10
POINTS = 20


def _one_client(base_url: str, experiment_id: str, n: int) -> tuple[str, int]:
    with httpx.Client(base_url=base_url, timeout=60) as http:
        r = http.post(f"{API}/runs/create", json={"experiment_id": experiment_id})
        r.raise_for_status()
        run_id = r.json()["run"]["info"]["run_id"]
        for b in range(BATCHES):
            metrics = [
                {"key": "loss", "value": n + s / 100, "timestamp": 1, "step": b * POINTS + s}
                for s in range(POINTS)
            ]
            r = http.post(
                f"{API}/runs/log-batch",
                json={
                    "run_id": run_id,
                    "metrics": metrics,
                    "params": [{"key": f"p{b}", "value": str(n)}],
                    "tags": [{"key": "client", "value": str(n)}],
                },
            )
            r.raise_for_status()
        r = http.post(f"{API}/runs/update", json={"run_id": run_id, "status": "FINISHED"})
        r.raise_for_status()
    return run_id, n


@pytest.mark.slow
def test_32_clients_log_at_once_and_every_point_is_stored(tmp_path: Path, store_uri: str) -> None:
    with start_runlab_server(tmp_path, "--backend-store-uri", store_uri) as (base_url, _):
        eid = httpx.post(f"{base_url}{API}/experiments/create", json={"name": "load"}).json()[
            "experiment_id"
        ]
        with ThreadPoolExecutor(CLIENTS) as pool:
            results = list(pool.map(lambda n: _one_client(base_url, eid, n), range(CLIENTS)))
        assert len({run_id for run_id, _ in results}) == CLIENTS
        with httpx.Client(base_url=base_url, timeout=60) as http:
            for run_id, n in results:
                history = http.get(
                    f"{API}/metrics/get-history", params={"run_id": run_id, "metric_key": "loss"}
                ).json()["metrics"]
                assert [p["step"] for p in history] == list(range(BATCHES * POINTS))
                assert history[-1]["value"] == n + (POINTS - 1) / 100
                run = http.get(f"{API}/runs/get", params={"run_id": run_id}).json()["run"]
                assert len(run["data"]["params"]) == BATCHES
                assert run["info"]["status"] == "FINISHED"
            found = http.post(
                f"{API}/runs/search", json={"experiment_ids": [eid], "max_results": 100}
            ).json()["runs"]
            assert len(found) == CLIENTS


def _run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        runlab_command(*args), capture_output=True, text=True, timeout=60, cwd=cwd, check=False
    )


def test_port_in_use_is_one_line_and_non_zero(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _run_cli("server", "--port", str(port), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: port {port} on 127.0.0.1 is already in use; choose another with --port"
    ]


@pytest.mark.parametrize(
    ("uri", "fragment"),
    [
        ("ftp://example.com/x", "scheme 'ftp' is not supported"),
        ("postgresql+psycopg://postgres@127.0.0.1:1/nothing", "connection"),
    ],
)
def test_bad_backend_uri_is_one_line_and_non_zero(tmp_path: Path, uri: str, fragment: str) -> None:
    result = _run_cli(
        "server", "--port", str(free_port()), "--backend-store-uri", uri, cwd=tmp_path
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert fragment in lines[0]


def test_several_workers_share_one_store(tmp_path: Path) -> None:
    with start_runlab_server(tmp_path, "--workers", "2") as (base_url, _):
        with httpx.Client(base_url=base_url, timeout=30) as http:
            ids = [
                http.post(f"{API}/experiments/create", json={"name": f"e{i}"}).json()[
                    "experiment_id"
                ]
                for i in range(10)
            ]
            names = {
                e["name"]
                for e in http.post(f"{API}/experiments/search", json={}).json()["experiments"]
            }
    assert len(set(ids)) == 10
    assert {f"e{i}" for i in range(10)} <= names


def test_ui_command_serves_the_local_store_and_prints_the_url(tmp_path: Path) -> None:
    with start_runlab_server(tmp_path, command="ui") as (base_url, _):
        r = httpx.post(f"{base_url}{API}/experiments/create", json={"name": "from-ui"})
        assert r.status_code == 200
    assert (tmp_path / "runlab" / "runlab.db").is_file()  # ./runlab, the default store
    log = "".join(p.read_text() for p in tmp_path.glob("runlab-server-*.log"))
    assert base_url in log


def test_shutdown_lets_in_flight_requests_finish(tmp_path: Path) -> None:
    with start_runlab_server(tmp_path) as (base_url, process):
        sent_first = threading.Event()

        def slow_body():
            yield b"a" * 1000
            sent_first.set()
            for _ in range(5):
                time.sleep(0.2)
                yield b"b" * 1000

        result: dict[str, int] = {}

        def upload() -> None:
            r = httpx.put(
                f"{base_url}/api/2.0/mlflow-artifacts/artifacts/slow/file.bin",
                content=slow_body(),
                timeout=30,
            )
            result["status"] = r.status_code

        worker = threading.Thread(target=upload)
        worker.start()
        assert sent_first.wait(10)
        stop(process)  # SIGTERM while the upload is still streaming
        worker.join(30)
        assert result == {"status": 200}
        assert process.returncode is not None
    stored = tmp_path / "server-store" / "artifacts" / "slow" / "file.bin"
    assert stored.read_bytes() == b"a" * 1000 + b"b" * 5000
