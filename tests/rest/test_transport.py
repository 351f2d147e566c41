"""Retries, credentials, error mapping and log-batch chunking, against a loopback stub."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from rest_support import Answer, Recorded, Stub, free_port
from tests._servers import self_signed_certificate

import runlab
from runlab.entities import Metric, Param, RunTag
from runlab.errors import (
    AlreadyExistsError,
    BackgroundWriteError,
    ConfigurationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    RunlabError,
    StorageError,
)
from runlab.store.rest import AuthenticationError, PermissionDeniedError, RestStore
from runlab.store.rest._http import _retry_after
from runlab.store.rest.store import MAX_REQUEST_BYTES, batch_chunks
from runlab.tracking._batching import Batcher

EXPERIMENT = {
    "experiment": {
        "experiment_id": "7",
        "name": "e",
        "artifact_location": "mlflow-artifacts:/7",
        "lifecycle_stage": "active",
        "tags": [{"key": "a", "value": "b"}],
        "creation_time": "1700000000000",  # int64 as protobuf JSON may write it
    }
}


def _after_failures(failures: list[Answer], then: Answer) -> object:
    queue = list(failures)

    def script(request: Recorded) -> Answer:
        return queue.pop(0) if queue else then

    return script


# ------------------------------------------------------------------ retries
def test_503_twice_then_success_is_retried(stub: Stub) -> None:
    stub.script = _after_failures([Answer(503), Answer(503)], Answer(200, EXPERIMENT))
    exp = RestStore(stub.url).get_experiment("7")
    assert (exp.experiment_id, exp.name, exp.tags) == ("7", "e", {"a": "b"})
    assert exp.creation_time == 1_700_000_000_000
    assert len(stub.requests) == 3
    assert all(r.path == "/api/2.0/mlflow/experiments/get?experiment_id=7" for r in stub.requests)


def test_retry_after_is_honoured(stub: Stub, monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr("runlab.store.rest._http.time.sleep", slept.append)
    stub.script = _after_failures(
        [Answer(429, headers={"Retry-After": "3"})], Answer(200, EXPERIMENT)
    )
    RestStore(stub.url).get_experiment("7")
    assert slept == [3.0]


def test_backoff_grows_exponentially_with_jitter(
    stub: Stub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNLAB_HTTP_BACKOFF_FACTOR", "1")
    monkeypatch.setenv("RUNLAB_HTTP_MAX_RETRIES", "4")
    slept: list[float] = []
    monkeypatch.setattr("runlab.store.rest._http.time.sleep", slept.append)
    stub.script = lambda request: Answer(503, {"error_code": "TEMPORARILY_UNAVAILABLE"})
    with pytest.raises(StorageError, match="5 attempts"):
        RestStore(stub.url).get_experiment("7")
    assert len(slept) == 4
    for attempt, delay in enumerate(slept):
        assert 2**attempt <= delay <= 2**attempt + 1


def test_an_answer_cut_off_is_retried_for_reads(stub: Stub) -> None:
    stub.script = _after_failures([Answer(200, EXPERIMENT, cut_off=True)], Answer(200, EXPERIMENT))
    assert RestStore(stub.url).get_experiment("7").name == "e"
    assert len(stub.requests) == 2


def test_an_answer_cut_off_is_not_retried_for_writes_that_cannot_repeat(stub: Stub) -> None:
    stub.script = lambda request: Answer(200, {"experiment_id": "9"}, cut_off=True)
    with pytest.raises(StorageError, match="experiments/create"):
        RestStore(stub.url).create_experiment("x")
    assert len(stub.requests) == 1


def test_writes_that_cannot_repeat_are_not_retried_after_a_500(stub: Stub) -> None:
    stub.script = lambda request: Answer(500, {"error_code": "INTERNAL_ERROR", "message": "boom"})
    with pytest.raises(StorageError, match="boom"):
        RestStore(stub.url).create_experiment("x")
    assert len(stub.requests) == 1


def test_writes_that_cannot_repeat_are_retried_after_a_503(stub: Stub) -> None:
    stub.script = _after_failures([Answer(503)], Answer(200, {"experiment_id": "9"}))
    assert RestStore(stub.url).create_experiment("x") == "9"
    assert len(stub.requests) == 2


def test_log_batch_is_retried_after_a_500(stub: Stub) -> None:
    stub.script = _after_failures([Answer(500)], Answer(200, {}))
    RestStore(stub.url).log_batch("r1", metrics=[Metric("m", 1.0, 5, 0)])
    assert len(stub.requests) == 2
    assert stub.requests[0].body == stub.requests[1].body


def test_client_errors_are_not_retried(stub: Stub) -> None:
    stub.script = lambda request: Answer(
        404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "No run with id r1"}
    )
    with pytest.raises(NotFoundError, match="No run with id r1"):
        RestStore(stub.url).get_run("r1")
    assert len(stub.requests) == 1


def test_unreachable_server_is_a_storage_error_naming_the_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RUNLAB_HTTP_MAX_RETRIES", "2")
    monkeypatch.setenv("RUNLAB_HTTP_BACKOFF_FACTOR", "0.01")
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StorageError, match=f"{url}/api/2.0/mlflow/runs/get.*3 attempts"):
        RestStore(url).get_run("r1")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("5", 5.0), ("0", 0.0), ("-3", 0.0), ("soon", None), (None, None)],
)
def test_retry_after_values(value: str | None, expected: float | None) -> None:
    assert _retry_after(value) == expected


def test_retry_after_http_date() -> None:
    delay = _retry_after("Wed, 21 Oct 2015 07:28:00 GMT")  # long past
    assert delay == 0.0


# ------------------------------------------------------------------ credentials
@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"RUNLAB_TRACKING_TOKEN": "tok"}, "Bearer tok"),
        ({"MLFLOW_TRACKING_TOKEN": "mtok"}, "Bearer mtok"),
        (
            {"RUNLAB_TRACKING_USERNAME": "ann", "RUNLAB_TRACKING_PASSWORD": "pw:1"},
            "Basic " + base64.b64encode(b"ann:pw:1").decode(),
        ),
        (
            {"MLFLOW_TRACKING_USERNAME": "bob", "MLFLOW_TRACKING_PASSWORD": "x"},
            "Basic " + base64.b64encode(b"bob:x").decode(),
        ),
        (
            {"RUNLAB_TRACKING_TOKEN": "mine", "MLFLOW_TRACKING_TOKEN": "theirs"},
            "Bearer mine",
        ),
        ({}, None),
    ],
)
def test_credentials_are_sent(
    stub: Stub, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str | None
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    stub.script = lambda request: Answer(200, EXPERIMENT)
    RestStore(stub.url).get_experiment("7")
    assert stub.requests[0].headers.get("authorization") == expected
    assert stub.requests[0].headers["user-agent"].startswith("runlab/")


def test_credentials_reach_artifact_uploads(stub: Stub, monkeypatch: pytest.MonkeyPatch) -> None:
    from runlab.store.artifacts.http import HttpArtifactRepository

    monkeypatch.setenv("RUNLAB_TRACKING_TOKEN", "art")
    repo = HttpArtifactRepository(f"{stub.url}/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts")
    repo.write_bytes("a/b.txt", b"data")
    [put] = stub.requests
    assert (put.method, put.path, put.body) == (
        "PUT",
        "/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/a/b.txt",
        b"data",
    )
    assert put.headers["authorization"] == "Bearer art"


def test_401_and_403_are_their_own_errors(stub: Stub) -> None:
    stub.script = lambda request: Answer(401, b"<html>login</html>")
    with pytest.raises(AuthenticationError, match="RUNLAB_TRACKING_TOKEN"):
        RestStore(stub.url).get_experiment("7")
    stub.script = lambda request: Answer(
        403, {"error_code": "PERMISSION_DENIED", "message": "read only"}
    )
    with pytest.raises(PermissionDeniedError, match="read only"):
        RestStore(stub.url).get_experiment("7")


# ------------------------------------------------------------------ TLS
@pytest.fixture
def tls_stub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Stub, Path]]:
    monkeypatch.setenv("RUNLAB_HTTP_BACKOFF_FACTOR", "0.01")
    cert, key = self_signed_certificate(tmp_path)
    server = Stub(tls=(cert, key))
    server.script = lambda request: Answer(200, EXPERIMENT)
    try:
        yield server, cert
    finally:
        server.close()


def test_untrusted_certificate_fails_at_once_with_a_hint(
    tls_stub: tuple[Stub, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    stub, _ = tls_stub
    slept: list[float] = []
    monkeypatch.setattr("runlab.store.rest._http.time.sleep", slept.append)
    with pytest.raises(StorageError, match="RUNLAB_TRACKING_INSECURE_TLS"):
        RestStore(stub.url).get_experiment("7")
    assert slept == []  # a certificate does not get better by waiting
    assert stub.requests == []


@pytest.mark.parametrize("setting", ["RUNLAB_TRACKING_SERVER_CERT_PATH", "insecure"])
def test_certificate_bundle_or_insecure_tls(
    tls_stub: tuple[Stub, Path], monkeypatch: pytest.MonkeyPatch, setting: str
) -> None:
    stub, cert = tls_stub
    if setting == "insecure":
        monkeypatch.setenv("RUNLAB_TRACKING_INSECURE_TLS", "true")
    else:
        monkeypatch.setenv(setting, str(cert))
    assert RestStore(stub.url).get_experiment("7").name == "e"
    assert len(stub.requests) == 1


# ------------------------------------------------------------------ error mapping
@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (404, "RESOURCE_DOES_NOT_EXIST", NotFoundError),
        (400, "RESOURCE_ALREADY_EXISTS", AlreadyExistsError),
        (400, "INVALID_PARAMETER_VALUE", InvalidInputError),
        (400, "INVALID_PARAMETER_VALUE", ConflictError),
        (400, "BAD_REQUEST", InvalidInputError),
        (500, "INTERNAL_ERROR", StorageError),
        (400, "SOMETHING_NEW", InvalidInputError),
        (418, "SOMETHING_NEW", StorageError),
    ],
)
def test_error_codes_map_to_runlab_errors(
    stub: Stub, status: int, code: str, expected: type[RunlabError]
) -> None:
    stub.script = lambda request: Answer(status, {"error_code": code, "message": "server says"})
    with pytest.raises(expected, match="server says"):
        RestStore(stub.url).create_run("7", "u", 1, {}, "r")


def test_an_html_404_is_not_mistaken_for_a_missing_run(stub: Stub) -> None:
    stub.script = lambda request: Answer(404, b"<html>Not Found</html>")
    with pytest.raises(RunlabError, match="path prefix") as caught:
        RestStore(stub.url).get_run("r1")
    assert not isinstance(caught.value, NotFoundError)


# ------------------------------------------------------------------ wire shapes
def test_non_finite_metrics_travel_as_protobuf_json_strings(stub: Stub) -> None:
    RestStore(stub.url).log_batch(
        "r1",
        metrics=[
            Metric("a", float("nan"), 1, 0),
            Metric("b", float("inf"), 1, 0),
            Metric("c", float("-inf"), 1, 0),
            Metric("d", 0.5, 1, 3),
        ],
    )
    body = json.loads(stub.requests[0].body)
    assert [m["value"] for m in body["metrics"]] == ["NaN", "Infinity", "-Infinity", 0.5]
    assert stub.requests[0].headers["content-type"] == "application/json"


def test_history_without_max_results_follows_every_page(stub: Stub) -> None:
    pages = {
        None: {"metrics": [{"key": "m", "value": "NaN", "step": "1"}], "next_page_token": "t1"},
        "t1": {"metrics": [{"key": "m", "value": 2, "timestamp": 5}]},
    }

    def script(request: Recorded) -> Answer:
        token = request.path.split("page_token=")[1] if "page_token=" in request.path else None
        return Answer(200, pages[token])

    stub.script = script
    history = RestStore(stub.url).get_metric_history("r1", "m")
    assert [(m.step, m.timestamp) for m in history] == [(0, 5), (1, 0)]  # step order
    assert history.token is None


def test_create_run_with_an_id_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="chooses the ids"):
        RestStore("http://127.0.0.1:9").create_run("0", "u", 1, {}, "r", run_id="abc")


@pytest.mark.parametrize("uri", ["http://", "http://host/x?y=1", "ftp://host"])
def test_bad_tracking_urls_are_refused(uri: str) -> None:
    with pytest.raises(InvalidInputError, match="tracking URI"):
        RestStore(uri)


def test_bad_timeout_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNLAB_HTTP_TIMEOUT", "soon")
    with pytest.raises(ConfigurationError, match="RUNLAB_HTTP_TIMEOUT"):
        RestStore("http://127.0.0.1:9")


# ------------------------------------------------------------------ log-batch chunks
def test_batch_chunks_stay_within_mlflow_limits() -> None:
    metrics = [Metric(f"m{i % 7}", float(i), i, i) for i in range(2500)]
    params = [Param(f"p{i}", "v" * 5000) for i in range(150)]
    tags = [RunTag(f"t{i}", "w" * 7000) for i in range(120)]
    chunks = list(batch_chunks("run1", metrics, params, tags))
    for body in chunks:
        assert len(body["metrics"]) <= 1000
        assert len(body["params"]) <= 100
        assert len(body["tags"]) <= 100
        assert len(body["metrics"]) + len(body["params"]) + len(body["tags"]) <= 1000
        assert len(json.dumps(body).encode()) <= MAX_REQUEST_BYTES
        assert body["run_id"] == "run1"
    sent_params = [p["key"] for b in chunks for p in b["params"]]
    sent_tags = [t["key"] for b in chunks for t in b["tags"]]
    sent_metrics = [m["value"] for b in chunks for m in b["metrics"]]
    assert sent_params == [p.key for p in params]
    assert sent_tags == [t.key for t in tags]
    assert sent_metrics == [m.value for m in metrics]
    first_metric_chunk = next(i for i, b in enumerate(chunks) if b["metrics"])
    assert all(not b["params"] and not b["tags"] for b in chunks[first_metric_chunk + 1 :])


def test_small_batches_take_one_request() -> None:
    chunks = list(
        batch_chunks("r", [Metric("m", 1.0, 1, i) for i in range(990)], [Param("p", "1")], [])
    )
    assert len(chunks) == 1
    assert list(batch_chunks("r", [], [], [])) == []


# ------------------------------------------------------------------ the batcher over HTTP
def test_points_of_a_failed_background_write_are_kept_and_sent_later(
    stub: Stub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNLAB_HTTP_MAX_RETRIES", "0")
    monkeypatch.setenv("RUNLAB_JOURNAL", "false")  # the in-memory path (journal: test_journal)
    state = {"down": True}
    stored: list[int] = []

    def script(request: Recorded) -> Answer:
        if request.path.endswith("/runs/log-batch"):
            if state["down"]:
                return Answer(503)
            stored.extend(m["step"] for m in json.loads(request.body)["metrics"])
        return Answer(200, {})

    stub.script = script
    runlab.set_tracking_uri(stub.url)
    for step in range(30):
        runlab.log_metric("m", float(step), step=step, run_id="r1")
    with pytest.raises(BackgroundWriteError, match="kept for the next flush"):
        runlab.flush()
    state["down"] = False
    runlab.flush()
    sent = stored
    assert sent == list(range(30))


def test_one_request_per_run_per_flush(stub: Stub) -> None:
    batcher = Batcher(RestStore(stub.url), interval=3600)  # no background drain meanwhile
    for step in range(600):
        batcher.add_metric("a", Metric("m", float(step), 1, step))
        batcher.add_metric("b", Metric("m", float(step), 1, step))
    batcher.add_params_tags("a", params=[Param("p", "1")], tags=[RunTag("t", "x")])
    batcher.flush()
    batches = [json.loads(r.body) for r in stub.requests]
    assert sorted(b["run_id"] for b in batches) == ["a", "b"]
    for step in range(2500):
        batcher.add_metric("a", Metric("m", float(step), 1, step))
    batcher.flush()
    assert len(stub.requests) == 2 + 3  # 2,500 points: the fewest requests MLflow allows
    batcher.close()


def test_a_split_batch_failing_part_way_is_resent_without_what_was_stored(
    stub: Stub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNLAB_HTTP_MAX_RETRIES", "0")
    monkeypatch.setenv("RUNLAB_JOURNAL", "false")  # the in-memory path (journal: test_journal)
    stored: list[tuple[str, object]] = []

    def script(request: Recorded) -> Answer:
        body = json.loads(request.body)
        if len(stub.requests) == 3:  # the third request of the first flush fails
            return Answer(503)
        stored.extend(("param", p["key"]) for p in body["params"])
        stored.extend(("metric", m["step"]) for m in body["metrics"])
        return Answer(200, {})

    stub.script = script
    batcher = Batcher(RestStore(stub.url), interval=3600)
    batcher.add_params_tags("a", params=[Param(f"p{i}", "1") for i in range(150)])
    for step in range(2000):
        batcher.add_metric("a", Metric("m", float(step), 1, step))
    with pytest.raises(BackgroundWriteError, match="150 params, 0 tags and 950 metric points"):
        batcher.flush()
    batcher.flush()
    assert sorted(k for kind, k in stored if kind == "param") == sorted(f"p{i}" for i in range(150))
    assert [k for kind, k in stored if kind == "metric"] == list(range(2000))
    batcher.close()


def test_a_refused_background_write_is_raised_at_the_next_call(stub: Stub) -> None:
    stub.script = lambda request: Answer(
        400, {"error_code": "INVALID_PARAMETER_VALUE", "message": "run r1 is deleted"}
    )
    runlab.set_tracking_uri(stub.url)
    runlab.log_metric("m", 1.0, run_id="r1")
    with pytest.raises(BackgroundWriteError, match="run r1 is deleted"):
        runlab.flush()
    runlab.flush()  # raised once; nothing is left queued
