"""MLflow's own ``search_runs`` against a live runlab server gets exactly the runs,
order and pages that runlab's entity path gives for the same database."""

from __future__ import annotations

import math
import uuid
from pathlib import Path
from typing import Any

import mlflow
from mlflow.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag

from runlab.backend import Backend
from runlab.entities import ViewType


def _value(v: float) -> Any:
    return "nan" if math.isnan(v) else v


def _shape(run: Any) -> dict[str, Any]:
    """The fields both clients' ``Run`` entities have, NaN made comparable."""
    i, d = run.info, run.data
    inputs = run.inputs.dataset_inputs if run.inputs else []
    return {
        "info": (
            i.run_id,
            i.run_name,
            str(i.experiment_id),
            i.user_id,
            i.status,
            i.start_time,
            i.end_time,
            i.artifact_uri,
            i.lifecycle_stage,
        ),  # fmt: skip
        "metrics": {k: _value(v) for k, v in d.metrics.items()},
        "params": dict(d.params),
        "tags": dict(d.tags),
        "inputs": [
            (
                x.dataset.name,
                x.dataset.digest,
                x.dataset.source_type,
                x.dataset.source,
                x.dataset.schema,
                x.dataset.profile,
                [(t.key, t.value) for t in x.tags],
            )  # fmt: skip
            for x in inputs
        ],
    }


def test_mlflow_search_runs_matches_runlab(mlflow_client: Any, server_dir: Path) -> None:
    client = mlflow_client
    eid = client.create_experiment(f"search-{uuid.uuid4().hex[:8]}")
    for i in range(14):
        run_id = client.create_run(eid, run_name=f"r{i}").info.run_id
        metrics = [Metric("loss", 1 / (i + 1), 10, 1), Metric("acc", i / 4, 11, 0)]
        if i % 3 == 0:
            metrics += [Metric("nan", math.nan, 1, 0), Metric("inf", math.inf, 1, 0)]
            metrics += [Metric("ninf", -math.inf, 1, 2)]
        client.log_batch(
            run_id,
            metrics=metrics,
            params=[Param("lr", str(i / 10)), Param("opt", "adam")] if i % 4 else [],
            tags=[RunTag("team", "ü" if i % 2 else "b")],
        )
        if i % 5 == 0:
            ds = Dataset("data", f"d{i}", "local", "/data", '{"c": 1}', None)
            client.log_inputs(run_id, [DatasetInput(ds, [InputTag("mlflow.data.context", "t")])])
        if i % 6 == 0:
            client.set_terminated(run_id)
        if i in (3, 10):
            client.delete_run(run_id)
    backend = Backend.open(str(server_dir / "server-store"))
    try:
        store = backend.tracking
        for view, mlflow_view in ((ViewType.ACTIVE_ONLY, 1), (ViewType.DELETED_ONLY, 2),
                                  (ViewType.ALL, 3)):  # fmt: skip
            for order in ([], ["metrics.loss DESC"], ["params.lr ASC"]):
                for flt in ("", "metrics.acc >= 1", "tags.team = 'ü'"):
                    token, pages = None, 0
                    while True:
                        theirs = client.search_runs(
                            [eid], flt, mlflow_view, 4, order, page_token=token
                        )
                        mine = store.search_runs([eid], flt or None, view, 4, order, token)
                        assert [_shape(r) for r in theirs] == [_shape(r) for r in mine]
                        assert (theirs.token or None) == mine.token
                        token, pages = mine.token, pages + 1
                        if not token:
                            break
                    assert pages >= 1
        frame = mlflow.search_runs([eid], run_view_type=3, order_by=["metrics.loss DESC"])
        assert len(frame) == 14
        assert frame["run_id"].tolist() == [r.info.run_id for r in store.search_runs(
            [eid], None, ViewType.ALL, 100, ["metrics.loss DESC"])]  # fmt: skip
    finally:
        backend.close()
