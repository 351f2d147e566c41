"""Turn run rows into Run entities with a handful of set-based queries (no N+1).

A search hydrates up to 1,000 runs with some 20,000 param, tag and metric rows, so the
child rows are read as plain tuples through :mod:`._raw` (one query per table and chunk
of run ids) and folded straight into dicts: SQLAlchemy's per-row objects would cost more
than the queries themselves.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection

from runlab.entities import (
    Dataset,
    DatasetInput,
    InputTag,
    Metric,
    Run,
    RunData,
    RunInfo,
    RunInputs,
)
from runlab.entities_logged_models import LoggedModelInput, LoggedModelOutput, RunOutputs
from runlab.errors import NotFoundError
from runlab.store.run_table import RunTable
from runlab.store.sql import _raw
from runlab.store.sql.schema import runs

_CHUNK = 10_000  # ids per IN list: SQLite (3.32+) takes 32,766 parameters, PostgreSQL 65,535

# The columns, in order, of every run row handed to run_info() and load_runs().
RUN_COLUMNS = (
    runs.c.run_uuid,
    runs.c.experiment_id,
    runs.c.name,
    runs.c.user_id,
    runs.c.status,
    runs.c.start_time,
    runs.c.end_time,
    runs.c.artifact_uri,
    runs.c.lifecycle_stage,
)
RUN_SELECT = ", ".join(f"runs.{column.name}" for column in RUN_COLUMNS)
_RUN_INFO_SQL = (
    "SELECT run_uuid, experiment_id, name, user_id, status, start_time, end_time, "
    "artifact_uri, lifecycle_stage FROM runs WHERE run_uuid = ?"
)


def run_info(row: Sequence[Any]) -> RunInfo:
    """A RunInfo from a row of RUN_COLUMNS (a tuple or a SQLAlchemy Row)."""
    uuid, eid, name, user, status, start, end, uri, stage = row
    return RunInfo(uuid, str(eid), name, user, status, start, end, uri, stage)


def run_info_by_id(conn: Connection, run_id: str) -> RunInfo:
    """One run's info, through plain SQL (it is read back after every run update)."""
    found = _raw.fetch(conn, _RUN_INFO_SQL, (run_id,))
    if not found:
        raise NotFoundError(f"run {run_id!r} not found")
    return run_info(found[0])


