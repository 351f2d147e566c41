"""Turn run rows into Run entities with a handful of set-based queries (no N+1)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Row, select

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
from runlab.errors import NotFoundError
from runlab.store.sql import _raw
from runlab.store.sql.schema import (
    datasets,
    input_tags,
    latest_metrics,
    params,
    run_inputs,
    runs,
    tags,
)

_CHUNK = 900  # stays under every backend's bound-parameter limit

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


def run_info(row: Row[Any]) -> RunInfo:
    return RunInfo(
        run_id=row.run_uuid,
        experiment_id=str(row.experiment_id),
        run_name=row.name,
        user_id=row.user_id,
        status=row.status,
        start_time=row.start_time,
        end_time=row.end_time,
        artifact_uri=row.artifact_uri,
        lifecycle_stage=row.lifecycle_stage,
    )


_RUN_INFO_SQL = (
    "SELECT run_uuid, experiment_id, name, user_id, status, start_time, end_time, "
    "artifact_uri, lifecycle_stage FROM runs WHERE run_uuid = ?"
)


def run_info_by_id(conn: Connection, run_id: str) -> RunInfo:
    """One run's info, through plain SQL (it is read back after every run update)."""
    found = _raw.fetch(conn, _RUN_INFO_SQL, (run_id,))
    if not found:
        raise NotFoundError(f"run {run_id!r} not found")
    uuid, eid, name, user, status, start, end, uri, stage = found[0]
    return RunInfo(uuid, str(eid), name, user, status, start, end, uri, stage)


def _chunks(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


def load_runs(conn: Connection, rows: Sequence[Row[Any]]) -> list[Run]:
    ids = [r.run_uuid for r in rows]
    run_params: dict[str, dict[str, str]] = defaultdict(dict)
    run_tags: dict[str, dict[str, str]] = defaultdict(dict)
    run_metrics: dict[str, dict[str, float]] = defaultdict(dict)
    metric_objs: dict[str, list[Metric]] = defaultdict(list)
    inputs: dict[str, list[DatasetInput]] = defaultdict(list)
    nan = float("nan")
    for chunk in _chunks(ids):
        for run_id, key, value in conn.execute(
            select(params.c.run_uuid, params.c.key, params.c.value).where(
                params.c.run_uuid.in_(chunk)
            )
        ):
            run_params[run_id][key] = value
        for run_id, key, value in conn.execute(
            select(tags.c.run_uuid, tags.c.key, tags.c.value).where(tags.c.run_uuid.in_(chunk))
        ):
            run_tags[run_id][key] = value
        lm = latest_metrics.c
        for run_id, key, value, is_nan, ts, step in conn.execute(
            select(lm.run_uuid, lm.key, lm.value, lm.is_nan, lm.timestamp, lm.step).where(
                lm.run_uuid.in_(chunk)
            )
        ):
            v = nan if is_nan else value
            run_metrics[run_id][key] = v
            metric_objs[run_id].append(Metric(key, v, ts, step))
        _load_inputs(conn, chunk, inputs)
    return [
        Run(
            info=run_info(row),
            data=RunData(
                metrics=run_metrics.get(row.run_uuid, {}),
                params=run_params.get(row.run_uuid, {}),
                tags=run_tags.get(row.run_uuid, {}),
                metric_objs=tuple(metric_objs.get(row.run_uuid, ())),
            ),
            inputs=RunInputs(tuple(inputs.get(row.run_uuid, ()))),
        )
        for row in rows
    ]


def _load_inputs(
    conn: Connection, chunk: Sequence[str], out: dict[str, list[DatasetInput]]
) -> None:
    d = datasets.c
    found = conn.execute(
        select(
            run_inputs.c.run_uuid,
            d.dataset_uuid,
            d.name,
            d.digest,
            d.source_type,
            d.source,
            d.schema,
            d.profile,
        )
        .join(datasets, datasets.c.dataset_uuid == run_inputs.c.dataset_uuid)
        .where(run_inputs.c.run_uuid.in_(chunk))
        .order_by(run_inputs.c.run_uuid, d.name)
    ).all()
    if not found:
        return
    tag_map: dict[tuple[str, str], list[InputTag]] = defaultdict(list)
    for run_id, ds_id, key, value in conn.execute(
        select(
            input_tags.c.run_uuid, input_tags.c.dataset_uuid, input_tags.c.key, input_tags.c.value
        )
        .where(input_tags.c.run_uuid.in_(chunk))
        .order_by(input_tags.c.key)
    ):
        tag_map[(run_id, ds_id)].append(InputTag(key, value))
    for run_id, ds_id, name, digest, source_type, source, schema, profile in found:
        ds = Dataset(name, digest, source_type, source, schema, profile)
        out[run_id].append(DatasetInput(ds, tuple(tag_map.get((run_id, ds_id), ()))))
