"""The team set-up of docs/deployment.md, run for real: nginx with docs/deploy/nginx.conf
(TLS, a self-signed certificate made here) in front of ``runlab server --workers 2
--forwarded-allow-ips 127.0.0.1`` on PostgreSQL and S3.

The template is filled in with the same sed command as the docs, and nginx runs in the
foreground with a small main configuration of its own (pid file, logs and temporary
folders in a private directory), the way Debian's /etc/nginx/nginx.conf includes
conf.d/*.conf.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import signal
import ssl
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests._servers import free_port, self_signed_certificate, start_runlab_server, wait_healthy

import runlab
from runlab.entities import Metric, Param

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.s3]

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "docs" / "deploy" / "nginx.conf"
PREFIX = "team"
NGINX_HINT = (
    "nginx was not found (looked on PATH and in /usr/sbin). Install Debian's `nginx` "
    "package (`apt-get install nginx`; `bash scripts/test` does this when it runs as root)."
)


def render(template: Path, values: dict[str, str], target: Path) -> None:
    """The docs' templating step, run as written there: one sed expression per placeholder."""
    command = ["sed"]
    for name, value in values.items():
        command += ["-e", f"s|@{name}@|{value}|g"]
    with target.open("w") as out:
        subprocess.run([*command, str(template)], stdout=out, check=True, timeout=30)


MAIN_CONFIG = """\
# What Debian's /etc/nginx/nginx.conf provides, pointed at a private directory.
worker_processes 2;
pid {run}/nginx.pid;
error_log {run}/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log {run}/access.log;
    client_body_temp_path {run}/client_body;
    proxy_temp_path {run}/proxy;
    fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    include {run}/conf.d/*.conf;
}}
"""


def trusting(cert: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert))


def nginx_binary() -> str:
    found = shutil.which("nginx")
    if found is None and os.access("/usr/sbin/nginx", os.X_OK):
        found = "/usr/sbin/nginx"  # not on PATH for ordinary users on Debian
    if found is None:
        pytest.fail(NGINX_HINT, pytrace=False)
    return found


