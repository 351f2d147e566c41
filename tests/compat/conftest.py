"""A live ``runlab server`` for MLflow's own client to talk to (one per test module)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests._servers import start_runlab_server


@pytest.fixture(scope="module")
def server_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("compat-server")


@pytest.fixture(scope="module")
def server_url(server_dir: Path) -> Iterator[str]:
    with start_runlab_server(server_dir) as (base_url, _process):
        yield base_url


@pytest.fixture
def mlflow_client(server_url: str) -> Iterator[object]:
    """``mlflow`` pointed at the server; the active run and tracking URI reset afterwards."""
    import mlflow

    mlflow.set_tracking_uri(server_url)
    yield mlflow.MlflowClient(server_url)
    while mlflow.active_run() is not None:
        mlflow.end_run()
    mlflow.set_tracking_uri(None)
