"""A page of runs as MLflow's JSON, straight from the database's rows.

The server answers ``runs/search`` with up to 1,000 runs. Building a ``Run`` per row and
then walking it with :func:`runlab.wire.run_json` costs more than the queries, so this
writes the same dicts in one pass over the rows: params and tags leave the database as
a ready ``[{"key": …, "value": …}]`` JSON array per run, which ``json.loads`` turns into
the answer's lists in C. The output equals ``[run_json(r) for r in load_runs(...)]``
(same keys, same order; a test compares the two).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from runlab.store.sql import _hydrate

# key/value rows of one run as a JSON array, built by the database.
_ARRAY_AGG = {
    "sqlite": "json_group_array(json_object('key', key, 'value', value))",
    "postgresql": "json_agg(json_build_object('key', key, 'value', value))",
}
_INF = float("inf")


def _double(value: float, is_nan: Any) -> float | str:
    # as runlab.wire.double: protobuf's JSON spells the non-finite doubles as strings
    if is_nan or value != value:
        return "NaN"
    if value == _INF:
        return "Infinity"
    if value == -_INF:
        return "-Infinity"
    return value


def _key_values(
    conn: Connection, table: str, chunk: Sequence[str], out: dict[str, list[dict[str, str]]]
) -> None:
    agg = _ARRAY_AGG.get(conn.dialect.name) if _hydrate._json_agg(conn) else None
    if agg is not None:
        sql = f"SELECT run_uuid, {agg} FROM {table} WHERE run_uuid IN"
        for run_id, items in _hydrate._in_chunk(conn, sql, chunk, " GROUP BY run_uuid"):
            out[run_id] = items if isinstance(items, list) else json.loads(items)
        return
    for run_id, key, value in _hydrate._in_chunk(
        conn, f"SELECT run_uuid, key, value FROM {table} WHERE run_uuid IN", chunk
    ):
        out.setdefault(run_id, []).append({"key": key, "value": value})


def _inputs(conn: Connection, chunk: Sequence[str], out: dict[str, list[dict[str, Any]]]) -> None:
    found = _hydrate._in_chunk(
        conn,
        "SELECT r.run_uuid, d.dataset_uuid, d.name, d.digest, d.source_type, d.source, "
        "d.schema, d.profile FROM run_inputs r "
        "JOIN datasets d ON d.dataset_uuid = r.dataset_uuid WHERE r.run_uuid IN",
        chunk,
        " ORDER BY r.run_uuid, d.name",
    )
    if not found:
        return
    tags: dict[tuple[str, str], list[dict[str, str]]] = {}
    for run_id, ds_id, key, value in _hydrate._in_chunk(
        conn,
        "SELECT run_uuid, dataset_uuid, key, value FROM input_tags WHERE run_uuid IN",
        chunk,
        " ORDER BY key",
    ):
        tags.setdefault((run_id, ds_id), []).append({"key": key, "value": value})
    for run_id, ds_id, name, digest, source_type, source, schema, profile in found:
        dataset: dict[str, Any] = {
            "name": name,
            "digest": digest,
            "source_type": source_type,
            "source": source,
        }
        if schema is not None:
            dataset["schema"] = schema
        if profile is not None:
            dataset["profile"] = profile
        item = {"tags": tags.get((run_id, ds_id), []), "dataset": dataset}
        out.setdefault(run_id, []).append(item)


def runs_json(conn: Connection, rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """The runs of ``rows`` (``_hydrate.RUN_COLUMNS``) as MLflow's JSON, in row order."""
    ids = [r[0] for r in rows]
    params: dict[str, list[dict[str, str]]] = {}
    tags: dict[str, list[dict[str, str]]] = {}
    metrics: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    inputs: dict[str, list[dict[str, Any]]] = {}
    for chunk in _hydrate._chunks(ids):
        _key_values(conn, "params", chunk, params)
        _key_values(conn, "tags", chunk, tags)
        for run_id, key, value, is_nan, ts, step in _hydrate._in_chunk(
            conn,
            "SELECT run_uuid, key, value, is_nan, timestamp, step FROM latest_metrics "
            "WHERE run_uuid IN",
            chunk,
        ):
            metrics[run_id].append(
                {"key": key, "value": _double(value, is_nan), "timestamp": ts, "step": step}
            )
        _inputs(conn, chunk, inputs)
    out = []
    for uuid, eid, name, user, status, start, end, uri, stage in rows:
        info: dict[str, Any] = {
            "run_id": uuid,
            "run_uuid": uuid,
            "run_name": name,
            "experiment_id": str(eid),
            "user_id": user,
            "status": status,
            "artifact_uri": uri,
            "lifecycle_stage": stage,
        }
        if start is not None:
            info["start_time"] = start
        if end is not None:
            info["end_time"] = end
        out.append(
            {
                "info": info,
                "data": {
                    "metrics": metrics[uuid],
                    "params": params.get(uuid, []),
                    "tags": tags.get(uuid, []),
                },
                "inputs": {"dataset_inputs": inputs.get(uuid, [])},
            }
        )
    return out
