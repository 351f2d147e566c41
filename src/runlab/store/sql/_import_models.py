"""Taking in registered models and logged models made elsewhere, as they were: version
numbers, stages, transitions, times and ids kept. Each runs inside the caller's write
transaction; what is stored already is left alone, so importing twice adds nothing."""

from __future__ import annotations

from sqlalchemy import Connection, Table, insert, select, update

from runlab.entities import ModelVersionStage, ModelVersionStatus
from runlab.entities_logged_models import LoggedModel, LoggedModelStatus
from runlab.errors import NotFoundError
from runlab.store.imports import ModelRecord
from runlab.store.sql._common import experiment_key, inserted_id, now_ms
from runlab.store.sql._logging import _insert
from runlab.store.sql.schema import (
    experiments,
    logged_model_params,
    logged_model_tags,
    logged_models,
    model_version_stage_transitions,
    model_version_tags,
    model_versions,
    registered_model_aliases,
    registered_model_tags,
    registered_models,
)

__all__ = ["import_logged_model", "import_registered_model"]

_rm, _mv = registered_models.c, model_versions.c


def import_registered_model(conn: Connection, record: ModelRecord) -> list[int]:
    """See :meth:`RegistryStore.import_registered_model`."""
    model = record.model
    t = now_ms()
    model_id = conn.execute(select(_rm.model_id).where(_rm.name == model.name)).scalar()
    if model_id is None:
        model_id = inserted_id(
            conn.execute(
                insert(registered_models).values(
                    name=model.name,
                    creation_time=model.creation_timestamp or t,
                    last_updated_time=model.last_updated_timestamp or model.creation_timestamp or t,
                    description=model.description,
                    last_version=0,
                )
            )
        )
    if model.tags:
        _upsert(
            conn,
            registered_model_tags,
            ["model_id", "key"],
            [{"model_id": model_id, "key": k, "value": v} for k, v in model.tags.items()],
        )
    have = set(conn.execute(select(_mv.version).where(_mv.model_id == model_id)).scalars())
    added: list[int] = []
    for mv in sorted(record.versions, key=lambda v: v.version):
        if mv.version in have:
            continue
        conn.execute(
            insert(model_versions).values(
                model_id=model_id,
                version=mv.version,
                creation_time=mv.creation_timestamp or t,
                last_updated_time=mv.last_updated_timestamp or mv.creation_timestamp or t,
                description=mv.description,
                user_id=mv.user_id,
                current_stage=_stage(mv.current_stage),
                source=mv.source or "",
                run_id=mv.run_id or None,
                run_link=mv.run_link or None,
                logged_model_id=mv.model_id or None,
                status=mv.status if mv.status in ModelVersionStatus.ALL else "READY",
                status_message=mv.status_message,
            )
        )
        if mv.tags:
            conn.execute(
                insert(model_version_tags),
                [
                    {"model_id": model_id, "version": mv.version, "key": k, "value": v}
                    for k, v in mv.tags.items()
                ],
            )
        added.append(mv.version)
        have.add(mv.version)
    moves = [
        {
            "model_id": model_id,
            "version": tr.version,
            "from_stage": _stage(tr.from_stage),
            "to_stage": _stage(tr.to_stage),
            "user_id": tr.user_id,
            "timestamp": tr.timestamp,
        }
        for tr in record.transitions
        if tr.version in added
    ]
    if moves:
        conn.execute(insert(model_version_stage_transitions), moves)
    aliases = [
        {"model_id": model_id, "alias": alias, "version": number}
        for alias, number in model.aliases.items()
        if number in have
    ]
    if aliases:
        _upsert(conn, registered_model_aliases, ["model_id", "alias"], aliases, "version")
    if have:
        top = max(have)
        conn.execute(
            update(registered_models)
            .where(_rm.model_id == model_id, _rm.last_version < top)
            .values(last_version=top)
        )
    return added


def _stage(value: str | None) -> str:
    for stage in ModelVersionStage.ALL:
        if value and stage.lower() == value.strip().lower():
            return stage
    return ModelVersionStage.NONE


def _upsert(
    conn: Connection,
    table: Table,
    keys: list[str],
    rows: list[dict[str, object]],
    col: str = "value",
) -> None:
    """Insert ``rows``, replacing ``col`` of rows already stored under the same ``keys``."""
    stmt = _insert(conn, table)
    stmt = stmt.on_conflict_do_update(index_elements=keys, set_={col: stmt.excluded[col]})
    conn.execute(stmt, rows)


def import_logged_model(conn: Connection, model: LoggedModel) -> str:
    """Insert ``model`` unless its id is stored; the id (the caller reads it back)."""
    lm = logged_models.c
    if conn.execute(select(lm.model_id).where(lm.model_id == model.model_id)).scalar():
        return model.model_id
    eid = experiment_key(model.experiment_id)
    location = conn.execute(
        select(experiments.c.artifact_location).where(experiments.c.experiment_id == eid)
    ).scalar()
    if location is None:
        raise NotFoundError(f"experiment {model.experiment_id!r} not found")
    t = now_ms()
    conn.execute(
        logged_models.insert().values(
            model_id=model.model_id,
            experiment_id=eid,
            name=model.name,
            artifact_location=f"{str(location).rstrip('/')}/models/{model.model_id}/artifacts",
            creation_time=model.creation_timestamp or t,
            last_updated_time=model.last_updated_timestamp or model.creation_timestamp or t,
            status=LoggedModelStatus.parse(model.status) or LoggedModelStatus.READY,
            status_message=model.status_message,
            model_type=model.model_type,
            source_run_id=model.source_run_id,
        )
    )
    for table, items in ((logged_model_tags, model.tags), (logged_model_params, model.params)):
        if items:
            conn.execute(
                insert(table),
                [{"model_id": model.model_id, "key": k, "value": v} for k, v in items.items()],
            )
    return model.model_id
