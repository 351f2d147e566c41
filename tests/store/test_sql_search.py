"""Search filters and ordering compiled to SQL, run against real databases."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, event, insert, select
from sqlalchemy.pool import StaticPool

from runlab.store.filter import (
    parse_experiment_filter,
    parse_experiment_order_by,
    parse_order_by,
    parse_run_filter,
)
from runlab.store.sql import _raw, schema
from runlab.store.sql.run_search import run_filter_sql, run_order_sql
from runlab.store.sql.search import experiment_filter_clause, experiment_order_clauses


def _case_sensitive_like(dbapi_conn: Any, _record: Any) -> None:
    # What the SQLite store does on every connection: LIKE means LIKE.
    dbapi_conn.execute("PRAGMA case_sensitive_like=ON")


@contextmanager
def _postgres_database(server_url: str) -> Iterator[str]:
    """One database for the whole module (conftest's ``postgres_url`` makes one per test,
    too slow for these tables); tests roll back whatever they write."""
    name = f"test_search_{uuid.uuid4().hex[:16]}"
    admin = create_engine(f"{server_url}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield f"{server_url}/{name}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ],
)
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A database holding the rows below, shared by the module's tests."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            # One connection for the whole module: an in-memory database lives in it.
            engine = create_engine("sqlite://", poolclass=StaticPool)
            event.listen(engine, "connect", _case_sensitive_like)
        else:
            server = request.getfixturevalue("postgres_server")
            engine = create_engine(stack.enter_context(_postgres_database(server)))
        stack.callback(engine.dispose)
        schema.metadata.create_all(engine)
        with engine.begin() as conn:
            _populate(conn)
        yield engine


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    """A connection whose changes are rolled back, so tests may add rows of their own."""
    with engine.connect() as connection, connection.begin() as transaction:
        yield connection
        transaction.rollback()


# ----------------------------------------------------------------------------- data

NAN = math.nan
INF = math.inf

EXPERIMENTS = [
    # id, name, lifecycle_stage, creation_time, last_update_time, tags
    (1, "vision-a", "active", 10, 50, {"owner": "ann"}),
    (2, "vision-b", "deleted", 20, 20, {"owner": "bob"}),
    (10, "audio", "active", 30, 30, {}),
]

RUNS = [
    # run_uuid, name, user_id, status, start_time, end_time
    ("r1", "alpha", "ann", "FINISHED", 100, 200),
    ("r2", "beta", "bob", "RUNNING", 300, None),
    ("r3", "Gamma", "ann", "FAILED", None, None),
    ("r4", "50%_off", "cy", "FINISHED", 200, 400),
]
LATEST_METRICS = {
    "r1": {"loss": 0.5, "acc": 0.9},
    "r2": {"loss": NAN, "acc": INF},
    "r3": {"loss": INF},
    "r4": {"loss": 2.0, "acc": -INF},
}
PARAMS = {
    "r1": {"lr": "0.1", "opt": "Adam"},
    "r2": {"lr": "0.01", "opt": "adam"},
    "r3": {"lr": "1"},
    "r4": {"a b": "x"},
}
TAGS = {
    "r1": {"team": "Vision", "mlflow.runName": "alpha", "rank": "b"},
    "r2": {"team": "vision", "rank": "a"},
    "r4": {"team": "audio", "rank": "c"},
}
DATASETS = [("d1", "mnist", "digest1"), ("d2", "cifar", "digest2")]
RUN_INPUTS = [("r1", "d1", "training"), ("r2", "d2", "eval"), ("r4", "d1", None)]


def _run_row(
    run_id: str, name: str, user: str, status: str, start: int | None, end: int | None
) -> dict[str, Any]:
    return {
        "run_uuid": run_id,
        "name": name,
        "experiment_id": 1,
        "user_id": user,
        "status": status,
        "start_time": start,
        "end_time": end,
        "lifecycle_stage": "active",
        "artifact_uri": f"/artifacts/1/{run_id}",
    }


def _populate(conn: Connection) -> None:
    conn.execute(
        insert(schema.experiments),
        [
            {
                "experiment_id": eid,
                "name": name,
                "artifact_location": f"/artifacts/{eid}",
                "lifecycle_stage": stage,
                "creation_time": created,
                "last_update_time": updated,
            }
            for eid, name, stage, created, updated, _ in EXPERIMENTS
        ],
    )
    conn.execute(
        insert(schema.experiment_tags),
        [
            {"experiment_id": eid, "key": key, "value": value}
            for eid, *_, tags in EXPERIMENTS
            for key, value in tags.items()
        ],
    )
    conn.execute(insert(schema.runs), [_run_row(*run) for run in RUNS])
    conn.execute(
        insert(schema.latest_metrics),
        [
            {
                "run_uuid": run_id,
                "key": key,
                "value": 0.0 if math.isnan(value) else value,  # the store's NaN encoding
                "is_nan": math.isnan(value),
                "timestamp": 0,
                "step": 0,
            }
            for run_id, values in LATEST_METRICS.items()
            for key, value in values.items()
        ],
    )
    for table, rows in ((schema.params, PARAMS), (schema.tags, TAGS)):
        conn.execute(
            insert(table),
            [
                {"run_uuid": run_id, "key": key, "value": value}
                for run_id, values in rows.items()
                for key, value in values.items()
            ],
        )
    conn.execute(
        insert(schema.datasets),
        [
            {
                "dataset_uuid": uuid,
                "experiment_id": 1,
                "name": name,
                "digest": digest,
                "source_type": "local",
                "source": "{}",
            }
            for uuid, name, digest in DATASETS
        ],
    )
    conn.execute(
        insert(schema.run_inputs),
        [{"run_uuid": run_id, "dataset_uuid": uuid} for run_id, uuid, _ in RUN_INPUTS],
    )
    conn.execute(
        insert(schema.input_tags),
        [
            {
                "run_uuid": run_id,
                "dataset_uuid": uuid,
                "key": "mlflow.data.context",
                "value": context,
            }
            for run_id, uuid, context in RUN_INPUTS
            if context is not None
        ],
    )


def search_runs(
    conn: Connection, filter_text: str | None = None, order_by: list[str] | None = None
) -> list[str]:
    condition = run_filter_sql(parse_run_filter(filter_text))
    where, params = condition if condition is not None else ("1 = 1", [])
    order, order_params = run_order_sql(parse_order_by(order_by))
    sql = f"SELECT runs.run_uuid FROM runs WHERE {where} ORDER BY {order}"
    return [row[0] for row in _raw.fetch(conn, sql, [*params, *order_params])]


def search_experiments(
    conn: Connection, filter_text: str | None = None, order_by: list[str] | None = None
) -> list[int]:
    query = select(schema.experiments.c.experiment_id)
    clause = experiment_filter_clause(parse_experiment_filter(filter_text))
    if clause is not None:
        query = query.where(clause)
    query = query.order_by(*experiment_order_clauses(parse_experiment_order_by(order_by)))
    return list(conn.execute(query).scalars())


# ----------------------------------------------------------------------------- run filters

ALL = {"r1", "r2", "r3", "r4"}

RUN_FILTERS: list[tuple[str, set[str]]] = [
    # metrics: NaN equals only NaN and never orders; ±inf compare as numbers
    ("metrics.loss < 1", {"r1"}),
    ("metrics.loss > 1", {"r3", "r4"}),
    ("metrics.loss >= 0.5", {"r1", "r3", "r4"}),
    ("metrics.loss = 0.5", {"r1"}),
    ("metrics.loss != 0.5", {"r2", "r3", "r4"}),
    ("metrics.loss = NaN", {"r2"}),
    ("metrics.loss != NaN", {"r1", "r3", "r4"}),
    ("metrics.loss > NaN", set()),
    ("metrics.loss <= NaN", set()),
    ("metrics.loss = 0", set()),  # the stored 0.0 of a NaN row does not leak
    ("metrics.loss = Infinity", {"r3"}),
    ("metrics.acc = -Infinity", {"r4"}),
    ("metrics.acc < -1e308", {"r4"}),
    ("metrics.acc >= Infinity", {"r2"}),
    ("metrics.acc > -Infinity", {"r1", "r2"}),
    ("metrics.loss IN (0.5, 2)", {"r1", "r4"}),
    ("metrics.loss IN (0.5, NaN)", {"r1", "r2"}),
    ("metrics.loss NOT IN (0.5)", {"r2", "r3", "r4"}),
    ("metrics.loss NOT IN (0.5, NaN)", {"r3", "r4"}),
    ("metrics.acc IS NULL", {"r3"}),
    ("metrics.acc IS NOT NULL", {"r1", "r2", "r4"}),
    ("metrics.missing < 1", set()),
    # params and tags: != and NOT IN need the key
    ("params.lr = '0.1'", {"r1"}),
    ("params.lr != '0.1'", {"r2", "r3"}),
    ("params.lr IN ('0.1', '1')", {"r1", "r3"}),
    ("params.lr NOT IN ('0.1')", {"r2", "r3"}),
    ("params.lr > '0.05'", {"r1", "r3"}),
    ("params.lr IS NULL", {"r4"}),
    ("params.`a b` = 'x'", {"r4"}),
    ("params.opt LIKE 'A%'", {"r1"}),
    ("params.opt LIKE 'a%'", {"r2"}),
    ("params.opt ILIKE 'A%'", {"r1", "r2"}),
    ("tags.team = 'vision'", {"r2"}),
    ("tags.team ILIKE 'VISION'", {"r1", "r2"}),
    ("tags.team IS NOT NULL", {"r1", "r2", "r4"}),
    ("tags.mlflow.runName = 'alpha'", {"r1"}),
    # attributes
    ("run_id = 'r2'", {"r2"}),
    ("run_uuid IN ('r1', 'r3')", {"r1", "r3"}),
    ("run_id != 'r2'", {"r1", "r3", "r4"}),
    ("run_name LIKE '%a%'", {"r1", "r2", "r3"}),
    ("run_name LIKE 'g%'", set()),
    ("run_name ILIKE 'g%'", {"r3"}),
    ("run_name LIKE '50_%'", {"r4"}),
    ("run_name LIKE '50\\%\\_%'", {"r4"}),
    ("run_name LIKE 'alph\\_'", set()),
    ("status IN ('FINISHED', 'FAILED')", {"r1", "r3", "r4"}),
    ("status NOT IN ('FINISHED')", {"r2", "r3"}),
    ("user_id = 'ann'", {"r1", "r3"}),
    ("artifact_uri LIKE '%/r4'", {"r4"}),
    ("lifecycle_stage = 'active'", ALL),
    ("start_time >= 200", {"r2", "r4"}),
    ("created < 200", {"r1"}),
    ("start_time IN (100, 300)", {"r1", "r2"}),
    ("start_time IS NULL", {"r3"}),
    ("end_time IS NULL", {"r2", "r3"}),
    ("end_time IS NOT NULL", {"r1", "r4"}),
    # datasets
    ("datasets.name = 'mnist'", {"r1", "r4"}),
    ("datasets.name ILIKE 'MN%'", {"r1", "r4"}),
    ("datasets.digest IN ('digest2')", {"r2"}),
    ("datasets.name != 'mnist'", {"r2"}),
    ("datasets.context = 'training'", {"r1"}),
    ("datasets.context NOT IN ('training')", {"r2"}),
    ("datasets.name IS NULL", {"r3"}),
    ("datasets.context IS NULL", {"r3", "r4"}),
    # AND, OR, parentheses
    ("user_id = 'ann' AND metrics.loss < 1", {"r1"}),
    ("user_id = 'ann' OR tags.team = 'audio'", {"r1", "r3", "r4"}),
    ("(metrics.loss = NaN OR metrics.loss > 1) AND params.lr != '1'", {"r2"}),
    ("metrics.loss = NaN OR metrics.loss > 1 AND params.lr = '1'", {"r2", "r3"}),
    ("(metrics.loss = NaN OR metrics.loss > 1) AND params.lr = '1'", {"r3"}),
    ("metrics.acc IS NULL OR (tags.team LIKE 'V%' AND datasets.context = 'eval')", {"r3"}),
    ("metrics.acc IS NULL OR (tags.team ILIKE 'V%' AND datasets.context = 'eval')", {"r2", "r3"}),
]


@pytest.mark.parametrize(("text", "expected"), RUN_FILTERS)
def test_run_filter(conn: Connection, text: str, expected: set[str]) -> None:
    assert set(search_runs(conn, text)) == expected


def test_no_filter_is_no_clause() -> None:
    assert run_filter_sql(None) is None
    assert experiment_filter_clause(None) is None


# ----------------------------------------------------------------------------- run order

RUN_ORDERS: list[tuple[list[str], list[str]]] = [
    ([], ["r2", "r4", "r1", "r3"]),  # start_time DESC, NULL last
    (["start_time ASC"], ["r1", "r4", "r2", "r3"]),
    (["start_time DESC"], ["r2", "r4", "r1", "r3"]),
    (["end_time"], ["r1", "r4", "r2", "r3"]),  # r2, r3: no end, then start_time DESC
    (["metrics.loss"], ["r1", "r4", "r3", "r2"]),  # NaN last
    (["metrics.loss DESC"], ["r3", "r4", "r1", "r2"]),
    (["metrics.acc"], ["r4", "r1", "r2", "r3"]),  # -inf first, missing last
    (["metrics.acc DESC"], ["r2", "r1", "r4", "r3"]),
    (["params.lr"], ["r2", "r1", "r3", "r4"]),
    (["params.lr DESC"], ["r3", "r1", "r2", "r4"]),
    (["tags.rank DESC"], ["r4", "r1", "r2", "r3"]),
    (["status"], ["r3", "r4", "r1", "r2"]),  # FINISHED ties broken by start_time DESC
    (["user_id", "run_id DESC"], ["r3", "r1", "r2", "r4"]),
]


@pytest.mark.parametrize(("order_by", "expected"), RUN_ORDERS)
def test_run_order(conn: Connection, order_by: list[str], expected: list[str]) -> None:
    assert search_runs(conn, order_by=order_by) == expected


def test_run_uuid_breaks_remaining_ties(conn: Connection) -> None:
    twins = [_run_row(run_id, "twin", "dan", "FINISHED", 200, None) for run_id in ("r9", "r0")]
    conn.execute(insert(schema.runs), twins)  # same start_time as r4
    assert search_runs(conn, "start_time = 200") == ["r0", "r4", "r9"]
    assert search_runs(conn, "start_time = 200", ["metrics.loss DESC"]) == ["r4", "r0", "r9"]


# ----------------------------------------------------------------------------- experiments

EXPERIMENT_FILTERS: list[tuple[str, set[int]]] = [
    ("name = 'audio'", {10}),
    ("name LIKE 'vision%'", {1, 2}),
    ("name LIKE 'VISION%'", set()),
    ("name ILIKE 'VISION%'", {1, 2}),
    ("name LIKE '%-_'", {1, 2}),
    ("experiment_id = 10", {10}),
    ("experiment_id = '1'", {1}),
    ("experiment_id != 1", {2, 10}),
    ("experiment_id IN (1, '10')", {1, 10}),
    ("experiment_id NOT IN ('2')", {1, 10}),
    ("creation_time > 15", {2, 10}),
    ("last_update_time <= 30", {2, 10}),
    ("lifecycle_stage = 'deleted' OR name = 'audio'", {2, 10}),
    ("tags.owner = 'ann'", {1}),
    ("tags.owner != 'ann'", {2}),
    ("tags.owner IS NULL", {10}),
    ("tags.owner ILIKE 'B%' OR (creation_time < 15 AND tags.owner IS NOT NULL)", {1, 2}),
]


@pytest.mark.parametrize(("text", "expected"), EXPERIMENT_FILTERS)
def test_experiment_filter(conn: Connection, text: str, expected: set[int]) -> None:
    assert set(search_experiments(conn, text)) == expected


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        ([], [10, 2, 1]),
        (["creation_time"], [1, 2, 10]),
        (["experiment_id"], [1, 2, 10]),  # numeric, not text order
        (["experiment_id DESC"], [10, 2, 1]),
        (["last_update_time DESC"], [1, 10, 2]),
        (["name DESC"], [2, 1, 10]),
    ],
)
def test_experiment_order(conn: Connection, order_by: list[str], expected: list[int]) -> None:
    assert search_experiments(conn, order_by=order_by) == expected
