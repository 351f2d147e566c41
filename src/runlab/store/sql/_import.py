"""Taking in experiments and runs made elsewhere, with their ids and times, in bulk.

Runs are written as rows, several runs to a transaction: the runs in one
``executemany``, params and tags likewise, metric points 500 to a multi-row INSERT
(through the same path as ``log_batch``, so the latest value of each key is kept the
same way), and points already stored are skipped, so importing a run again adds
nothing. Plain SQL through :mod:`._raw`, valid on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence

from sqlalchemy import Connection, select

from runlab.entities import DatasetInput, Experiment, LifecycleStage, RunInfo
from runlab.errors import NotFoundError
from runlab.store.imports import RunRecord
from runlab.store.sql import _logging, _raw
from runlab.store.sql._common import experiment_key, now_ms
from runlab.store.sql.schema import datasets, input_tags, run_inputs

__all__ = ["import_experiment", "import_runs", "link_inputs"]

_RUN_ID = re.compile(r"^[0-9a-zA-Z_\-]{1,32}$")
_INT64_MAX = 2**63 - 1
_INSERT_RUN = (
    "INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, end_time, "
    "lifecycle_stage, deleted_time, artifact_uri) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_UPDATE_RUN = (
    "UPDATE runs SET name = ?, status = ?, end_time = ?, lifecycle_stage = ?, deleted_time = ? "
    "WHERE run_uuid = ?"
)
_INSERT_TAG = (
    "INSERT INTO tags (run_uuid, key, value) VALUES (?, ?, ?) "
    "ON CONFLICT (run_uuid, key) DO UPDATE SET value = excluded.value"
)
_INSERT_PARAM = (
    "INSERT INTO params (run_uuid, key, value) VALUES (?, ?, ?) "
    "ON CONFLICT (run_uuid, key) DO NOTHING"
)

# MySQL's spellings of the two above (a conflict sets a key column to itself: no change).
_MYSQL_INSERT_TAG = (
    "INSERT INTO tags (run_uuid, key, value) VALUES (?, ?, ?) "
    "ON DUPLICATE KEY UPDATE value = VALUES(value)"
)
_MYSQL_INSERT_PARAM = (
    "INSERT INTO params (run_uuid, key, value) VALUES (?, ?, ?) "
    "ON DUPLICATE KEY UPDATE run_uuid = run_uuid"
)


def import_experiment(conn: Connection, exp: Experiment, artifact_root: str) -> str:
    """See :meth:`TrackingStore.import_experiment`."""
    found = _raw.fetch(conn, "SELECT experiment_id FROM experiments WHERE name = ?", (exp.name,))
    if found:
        eid = int(found[0][0])
    else:
        eid = _free_id(conn, exp.experiment_id)
        t = now_ms()
        created = exp.creation_time if exp.creation_time is not None else t
        _raw.run(
            conn,
            "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, "
            "creation_time, last_update_time) VALUES (?, ?, ?, ?, ?, ?)",
            (
                eid,
                exp.name,
                f"{artifact_root}/{eid}",
                exp.lifecycle_stage or LifecycleStage.ACTIVE,
                created,
                exp.last_update_time if exp.last_update_time is not None else created,
            ),
        )
        if conn.dialect.name == "postgresql":  # explicit ids leave the sequence behind
            _raw.run(
                conn,
                "SELECT setval(pg_get_serial_sequence('experiments', 'experiment_id'), "
                "(SELECT MAX(experiment_id) FROM experiments))",
            )
    if exp.tags:
        upsert = (
            "ON DUPLICATE KEY UPDATE value = VALUES(value)"
            if conn.dialect.name == "mysql"
            else "ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value"
        )
        _raw.run_many(
            conn,
            f"INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?) {upsert}",
            [(eid, k, v) for k, v in exp.tags.items()],
        )
    return str(eid)


def _free_id(conn: Connection, wanted: str) -> int:
    """``wanted`` as an integer key when it is one and no experiment has it, else the
    next key after the highest."""
    if wanted.isascii() and wanted.isdigit() and int(wanted) <= _INT64_MAX:
        taken = _raw.fetch(conn, "SELECT 1 FROM experiments WHERE experiment_id = ?", (wanted,))
        if not taken:
            return int(wanted)
    top = _raw.fetch(conn, "SELECT MAX(experiment_id) FROM experiments")[0][0]
    return int(top or 0) + 1


def import_runs(
    conn: Connection, experiment_id: str, records: Sequence[RunRecord]
) -> list[RunInfo]:
    """See :meth:`TrackingStore.import_runs`."""
    eid = experiment_key(experiment_id)
    exp = _raw.fetch(
        conn, "SELECT artifact_location FROM experiments WHERE experiment_id = ?", (eid,)
    )
    if not exp:
        raise NotFoundError(f"experiment {experiment_id!r} not found")
    location = str(exp[0][0]).rstrip("/")
    wanted = [r.run_id for r in records if _RUN_ID.match(r.run_id)]
    stored: dict[str, tuple[int, str]] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for run_id, run_eid, uri in _raw.fetch(
            conn,
            "SELECT run_uuid, experiment_id, artifact_uri FROM runs "
            f"WHERE run_uuid IN ({_raw.placeholders(len(chunk))})",
            chunk,
        ):
            stored[run_id] = (int(run_eid), uri)
    infos: list[RunInfo] = []
    new_rows: list[tuple[object, ...]] = []
    merged_rows: list[tuple[object, ...]] = []
    for record in records:
        src = record.info
        run_id = src.run_id
        merge = False
        if not _RUN_ID.match(run_id) or (run_id in stored and stored[run_id][0] != eid):
            run_id = uuid.uuid4().hex  # taken by another experiment, or not an id here
        elif run_id in stored:
            merge = True
        uri = stored[run_id][1] if merge else f"{location}/{run_id}/artifacts"
        stage = src.lifecycle_stage or LifecycleStage.ACTIVE
        deleted = record.deleted_time if stage == LifecycleStage.DELETED else None
        name = src.run_name or record.tags.get(_logging.RUN_NAME_TAG) or run_id
        if merge:
            merged_rows.append((name, src.status, src.end_time, stage, deleted, run_id))
        else:
            new_rows.append(
                (run_id, name, eid, src.user_id or "", src.status, src.start_time, src.end_time,
                 stage, deleted, uri)
            )  # fmt: skip
        infos.append(
            RunInfo(run_id, str(eid), name, src.user_id or "", src.status, src.start_time,
                    src.end_time, uri, stage)
        )  # fmt: skip
    _raw.run_many(conn, _INSERT_RUN, new_rows)
    _raw.run_many(conn, _UPDATE_RUN, merged_rows)
    params = [
        (i.run_id, k, v) for r, i in zip(records, infos, strict=True) for k, v in r.params.items()
    ]
    tags = [
        (i.run_id, k, v) for r, i in zip(records, infos, strict=True) for k, v in r.tags.items()
    ]
    mysql = conn.dialect.name == "mysql"
    _raw.run_many(conn, _MYSQL_INSERT_PARAM if mysql else _INSERT_PARAM, params)
    _raw.run_many(conn, _MYSQL_INSERT_TAG if mysql else _INSERT_TAG, tags)
    for record, info in zip(records, infos, strict=True):
        if record.metrics:
            _logging.write_metrics(conn, info.run_id, record.metrics)
        if record.inputs:
            link_inputs(conn, eid, info.run_id, record.inputs)
    return infos


def link_inputs(conn: Connection, eid: int, run_id: str, items: Sequence[DatasetInput]) -> None:
    """Record the datasets a run used: each dataset once per experiment (by name and
    digest), the run linked to it, the input's tags upserted."""
    for item in items:
        ds = item.dataset
        ds_id = conn.execute(
            select(datasets.c.dataset_uuid).where(
                datasets.c.experiment_id == eid,
                datasets.c.name == ds.name,
                datasets.c.digest == ds.digest,
            )
        ).scalar()
        if ds_id is None:
            ds_id = uuid.uuid4().hex
            conn.execute(
                datasets.insert().values(
                    dataset_uuid=ds_id,
                    experiment_id=eid,
                    name=ds.name,
                    digest=ds.digest,
                    source_type=ds.source_type,
                    source=ds.source,
                    schema=ds.schema,
                    profile=ds.profile,
                )
            )
        link = _logging._insert(conn, run_inputs).on_conflict_do_nothing()
        conn.execute(link, {"run_uuid": run_id, "dataset_uuid": ds_id})
        if item.tags:
            stmt = _logging._insert(conn, input_tags)
            stmt = stmt.on_conflict_do_update(
                index_elements=["run_uuid", "dataset_uuid", "key"],
                set_={"value": stmt.excluded.value},
            )
            conn.execute(
                stmt,
                [
                    {"run_uuid": run_id, "dataset_uuid": ds_id, "key": t.key, "value": t.value}
                    for t in item.tags
                ],
            )
