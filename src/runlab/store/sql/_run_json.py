"""A page of runs as MLflow's JSON text, written straight from the database's rows.

The server answers ``runs/search`` with up to 1,000 runs. Building a ``Run`` per row,
walking it with :func:`runlab.wire.run_json` and encoding the dicts costs far more than
the queries, so this writes the answer's text in one pass over the rows with no object
per value: params and tags leave the database as a finished JSON array per run
(``json_group_array``, ``json_agg``) that goes into the text as it is; run info and
metrics are formatted here (metrics in Python: SQLite's JSON prints doubles with 15
digits, not the 17 a double may need). The text parses to exactly what the entity path
writes (same keys in the same order, same values; a test compares the two).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from runlab.store.sql import _hydrate

# key/value rows of one run as JSON text, built by the database.
_ARRAY_AGG = {
    "sqlite": "json_group_array(json_object('key', key, 'value', value))",
    "postgresql": "json_agg(json_build_object('key', key, 'value', value))::text",
}
_INF = float("inf")
_str = json.encoder.encode_basestring  # a JSON string literal, non-ASCII kept (C)
_float = float.__repr__  # what json.dumps writes for a finite double


def _double(value: Any, is_nan: Any) -> str:
    # as runlab.wire.double: protobuf's JSON spells the non-finite doubles as strings
    if is_nan or value != value:
        return '"NaN"'
    if value == _INF:
        return '"Infinity"'
    if value == -_INF:
        return '"-Infinity"'
    return _float(value) if isinstance(value, float) else str(value)


def _key_values(conn: Connection, table: str, chunk: Sequence[str], out: dict[str, str]) -> None:
    agg = _ARRAY_AGG.get(conn.dialect.name) if _hydrate._json_agg(conn) else None
    if agg is not None:
        sql = f"SELECT run_uuid, {agg} FROM {table} WHERE run_uuid IN"
        out.update(_hydrate._in_chunk(conn, sql, chunk, " GROUP BY run_uuid"))
        return
    items: dict[str, list[str]] = {}
    for run_id, key, value in _hydrate._in_chunk(
        conn, f"SELECT run_uuid, key, value FROM {table} WHERE run_uuid IN", chunk
    ):
        items.setdefault(run_id, []).append(f'{{"key":{_str(key)},"value":{_str(value)}}}')
    out.update((run_id, f"[{','.join(texts)}]") for run_id, texts in items.items())


def _inputs(conn: Connection, chunk: Sequence[str], out: dict[str, str]) -> None:
    """Dataset inputs are few: built as dicts and encoded per run."""
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
    items: dict[str, list[dict[str, Any]]] = {}
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
        items.setdefault(run_id, []).append(item)
    for run_id, inputs in items.items():
        out[run_id] = json.dumps(inputs, ensure_ascii=False, separators=(",", ":"))


def runs_json(conn: Connection, rows: Sequence[Sequence[Any]]) -> str:
    """The runs of ``rows`` (``_hydrate.RUN_COLUMNS``) as a JSON array, in row order."""
    ids = [r[0] for r in rows]
    params: dict[str, str] = {}
    tags: dict[str, str] = {}
    metrics: dict[str, list[str]] = {i: [] for i in ids}
    inputs: dict[str, str] = {}
    for chunk in _hydrate._chunks(ids):
        _key_values(conn, "params", chunk, params)
        _key_values(conn, "tags", chunk, tags)
        for run_id, key, value, is_nan, ts, step in _hydrate._in_chunk(
            conn,
            "SELECT run_uuid, key, value, is_nan, timestamp, step FROM latest_metrics "
            "WHERE run_uuid IN",
            chunk,
        ):
            # finite doubles inline: the call to _double costs as much as the rest
            v = _float(value) if not is_nan and -_INF < value < _INF else _double(value, is_nan)
            metrics[run_id].append(
                f'{{"key":{_str(key)},"value":{v},"timestamp":{ts},"step":{step}}}'
            )
        _inputs(conn, chunk, inputs)
    out = []
    for uuid, eid, name, user, status, start, end, uri, stage in rows:
        times = "" if start is None else f',"start_time":{start}'
        if end is not None:
            times += f',"end_time":{end}'
        out.append(
            f'{{"info":{{"run_id":"{uuid}","run_uuid":"{uuid}","run_name":{_str(name)},'
            f'"experiment_id":"{eid}","user_id":{_str(user)},"status":{_str(status)},'
            f'"artifact_uri":{_str(uri)},"lifecycle_stage":{_str(stage)}{times}}},'
            f'"data":{{"metrics":[{",".join(metrics[uuid])}],'
            f'"params":{params.get(uuid, "[]")},"tags":{tags.get(uuid, "[]")}}},'
            f'"inputs":{{"dataset_inputs":{inputs.get(uuid, "[]")}}}}}'
        )
    return f"[{','.join(out)}]"


def page_json(runs: str, token: str | None, name: str = "runs") -> bytes:
    """``{"runs": [...]}`` (or ``name``), with ``next_page_token`` when more follow (as
    wire.page)."""
    more = f',"next_page_token":{_str(token)}' if token else ""
    return f'{{"{name}":{runs}{more}}}'.encode()


def history_json(key: str, rows: Sequence[Sequence[Any]], token: str | None) -> bytes:
    """``{"metrics": [...]}`` of ``metrics/get-history`` from (key, value, is_nan,
    timestamp, step) rows of one key, as ``wire.metric_json`` writes each point."""
    head = f'{{"key":{_str(key)},"value":'
    points = [
        f"{head}{_float(v) if type(v) is float and not n and -_INF < v < _INF else _double(v, n)},"
        f'"timestamp":{ts},"step":{s}}}'
        for _k, v, n, ts, s in rows
    ]
    return page_json(f"[{','.join(points)}]", token, "metrics")
