"""RunlabClient.log_batch checks every metric: canonical points pass as they are, the rest
are converted or refused with a message naming the field."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from runlab.entities import Metric
from runlab.errors import InvalidInputError
from runlab.tracking.client import RunlabClient


@pytest.fixture
def client(tmp_path: Path) -> RunlabClient:
    return RunlabClient(f"sqlite:///{tmp_path / 'runs.db'}")


def test_canonical_and_convertible_points(client: RunlabClient) -> None:
    rid = client.create_run("0").info.run_id
    client.log_batch(
        rid,
        metrics=[
            Metric("a", 1.5, 10, 0),
            Metric("a", np.float32(2.5), 11, np.int64(1)),  # type: ignore[arg-type]
            Metric("b", 3, 12.0, 2),  # type: ignore[arg-type]
        ],
    )
    history = client.get_metric_history(rid, "a")
    assert [(m.value, m.step) for m in history] == [(1.5, 0), (2.5, 1)]
    assert all(type(m.step) is int for m in history)
    assert client.get_run(rid).data.metrics["b"] == 3.0


@pytest.mark.parametrize(
    ("metric", "message"),
    [
        (Metric("bad key!", 1.0, 1, 0), "bad key"),
        (Metric("ok", "x", 1, 0), "must be a number"),  # type: ignore[arg-type]
        (Metric("ok", 1.0, 1, 2**63), "int64"),
        (Metric("ok", 1.0, -(2**63) - 1, 0), "int64"),
        (Metric("ok", True, 1, 0), "must be a number"),  # type: ignore[arg-type]
    ],
)
def test_bad_points_are_refused(client: RunlabClient, metric: Metric, message: str) -> None:
    rid = client.create_run("0").info.run_id
    client.log_batch(rid, metrics=[Metric("ok", 1.0, 1, 0)])  # "ok" is a known key now
    with pytest.raises(InvalidInputError, match=message):
        client.log_batch(rid, metrics=[metric])