@contextlib.contextmanager
def run_nginx(run: Path, https_port: int, cert: Path) -> Iterator[subprocess.Popen[bytes]]:
    nginx = nginx_binary()
    config = run / "nginx.conf"
    config.write_text(MAIN_CONFIG.format(run=run))
    base = [nginx, "-p", str(run), "-e", str(run / "error.log"), "-c", str(config)]
    check = subprocess.run([*base, "-t"], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr
    log = (run / "nginx.out").open("wb")
    process = subprocess.Popen([*base, "-g", "daemon off;"], stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"https://localhost:{https_port}"
        if not wait_healthy(url, process, timeout=60, verify=trusting(cert)):
            errors = (run / "error.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"nginx did not come up:\n{errors}")
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGQUIT)  # graceful: finish open requests
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(30)
        log.close()


@dataclass
class Stack:
    url: str  # https://localhost:PORT, through nginx
    http_url: str  # the plain-HTTP port that redirects
    cert: Path
    bucket: str


@pytest.fixture
def stack(
    tmp_path: Path, postgres_url: str, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Stack]:
    # nginx's workers drop root for `nobody`: the private directory must be reachable.
    run = Path(tempfile.mkdtemp(prefix="runlab-nginx-"))
    run.chmod(0o755)
    try:
        cert, key = self_signed_certificate(run)
        https_port, http_port = free_port(), free_port()
        with start_runlab_server(
            tmp_path,
            *("--backend-store-uri", postgres_url),
            *("--artifacts-destination", f"s3://{s3_bucket}/{PREFIX}"),
            *("--workers", "2"),
            *("--forwarded-allow-ips", "127.0.0.1"),
            *("--allowed-hosts", "localhost"),
        ) as (server_url, _process):
            (run / "conf.d").mkdir()
            render(
                TEMPLATE,
                {
                    "SERVER_NAME": "localhost",
                    "HTTPS_PORT": str(https_port),
                    "HTTP_PORT": str(http_port),
                    "TLS_CERT": str(cert),
                    "TLS_KEY": str(key),
                    "RUNLAB_ADDRESS": server_url.removeprefix("http://"),
                },
                run / "conf.d" / "runlab.conf",
            )
            with run_nginx(run, https_port, cert):
                # Clients trust the test's own certificate, as with a private CA.
                monkeypatch.setenv("RUNLAB_TRACKING_SERVER_CERT_PATH", str(cert))
                monkeypatch.setenv("MLFLOW_TRACKING_SERVER_CERT_PATH", str(cert))
                monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
                yield Stack(
                    f"https://localhost:{https_port}",
                    f"http://localhost:{http_port}",
                    cert,
                    s3_bucket,
                )
    finally:
        shutil.rmtree(run, ignore_errors=True)


def big_file(path: Path, size: int) -> str:
    """A file of ``size`` random bytes; returns its SHA-256."""
    digest = hashlib.sha256()
    with path.open("wb") as out:
        left = size
        while left:
            chunk = os.urandom(min(left, 1024 * 1024))
            out.write(chunk)
            digest.update(chunk)
            left -= len(chunk)
    return digest.hexdigest()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def test_runlab_and_mlflow_clients_log_through_nginx(
    stack: Stack, tmp_path: Path, s3_admin: Any
) -> None:
    import mlflow

    # runlab's client: a run with params and metrics, and a 40 MiB artifact streamed up.
    client = runlab.RunlabClient(stack.url)
    experiment_id = client.create_experiment("behind-nginx")
    run_id = client.create_run(experiment_id, run_name="runlab-client").info.run_id
    client.log_batch(
        run_id,
        metrics=[Metric("loss", 1 / (s + 1), 1_700_000_000_000, s) for s in range(500)],
        params=[Param("lr", "0.01")],
    )
    client.log_metric(run_id, "acc", 0.9, step=1)
    big = tmp_path / "weights.bin"
    big_sha = big_file(big, 40 * 1024 * 1024 + 3)
    client.log_artifact(run_id, big, "model")
    client.set_terminated(run_id)

    # MLflow's client: the same, with its multipart upload through the proxy (3 parts).
    multipart = {
        "MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD": "true",
        "MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE": str(5 * 1024 * 1024),
        "MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE": str(5 * 1024 * 1024),
    }
    ml = mlflow.MlflowClient(stack.url)
    ml_run_id = ml.create_run(experiment_id, run_name="mlflow-client").info.run_id
    ml.log_param(ml_run_id, "lr", "0.02")
    for step in range(20):
        ml.log_metric(ml_run_id, "loss", 1 / (step + 1), step=step)
    ml_big = tmp_path / "mlflow-weights.bin"
    ml_big_sha = big_file(ml_big, 12 * 1024 * 1024 + 5)
    with _env(multipart):
        ml.log_artifact(ml_run_id, str(ml_big), "model")
    ml.set_terminated(ml_run_id)

    # Each client reads what the other wrote, through the proxy.
    assert [m.step for m in ml.get_metric_history(run_id, "loss")] == list(range(500))
    assert ml.get_run(run_id).data.params == {"lr": "0.01"}
    assert [m.step for m in client.get_metric_history(ml_run_id, "loss")] == list(range(20))
    assert client.get_run(ml_run_id).data.params == {"lr": "0.02"}
    listed = {f.path: f.file_size for f in client.list_artifacts(ml_run_id, "model")}
    assert listed == {"model/mlflow-weights.bin": ml_big.stat().st_size}

    down = Path(ml.download_artifacts(run_id, "model/weights.bin", str(tmp_path / "a")))
    assert sha256_of(down) == big_sha
    down = Path(client.download_artifacts(ml_run_id, "model", str(tmp_path / "b")))
    assert sha256_of(down / "mlflow-weights.bin") == ml_big_sha

    # Both files reached the bucket once, whole.
    keys = {
        obj["Key"]: obj["Size"]
        for page in s3_admin.get_paginator("list_objects_v2").paginate(Bucket=stack.bucket)
        for obj in page.get("Contents", [])
    }
    assert keys == {
        f"{PREFIX}/{experiment_id}/{run_id}/artifacts/model/weights.bin": big.stat().st_size,
        f"{PREFIX}/{experiment_id}/{ml_run_id}/artifacts/model/mlflow-weights.bin": (
            ml_big.stat().st_size
        ),
    }


@contextlib.contextmanager
def _env(values: dict[str, str]) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in values.items():
            patch.setenv(name, value)
        yield


def test_the_server_sees_the_clients_https_origin(stack: Stack) -> None:
    with httpx.Client(verify=trusting(stack.cert), timeout=60) as http:
        # Starlette's trailing-slash redirect is built from the scheme and Host it sees.
        answer = http.get(f"{stack.url}/health/", follow_redirects=False)
        assert answer.status_code == 307
        assert answer.headers["location"] == f"{stack.url}/health"

        # So are the part URLs of a multipart upload, which clients PUT to.
        answer = http.post(
            f"{stack.url}/api/2.0/mlflow-artifacts/mpu/create/1/r/artifacts",
            json={"path": "big.bin", "num_parts": 2},
        )
        assert answer.status_code == 200, answer.text
        urls = [c["url"] for c in answer.json()["credentials"]]
        assert all(u.startswith(f"{stack.url}/api/2.0/mlflow-artifacts/mpu/upload/") for u in urls)
        upload_id = answer.json()["upload_id"]
        http.post(
            f"{stack.url}/api/2.0/mlflow-artifacts/mpu/abort/1/r/artifacts",
            json={"path": "big.bin", "upload_id": upload_id},
        ).raise_for_status()

        # A Host outside --allowed-hosts is refused by runlab, behind the proxy too.
        search = f"{stack.url}/api/2.0/mlflow/experiments/search"
        answer = http.get(search, headers={"Host": "evil.example"}, follow_redirects=False)
        assert answer.status_code == 400
        assert http.get(search).status_code == 200

    # Plain HTTP only redirects to HTTPS.
    answer = httpx.get(f"{stack.http_url}/api/2.0/mlflow/experiments/search", timeout=30)
    assert answer.status_code == 301
    assert answer.headers["location"] == f"{stack.url}/api/2.0/mlflow/experiments/search"
    assert re.match(r"https://localhost:\d+/", answer.headers["location"])