def _chunks(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


# ``SELECT … FROM <table> WHERE run_uuid IN``, the shape most child reads take.
_ONE_TABLE = re.compile(r"(SELECT .+) FROM (\w+) WHERE run_uuid IN", re.DOTALL)


def _in_chunk(
    conn: Connection, sql: str, chunk: Sequence[str], tail: str = ""
) -> list[tuple[Any, ...]]:
    """``sql`` ends with ``run_uuid IN``: complete it with the chunk's placeholders.

    On PostgreSQL a single-table read joins the ids as an array instead: with a long IN
    list the planner prices a thousand index probes above a (parallel) scan of the whole
    table, which at 100,000 runs takes tens of milliseconds; joined, the ids are probed
    in the primary key one by one, so the cost follows the page, not the table."""
    found = _ONE_TABLE.fullmatch(sql) if conn.dialect.name == "postgresql" else None
    if found is not None:
        select, table = found.groups()
        joined = (
            f"{select} FROM unnest(CAST(? AS text[])) AS page(run_uuid) "
            f"JOIN {table} USING (run_uuid){tail}"
        )
        return _raw.fetch(conn, joined, [list(chunk)])
    return _raw.fetch(conn, f"{sql} ({_raw.placeholders(len(chunk))}){tail}", chunk)


# Params and tags leave the database as one JSON object per run (or per key) rather than
# one row per value: the database builds the objects in C, and json.loads turns each into
# a dict in C, where rows would cost a tuple and three strings apiece in Python.
_JSON_OBJECT_AGG = {"sqlite": "json_group_object", "postgresql": "json_object_agg"}


@cache
def _sqlite_has_json() -> bool:
    """SQLite has JSON built in since 3.38; builds before that may leave it out."""
    import sqlite3

    try:
        sqlite3.connect(":memory:").execute("SELECT json_group_object('k', 'v')").close()
    except sqlite3.OperationalError:
        return False
    return True


def _json_agg(conn: Connection) -> str | None:
    name = conn.dialect.name
    if name == "sqlite" and not _sqlite_has_json():
        return None
    return _JSON_OBJECT_AGG.get(name)


def _as_dict(obj: Any) -> dict[str, str]:
    # psycopg hands JSON over parsed already; SQLite as text.
    return obj if isinstance(obj, dict) else json.loads(obj)


def _grouped(
    conn: Connection, table: str, chunk: Sequence[str], by: str
) -> Iterator[tuple[str, dict[str, str]]]:
    """Key-value rows of ``table`` for the runs of ``chunk``, grouped ``by`` run
    (``run_uuid`` → ``{key: value}``) or by key (``key`` → ``{run_uuid: value}``)."""
    other = "key" if by == "run_uuid" else "run_uuid"
    agg = _json_agg(conn)
    if agg is not None:
        sql = f"SELECT {by}, {agg}({other}, value) FROM {table} WHERE run_uuid IN"
        for group, obj in _in_chunk(conn, sql, chunk, f" GROUP BY {by}"):
            yield group, _as_dict(obj)
        return
    groups: dict[str, dict[str, str]] = {}
    for group, name, value in _in_chunk(
        conn, f"SELECT {by}, {other}, value FROM {table} WHERE run_uuid IN", chunk
    ):
        groups.setdefault(group, {})[name] = value
    yield from groups.items()


def load_runs(conn: Connection, rows: Sequence[Sequence[Any]]) -> list[Run]:
    ids = [r[0] for r in rows]
    run_params: dict[str, dict[str, str]] = {}
    run_tags: dict[str, dict[str, str]] = {}
    run_metrics: dict[str, dict[str, float]] = {i: {} for i in ids}
    metric_objs: dict[str, list[Metric]] = {i: [] for i in ids}
    inputs: dict[str, list[DatasetInput]] = {}
    used: dict[str, list[LoggedModelInput]] = {}
    made: dict[str, list[LoggedModelOutput]] = {}
    nan = float("nan")
    for chunk in _chunks(ids):
        run_params.update(_grouped(conn, "params", chunk, by="run_uuid"))
        run_tags.update(_grouped(conn, "tags", chunk, by="run_uuid"))
        for run_id, key, value, is_nan, ts, step in _in_chunk(
            conn,
            "SELECT run_uuid, key, value, is_nan, timestamp, step FROM latest_metrics "
            "WHERE run_uuid IN",
            chunk,
        ):
            if is_nan:
                value = nan
            run_metrics[run_id][key] = value
            metric_objs[run_id].append(Metric(key, value, ts, step))
        _load_inputs(conn, chunk, inputs)
        for run_id, model_id, direction, step in _in_chunk(
            conn,
            "SELECT run_uuid, model_id, direction, step FROM run_model_links WHERE run_uuid IN",
            chunk,
            " ORDER BY run_uuid, direction, step, model_id",
        ):
            if direction == "input":
                used.setdefault(run_id, []).append(LoggedModelInput(model_id))
            else:
                made.setdefault(run_id, []).append(LoggedModelOutput(model_id, step))
    no_inputs = RunInputs()
    no_outputs = RunOutputs()
    return [
        Run(
            run_info(row),
            RunData(
                run_metrics[row[0]],
                run_params.get(row[0]) or {},
                run_tags.get(row[0]) or {},
                tuple(metric_objs[row[0]]),
            ),
            RunInputs(tuple(inputs.get(row[0], ())), tuple(used.get(row[0], ())))
            if row[0] in inputs or row[0] in used
            else no_inputs,
            RunOutputs(tuple(made[row[0]])) if row[0] in made else no_outputs,
        )
        for row in rows
    ]


def load_table(
    conn: Connection, rows: Sequence[Sequence[Any]], token: str | None = None
) -> RunTable:
    """The runs of ``rows`` (RUN_COLUMNS) as columns, with no per-run objects on the way:
    each key's values arrive as one object and fill its column in C (``map``)."""
    n = len(rows)
    ids = [r[0] for r in rows]
    at = {run_id: i for i, run_id in enumerate(ids)}
    params: dict[str, list[str | None]] = {}
    tags: dict[str, list[str | None]] = {}
    metrics: dict[str, list[float]] = {}
    nan = float("nan")
    for start in range(0, n, _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for table, columns in (("params", params), ("tags", tags)):
            for key, by_run in _grouped(conn, table, chunk, by="key"):
                column = columns.get(key)
                if column is None:
                    column = columns[key] = [None] * n
                column[start : start + len(chunk)] = map(by_run.get, chunk)
        for run_id, key, value, is_nan in _in_chunk(
            conn, "SELECT run_uuid, key, value, is_nan FROM latest_metrics WHERE run_uuid IN", chunk
        ):
            number = metrics.get(key)
            if number is None:
                number = metrics[key] = [nan] * n
            number[at[run_id]] = nan if is_nan else value
    _, experiment_ids, _, _, status, start_time, end_time, uri, _ = (
        [list(c) for c in zip(*rows, strict=True)] if rows else [[]] * len(RUN_COLUMNS)
    )
    return RunTable(
        ids,
        [str(e) for e in experiment_ids],
        status,
        uri,
        start_time,
        end_time,
        metrics,
        params,
        tags,
        token,
    )


def _load_inputs(
    conn: Connection, chunk: Sequence[str], out: dict[str, list[DatasetInput]]
) -> None:
    marks = _raw.placeholders(len(chunk))
    found = _raw.fetch(
        conn,
        "SELECT r.run_uuid, d.dataset_uuid, d.name, d.digest, d.source_type, d.source, "
        "d.schema, d.profile FROM run_inputs r "
        "JOIN datasets d ON d.dataset_uuid = r.dataset_uuid "
        f"WHERE r.run_uuid IN ({marks}) ORDER BY r.run_uuid, d.name",
        chunk,
    )
    if not found:
        return
    tag_map: dict[tuple[str, str], list[InputTag]] = {}
    for run_id, ds_id, key, value in _raw.fetch(
        conn,
        "SELECT run_uuid, dataset_uuid, key, value FROM input_tags "
        f"WHERE run_uuid IN ({marks}) ORDER BY key",
        chunk,
    ):
        tag_map.setdefault((run_id, ds_id), []).append(InputTag(key, value))
    for run_id, ds_id, name, digest, source_type, source, schema, profile in found:
        ds = Dataset(name, digest, source_type, source, schema, profile)
        out.setdefault(run_id, []).append(DatasetInput(ds, tuple(tag_map.get((run_id, ds_id), ()))))
