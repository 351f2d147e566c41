"""The server's ``runs/search`` answer built straight from rows equals the entity path's."""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.testclient import TestClient
from tests.server.conftest import API, Api

from runlab import wire
from runlab.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag, ViewType
from runlab.store.run_json import RunJsonSource
from runlab.store.sql.store import SqlStore


def _fill(store: SqlStore) -> str:
    eid = store.create_experiment("json-search")
    for i in range(30):
        run_id = store.create_run(eid, "u", 1000 + i, {}, f"r{i}").run_id
        metrics = [Metric("loss", 1.0 / (i + 1), 5, 2), Metric("acc", i * 0.25, 6, 0)]
        if i % 3 == 0:
            metrics += [Metric("nan", math.nan, 1, 0), Metric("inf", math.inf, 1, 0)]
            metrics += [Metric("ninf", -math.inf, 1, 1)]
        params = [Param("lr", str(0.1 * i)), Param("é-ünïcode", '値 "quoted"\n')]
        tags = [RunTag("team", "a" if i % 2 else "b"), RunTag("z", ""), RunTag("a", "x")]
        store.log_batch(run_id, metrics=metrics, params=params if i % 5 else [], tags=tags)
        if i % 4 == 0:
            ds = Dataset(f"d{i}", "abc", "local", "/data", '{"s": 1}' if i % 8 else None, None)
            other = Dataset("b-first", "def", "s3", "s3://x", None, '{"rows": 3}')
            store.log_inputs(
                run_id,
                [
                    DatasetInput(
                        ds, (InputTag("mlflow.data.context", "train"), InputTag("a", "b"))
                    ),
                    DatasetInput(other, ()),
                ],
            )
        if i % 7 == 0:
            store.delete_run(run_id)
        elif i % 6 == 1:
            store.update_run_info(run_id, "FINISHED", 5000 + i, None)
    return eid


def _both(store: SqlStore, *args: Any) -> tuple[Any, Any]:
    page = store.search_runs(*args)
    old = wire.page("runs", [wire.run_json(r) for r in page], page.token)
    return old, json.loads(store.search_runs_json(*args))


def test_fast_path_equals_the_entity_path(server: TestClient, store_uri: str) -> None:
    store: SqlStore = server.app.state.backend.tracking  # type: ignore[attr-defined]
    assert isinstance(store, RunJsonSource)
    eid = _fill(store)
    for view in (ViewType.ACTIVE_ONLY, ViewType.DELETED_ONLY, ViewType.ALL):
        for order in (None, ["metrics.loss DESC"], ["params.lr ASC", "attributes.start_time"]):
            for flt in (None, "metrics.acc > 2", "tags.team = 'a'"):
                token = None
                pages = 0
                while True:
                    old, new = _both(store, [eid], flt, view, 7, order, token)
                    # same content: keys, their order, values
                    assert new == old
                    assert json.dumps(new) == json.dumps(old)
                    pages += 1
                    token = new.get("next_page_token")
                    if not token:
                        break
                assert pages >= 1
    old, new = _both(store, [eid], None, ViewType.ALL, 1000, None, None)
    assert len(new["runs"]) == 30
    assert {m["value"] for r in new["runs"] for m in r["data"]["metrics"]} >= {
        "NaN",
        "Infinity",
        "-Infinity",
    }
    assert any(r["inputs"]["dataset_inputs"] for r in new["runs"])
    # over HTTP, the answer is the same JSON
    answer = Api(server).ok_post(
        "runs/search", {"experiment_ids": [eid], "run_view_type": "ALL", "max_results": 1000}
    )
    assert answer == new


def test_large_json_answers_are_gzipped_when_asked(server: TestClient) -> None:
    store: SqlStore = server.app.state.backend.tracking  # type: ignore[attr-defined]
    eid = _fill(store)
    body = {"experiment_ids": [eid], "run_view_type": "ALL"}
    plain = server.post(f"{API}/runs/search", json=body, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    zipped = server.post(f"{API}/runs/search", json=body, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in zipped.headers["vary"].lower()
    assert zipped.json() == plain.json()  # httpx decodes it
    assert int(zipped.headers["content-length"]) < len(plain.content) / 3
    # a small answer is sent as it is
    small = server.get(f"{API}/experiments/get", params={"experiment_id": eid})
    assert "content-encoding" not in small.headers


def test_artifact_downloads_are_not_compressed(server: TestClient) -> None:
    payload = json.dumps({"k": list(range(2000))}).encode()
    path = "/api/2.0/mlflow-artifacts/artifacts/0/r/big.json"
    assert server.put(path, content=payload).status_code == 200
    got = server.get(path, headers={"Accept-Encoding": "gzip"})
    assert got.status_code == 200
    assert "content-encoding" not in got.headers
    assert got.content == payload


def test_history_json_equals_the_entity_path(server: TestClient) -> None:
    store: SqlStore = server.app.state.backend.tracking  # type: ignore[attr-defined]
    eid = store.create_experiment("json-history")
    rid = store.create_run(eid, "u", 0, {}, "r").run_id
    values = [0.1, 1 / 3, math.nan, math.inf, -math.inf, 1e300, -2.5, 7.0]
    store.log_batch(rid, metrics=[Metric("é", v, 10 + i, i // 2) for i, v in enumerate(values)])
    for size in (None, 1, 3, 100):
        token = None
        while True:
            page = store.get_metric_history(rid, "é", size, token)
            old = wire.page("metrics", [wire.metric_json(m) for m in page], page.token)
            new = json.loads(store.get_metric_history_json(rid, "é", size, token))
            assert json.dumps(new) == json.dumps(old)
            token = new.get("next_page_token")
            if not token:
                break
    answer = Api(server).get("metrics/get-history", run_id=rid, metric_key="é")
    assert answer[0] == 200
    assert [m["value"] for m in answer[1]["metrics"]][2:5] == ["NaN", "Infinity", "-Infinity"]
