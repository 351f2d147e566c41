"""Model serving: a live ``runlab models serve`` process, and the scoring app in process."""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

import runlab
from _local_server import free_port
from runlab.models import ColSpec, ModelSignature, ParamSchema, ParamSpec, Schema
from runlab.models.serving import create_scoring_app
from runlab.tracking import fluent

COLUMNS = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def _serve(args: list[str], log: Path, env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    cmd = [sys.executable, "-c", "from runlab.cli import main; main()", *args]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*cmd, "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # readiness wait, not a timing assertion
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the server exited with {proc.returncode}:\n{log.read_text()}")
            try:
                if httpx.get(f"{url}/ping", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not start:\n{log.read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An iris pipeline logged to a SQLite store, with its runs:/ URI."""
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_iris(return_X_y=True, as_frame=True)
    X.columns = COLUMNS
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y)
    root = tmp_path_factory.mktemp("served")
    uri = f"sqlite:///{root / 'runlab.db'}"
    fluent._reset_for_tests()
    runlab.set_tracking_uri(uri)
    with runlab.start_run():
        info = runlab.sklearn.log_model(pipe, name="model", input_example=X.head(3))
    fluent._reset_for_tests()
    return {"X": X, "pipe": pipe, "tracking_uri": uri, "model_uri": info.model_uri, "root": root}


@pytest.fixture(scope="module")
def server(trained: dict[str, Any], subprocess_env: Any) -> Iterator[str]:
    args = [
        "--tracking-uri",
        trained["tracking_uri"],
        "models",
        "serve",
        "-m",
        trained["model_uri"],
    ]
    yield from _serve(args, trained["root"] / "server.log", subprocess_env())


def _split(frame: pd.DataFrame) -> dict[str, Any]:
    return {"columns": list(frame.columns), "data": frame.to_numpy().tolist()}


def test_ping_health_and_version(server: str) -> None:
    for path in ("/ping", "/health"):
        response = httpx.get(server + path)
        assert response.status_code == 200
    version = httpx.get(server + "/version")
    assert version.status_code == 200
    assert version.text == runlab.__version__


@pytest.mark.parametrize(
    "body",
    [
        lambda X: {"dataframe_split": _split(X)},
        lambda X: {"dataframe_records": X.to_dict(orient="records")},
        lambda X: {"instances": X.to_dict(orient="records")},
        lambda X: {"inputs": X.to_dict(orient="list")},
        lambda X: {"inputs": X.to_numpy().tolist()},  # rows in the signature's column order
    ],
    ids=["dataframe_split", "dataframe_records", "instances", "inputs-columns", "inputs-rows"],
)
def test_each_json_format_predicts_like_local_predict(
    server: str, trained: dict[str, Any], body: Any
) -> None:
    X = trained["X"].sample(20, random_state=1)
    response = httpx.post(server + "/invocations", json=body(X))
    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": trained["pipe"].predict(X).tolist()}


def test_csv_body(server: str, trained: dict[str, Any]) -> None:
    X = trained["X"].head(10)
    response = httpx.post(
        server + "/invocations",
        content=X.to_csv(index=False).encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["predictions"] == trained["pipe"].predict(X).tolist()


def test_the_saved_serving_example_is_a_valid_request(server: str, trained: dict[str, Any]) -> None:
    runlab.set_tracking_uri(trained["tracking_uri"])
    local = runlab.pyfunc.load_model(trained["model_uri"]).model_dir
    body = Path(local, "serving_input_example.json").read_bytes()
    response = httpx.post(
        server + "/invocations", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json()["predictions"] == trained["pipe"].predict(trained["X"].head(3)).tolist()


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code", "message"),
    [
        (b"{not json", "application/json", 400, "BAD_REQUEST", "not valid JSON"),
        (b'{"rows": []}', "application/json", 400, "BAD_REQUEST", "unknown key(s) ['rows']"),
        (b"[1, 2]", "application/json", 400, "BAD_REQUEST", "must be an object"),
        (
            b'{"dataframe_records": [{"sepal_length": 1, "sepal_width": 2, "petal_length": 3}]}',
            "application/json",
            400,
            "INVALID_PARAMETER_VALUE",
            "missing required column(s) ['petal_width']",
        ),
        (
            b'{"dataframe_split": {"columns": ["sepal_length", "sepal_width", "petal_length",'
            b' "petal_width"], "data": [[1, 2, "x", 4]]}}',
            "application/json",
            400,
            "INVALID_PARAMETER_VALUE",
            "column 'petal_length': expected double, got str value 'x'",
        ),
        (
            b'{"inputs": [[1, 2, 3]]}',
            "application/json",
            400,
            "INVALID_PARAMETER_VALUE",
            "the model takes 4 column(s)",
        ),
        (b"", "text/csv", 400, "BAD_REQUEST", "CSV body cannot be parsed"),
        (b"a,b\n1,2\n", "text/csv", 400, "INVALID_PARAMETER_VALUE", "missing required column"),
        (b"sepal_length=1", "text/plain", 415, "BAD_REQUEST", "content type 'text/plain'"),
    ],
)
def test_bad_requests_get_a_clear_4xx(
    server: str, content: bytes, content_type: str, status: int, code: str, message: str
) -> None:
    response = httpx.post(
        server + "/invocations", content=content, headers={"Content-Type": content_type}
    )
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error_code", "message"}
    assert body["error_code"] == code
    assert message in body["message"]


def test_unknown_routes_keep_the_error_shape(server: str) -> None:
    response = httpx.get(server + "/nope")
    assert response.status_code == 404
    assert response.json()["error_code"] == "ENDPOINT_NOT_FOUND"
    response = httpx.get(server + "/invocations")
    assert response.status_code == 405
    assert set(response.json()) == {"error_code", "message"}


def test_several_workers_serve_the_same_model(
    trained: dict[str, Any], tmp_path: Path, subprocess_env: Any
) -> None:
    runlab.set_tracking_uri(trained["tracking_uri"])
    local = runlab.pyfunc.load_model(trained["model_uri"]).model_dir
    args = ["models", "serve", "-m", local, "--workers", "2", "--log-level", "warning"]
    for url in _serve(args, tmp_path / "server.log", subprocess_env()):
        X = trained["X"].head(5)
        response = httpx.post(url + "/invocations", json={"dataframe_split": _split(X)})
        assert response.json() == {"predictions": trained["pipe"].predict(X).tolist()}


def test_serve_reports_a_missing_model(tmp_path: Path, subprocess_env: Any) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from runlab.cli import main; main()",
            "models",
            "serve",
            "-m",
            str(tmp_path / "missing"),
        ],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "does not exist" in proc.stderr
    assert "Traceback" not in proc.stderr


# ------------------------------------------------------------------ in process
class Echo(runlab.pyfunc.PythonModel):
    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        if isinstance(model_input, pd.DataFrame) and "fail" in model_input.columns:
            raise ValueError("cannot score rows marked fail")
        if isinstance(model_input, pd.DataFrame):
            out = model_input.copy()
            out["k"] = (params or {}).get("k")
            return out
        return np.asarray(model_input, dtype=float) * 2


class _InProcess:
    """Requests to the app in this process, through httpx's ASGI transport."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://model") as c:
                return await c.post(path, **kwargs)

        # A thread of its own: a test before this one in the same process may have left
        # an event loop running in the main thread (Playwright's sync API does).
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, call()).result()


def _client(tmp_path: Path, signature: ModelSignature | None) -> _InProcess:
    runlab.pyfunc.save_model(tmp_path / "m", python_model=Echo(), signature=signature)
    return _InProcess(create_scoring_app(str(tmp_path / "m")))


def test_string_columns_params_and_csv_text_stay_text(tmp_path: Path) -> None:
    sig = ModelSignature(
        Schema([ColSpec("string", "code"), ColSpec("double", "x")]),
        params=ParamSchema([ParamSpec("k", "long", 1)]),
    )
    client = _client(tmp_path, sig)
    response = client.post(
        "/invocations", content=b"code,x\n007,1.5\n", headers={"Content-Type": "text/csv"}
    )
    assert response.json() == {"predictions": [{"code": "007", "x": 1.5, "k": 1}]}
    response = client.post(
        "/invocations", json={"dataframe_records": [{"code": "a", "x": 2}], "params": {"k": 5}}
    )
    assert response.json() == {"predictions": [{"code": "a", "x": 2.0, "k": 5}]}
    response = client.post(
        "/invocations", json={"dataframe_records": [{"code": "a", "x": 2}], "params": {"k": "z"}}
    )
    assert response.status_code == 400
    assert "param 'k'" in response.json()["message"]


def test_tensor_inputs_nan_outputs_and_model_failures(tmp_path: Path) -> None:
    client = _client(tmp_path, None)
    response = client.post("/invocations", json={"instances": [[1, 2], [3, None]]})
    assert response.status_code == 200
    assert response.json() == {"predictions": [[2.0, 4.0], [6.0, None]]}
    response = client.post("/invocations", json={"dataframe_records": [{"fail": 1}]})
    assert response.status_code == 400
    assert response.json() == {
        "error_code": "BAD_REQUEST",
        "message": "the model failed on this input: ValueError: cannot score rows marked fail",
    }
    response = client.post("/invocations", json={"inputs": [1], "instances": [1]})
    assert response.status_code == 400
    assert "exactly one of" in response.json()["message"]


def test_csv_frames_round_trip_through_pandas() -> None:
    # The CSV reader keeps the header and types pandas would infer.
    from runlab.models.serving import parse_csv

    frame = parse_csv(b"a,b\n1,x\n", None)
    pd.testing.assert_frame_equal(frame, pd.read_csv(io.StringIO("a,b\n1,x\n")))
