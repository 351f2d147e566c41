"""The client's synchronous and queued writes land in the order they were made, and the
fluent API reaches the store only through the client's public methods."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import runlab.tracking.fluent
from runlab.tracking.client import RunlabClient


@pytest.fixture
def client(tmp_path: Path) -> RunlabClient:
    return RunlabClient(f"sqlite:///{tmp_path / 'order.db'}")


def _run(client: RunlabClient) -> str:
    return client.create_run("0").info.run_id


def test_a_synchronous_tag_lands_after_the_queued_one(client: RunlabClient) -> None:
    run_id = _run(client)
    client.set_tag(run_id, "stage", "queued", synchronous=False)
    client.set_tag(run_id, "stage", "final")
    assert client.get_run(run_id).data.tags["stage"] == "final"


def test_log_metrics_and_params_queue_until_flush(client: RunlabClient) -> None:
    run_id = _run(client)
    client.log_metrics(run_id, {"a": 1.0, "b": 2.0}, step=3, synchronous=False)
    client.log_params(run_id, {"lr": 0.1}, synchronous=False)
    store_run = client.store.get_run(run_id)  # the store itself: nothing written yet
    assert store_run.data.metrics == {}
    assert store_run.data.params == {}
    client.flush(run_id)
    stored = client.store.get_run(run_id).data
    assert stored.metrics == {"a": 1.0, "b": 2.0}
    assert stored.params == {"lr": "0.1"}
    assert [m.step for m in client.get_metric_history(run_id, "a")] == [3]


def test_synchronous_log_metrics_writes_before_returning(client: RunlabClient) -> None:
    run_id = _run(client)
    client.log_metrics(run_id, {"loss": 0.5}, step=1, timestamp=1234)
    (point,) = client.store.get_metric_history(run_id, "loss")
    assert (point.value, point.step, point.timestamp) == (0.5, 1, 1234)


def test_fluent_uses_only_the_clients_public_methods() -> None:
    tree = ast.parse(Path(runlab.tracking.fluent.__file__).read_text(encoding="utf-8"))
    reached = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        owner = node.value
        is_client = (isinstance(owner, ast.Name) and owner.id in ("client", "c")) or (
            isinstance(owner, ast.Call)
            and isinstance(owner.func, ast.Name)
            and owner.func.id == "_client"
        )
        if is_client and (node.attr.startswith("_") or node.attr in ("store", "batcher")):
            reached.append(f"line {node.lineno}: client.{node.attr}")
    assert reached == []
