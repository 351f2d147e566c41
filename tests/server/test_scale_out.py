"""A team deployment scaled out: several server processes on one database (PostgreSQL or
MariaDB) and one S3 bucket, written to at once by runlab's and MLflow's clients.

Every process must see every run, metric point and artifact that any of them stored,
each exactly once. The servers start at the same moment on an empty database, so they
also race to create its schema.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests._servers import start_runlab_servers

import _s3
import runlab
from runlab.entities import Metric, Param, RunTag
from runlab.errors import AlreadyExistsError

pytestmark = [pytest.mark.slow, pytest.mark.s3]

EXPERIMENT = "scale-out"
PREFIX = "team"
CLIENTS = 16  # threads; even ones use runlab's client, odd ones MLflow's
SINGLE_STEPS = 10  # log_metric calls per run
BATCHES = 3  # log_batch calls per run
POINTS = 100  # metric points per log_batch
PARAMS = 5
BLOB_BYTES = 1024 * 1024 + 7  # one binary artifact per run, just over 1 MiB


@dataclass(frozen=True)
class Expected:
    """What client ``n`` logs, computed the same way by the writer and the checker."""

    n: int

    @property
    def run_name(self) -> str:
        return f"client-{self.n:02d}"

    @property
    def params(self) -> dict[str, str]:
        return {f"p{i}": f"{self.n}-{i}" for i in range(PARAMS)}

    @property
    def kind(self) -> str:
        return "runlab" if self.n % 2 == 0 else "mlflow"

    @property
    def tags(self) -> dict[str, str]:
        return {"client": str(self.n), "kind": self.kind}

    def single(self) -> list[tuple[int, float, int]]:
        """(step, value, timestamp) of the log_metric calls of metric ``single``."""
        return [(s, self.n + s / 8, 1_700_000_000_000 + s) for s in range(SINGLE_STEPS)]

    def batches(self) -> list[list[tuple[int, float, int]]]:
        """(step, value, timestamp) of each log_batch call of metric ``loss``."""
        return [
            [
                (b * POINTS + s, self.n * 1000 + (b * POINTS + s) / 7, 1_700_000_000_000 + s)
                for s in range(POINTS)
            ]
            for b in range(BATCHES)
        ]

    @property
    def files(self) -> dict[str, bytes]:
        return {
            "notes.txt": f"written by client {self.n}\n".encode(),
            "blob.bin": random.Random(self.n).randbytes(BLOB_BYTES),
        }


def _write_files(expected: Expected, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in expected.files.items():
        (folder / name).write_bytes(data)
        paths.append(folder / name)
    return paths


@dataclass(frozen=True)
class ClientKind:
    """What the writes need from one kind of client: runlab's or MLflow's."""

    client: Callable[[str], Any]
    metric: Callable[..., Any]
    param: Callable[[str, str], Any]
    tag: Callable[[str, str], Any]
    exists: type[Exception]  # raised when the experiment was created meanwhile
    artifact: Callable[[Path], Any]  # a local file as the client's log_artifact takes it


def _client_kind(name: str) -> ClientKind:
    if name == "runlab":
        return ClientKind(
            runlab.RunlabClient, Metric, Param, RunTag, AlreadyExistsError, lambda path: path
        )
    import mlflow
    from mlflow.entities import Metric as MlflowMetric
    from mlflow.entities import Param as MlflowParam
    from mlflow.entities import RunTag as MlflowTag
    from mlflow.exceptions import MlflowException

    return ClientKind(
        mlflow.MlflowClient, MlflowMetric, MlflowParam, MlflowTag, MlflowException, str
    )


def _writer(url: str, expected: Expected, folder: Path) -> str:
    """Client ``expected.n`` logs its run with the client of its kind."""
    kind = _client_kind(expected.kind)
    client = kind.client(url)
    try:  # every client races to create the shared experiment; one wins, all use it
        experiment_id = client.create_experiment(EXPERIMENT)
    except kind.exists:
        experiment_id = client.get_experiment_by_name(EXPERIMENT).experiment_id
    run_id = client.create_run(experiment_id, run_name=expected.run_name).info.run_id
    client.log_batch(
        run_id,
        params=[kind.param(k, v) for k, v in expected.params.items()],
        tags=[kind.tag(k, v) for k, v in expected.tags.items()],
    )
    for step, value, timestamp in expected.single():
        client.log_metric(run_id, "single", value, timestamp=timestamp, step=step)
    for batch in expected.batches():
        client.log_batch(run_id, metrics=[kind.metric("loss", v, ts, s) for s, v, ts in batch])
    for path in _write_files(expected, folder):
        client.log_artifact(run_id, kind.artifact(path))
    client.set_terminated(run_id)
    return str(run_id)


def _write_everything(urls: list[str], tmp_path: Path) -> dict[str, Expected]:
    """All clients at once, spread over the servers; returns {run_id: what it logged}."""
    import mlflow  # imported once here, not by many threads at the same time

    del mlflow

    def one(n: int) -> tuple[str, Expected]:
        expected = Expected(n)
        url = urls[(n // 2) % len(urls)]  # both kinds of client on every server
        return _writer(url, expected, tmp_path / "files" / str(n)), expected

    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(one, range(CLIENTS)))
    return dict(results)


def _check_with_runlab(url: str, written: dict[str, Expected], downloads: Path) -> str:
    client = runlab.RunlabClient(url)
    experiments = client.search_experiments(filter_string=f"name = '{EXPERIMENT}'")
    assert len(experiments) == 1, url
    experiment_id = experiments[0].experiment_id
    runs = client.search_runs([experiment_id], max_results=1000)
    assert sorted(r.info.run_id for r in runs) == sorted(written), url
    for run in runs:
        expected = written[run.info.run_id]
        assert run.info.run_name == expected.run_name
        assert run.info.status == "FINISHED"
        assert run.data.params == expected.params
        assert {k: run.data.tags[k] for k in expected.tags} == expected.tags
        assert run.data.metrics == {
            "single": expected.single()[-1][1],
            "loss": expected.batches()[-1][-1][1],
        }
        single = client.get_metric_history(run.info.run_id, "single")
        assert [(m.step, m.value, m.timestamp) for m in single] == expected.single()
        loss = client.get_metric_history(run.info.run_id, "loss")
        flat = [point for batch in expected.batches() for point in batch]
        assert sorted((m.step, m.value, m.timestamp) for m in loss) == flat
        listed = {f.path: f.file_size for f in client.list_artifacts(run.info.run_id)}
        assert listed == {name: len(data) for name, data in expected.files.items()}
        target = downloads / run.info.run_id
        target.mkdir(parents=True)
        local = Path(client.download_artifacts(run.info.run_id, "", str(target)))
        for name, data in expected.files.items():
            assert (local / name).read_bytes() == data, (url, run.info.run_id, name)
    return experiment_id


def _check_with_mlflow(url: str, experiment_id: str, written: dict[str, Expected]) -> None:
    import mlflow

    client = mlflow.MlflowClient(url)
    runs = client.search_runs([experiment_id], max_results=1000)
    assert sorted(r.info.run_id for r in runs) == sorted(written), url
    for run in runs:
        expected = written[run.info.run_id]
        assert run.data.params == expected.params
        loss = client.get_metric_history(run.info.run_id, "loss")
        assert len(loss) == BATCHES * POINTS
        assert {f.path for f in client.list_artifacts(run.info.run_id)} == set(expected.files)


@pytest.fixture(
    params=[
        pytest.param("postgres_url", id="postgres", marks=pytest.mark.postgres),
        pytest.param("mysql_url", id="mysql", marks=pytest.mark.mysql),
    ]
)
def team_database(request: pytest.FixtureRequest) -> str:
    """The URL of an empty database the servers share."""
    return str(request.getfixturevalue(request.param))


@pytest.fixture(params=["two-processes", "two-workers"])
def team_urls(
    request: pytest.FixtureRequest, tmp_path: Path, team_database: str, s3_bucket: str
) -> Iterator[list[str]]:
    """Base URLs clients spread over: two server processes started at the same moment on
    an empty database, or one server with two worker processes (listed twice)."""
    args = [
        "--backend-store-uri",
        team_database,
        "--artifacts-destination",
        f"s3://{s3_bucket}/{PREFIX}",
    ]
    if request.param == "two-processes":
        with start_runlab_servers(tmp_path, 2, *args) as servers:
            yield [url for url, _ in servers]
    else:
        with start_runlab_servers(tmp_path, 1, *args, "--workers", "2") as servers:
            yield [servers[0][0]] * 2


def test_servers_share_one_database_and_bucket(
    team_urls: list[str], tmp_path: Path, team_database: str, s3_admin: Any, s3_bucket: str
) -> None:
    written = _write_everything(team_urls, tmp_path)
    assert len(written) == CLIENTS

    experiment_ids = {
        _check_with_runlab(url, written, tmp_path / f"downloads-{i}")
        for i, url in enumerate(team_urls)
    }
    assert len(experiment_ids) == 1
    (experiment_id,) = experiment_ids
    for url in team_urls:
        _check_with_mlflow(url, experiment_id, written)

    # The storage itself: each file once, under its run, and nothing else in the bucket.
    objects = _s3.all_objects(s3_admin, s3_bucket)
    expected_objects = {
        f"{PREFIX}/{experiment_id}/{run_id}/artifacts/{name}": data
        for run_id, expected in written.items()
        for name, data in expected.files.items()
    }
    assert sorted(objects) == sorted(expected_objects)
    assert objects == expected_objects
    assert _metric_rows(team_database) == CLIENTS * (SINGLE_STEPS + BATCHES * POINTS)


def _metric_rows(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM metrics")).scalar_one())
    finally:
        engine.dispose()
