"""A log-batch whose answer is lost after the server stored it is sent again by the REST
client; the server keeps one copy of each point, as MLflow's does."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from tests._servers import free_port

from runlab.entities import Metric
from runlab.server.app import create_app
from runlab.server.settings import ServerSettings
from runlab.store.rest._http import close_pools
from runlab.store.sql.store import SqlStore
from runlab.tracking.client import RunlabClient


class LoseFirstBatchAnswer:
    """ASGI wrapper: the first log-batch runs to the end, then its answer is replaced by a
    500, as when a proxy gives up on a slow request the server completes anyway."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.lost = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        batch = scope["type"] == "http" and scope["path"].endswith("/runs/log-batch")
        if not batch or self.lost:
            await self.app(scope, receive, send)
            return
        self.lost += 1

        async def discard(message: Any) -> None:
            pass

        await self.app(scope, receive, discard)
        await send(
            {
                "type": "http.response.start",
                "status": 500,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        body = b'{"error_code": "INTERNAL_ERROR", "message": "the answer was lost"}'
        await send({"type": "http.response.body", "body": body})


@pytest.fixture
def flaky_server(store_uri: str, tmp_path: Path) -> Iterator[tuple[str, SqlStore, Any]]:
    settings = ServerSettings(
        backend_store_uri=store_uri, artifacts_destination=str(tmp_path / "proxied")
    )
    store = SqlStore(store_uri, settings.store_artifact_root() or tmp_path.as_uri())
    app = LoseFirstBatchAnswer(create_app(store, settings))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", store, app
    finally:
        close_pools()  # the client's keep-alive connections to this server
        server.should_exit = True
        thread.join(timeout=30)
        store.close()


def test_a_retried_batch_is_stored_once(
    flaky_server: tuple[str, SqlStore, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, store, app = flaky_server
    monkeypatch.setenv("RUNLAB_HTTP_BACKOFF_FACTOR", "0.01")
    client = RunlabClient(url)
    run_id = client.create_run("0").info.run_id
    points = [Metric("loss", 1.0 / (s + 1), 1000 + s, s) for s in range(20)]
    points.append(Metric("loss", math.nan, 2000, 20))
    client.log_batch(run_id, metrics=points)
    assert app.lost == 1  # the first answer was lost and the batch sent again
    history = store.get_metric_history(run_id, "loss")
    assert len(history) == 21
    assert [(m.value, m.timestamp, m.step) for m in history[:20]] == [
        (1.0 / (s + 1), 1000 + s, s) for s in range(20)
    ]
    assert math.isnan(history[20].value)
