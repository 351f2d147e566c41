"""SqlLoggedModelStore: MLflow 3 logged models in the tracking store's own database.

Like the registry, it shares the :class:`~runlab.store.sql._engine.Database` of the
:class:`~runlab.store.sql.store.SqlStore` it was built from. A model's files live
under ``<experiment artifact location>/models/<model_id>/artifacts``, so with the
artifact proxy on they are ``mlflow-artifacts:/<experiment_id>/models/<id>/artifacts``.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Select,
    delete,
    literal_column,
    select,
    update,
)

from runlab import _validation as check
from runlab.entities import LifecycleStage, Metric, PagedList
from runlab.entities_logged_models import LoggedModel, LoggedModelStatus
from runlab.errors import ConflictError, InvalidInputError, NotFoundError
from runlab.store import filter as flt
from runlab.store.logged_models_base import LoggedModelStore, OrderBy
from runlab.store.sql import _import_models, _pages
from runlab.store.sql._common import experiment_key as _exp_id
from runlab.store.sql._common import now_ms
from runlab.store.sql._engine import Database
from runlab.store.sql._logging import _insert, require_active_run
from runlab.store.sql.schema import (
    experiments,
    logged_model_metrics,
    logged_model_params,
    logged_model_tags,
    logged_models,
    run_model_links,
    runs,
)
from runlab.store.sql.search import _compile, _condition, _direction, _exists

__all__ = ["SqlLoggedModelStore", "parse_logged_model_filter"]

_lm = logged_models.c
MAX_NAME_LENGTH = 500
DEFAULT_MAX_RESULTS = 100
MAX_RESULTS = 1000
_CHUNK = 500

# Filter and order-by identifiers, with MLflow's attribute names.
_ATTRIBUTES: dict[str, ColumnElement[Any]] = {
    "model_id": _lm.model_id,
    "name": _lm.name,
    "model_type": _lm.model_type,
    "status": _lm.status,
    "source_run_id": _lm.source_run_id,
    "creation_timestamp": _lm.creation_time,
    "last_updated_timestamp": _lm.last_updated_time,
}
_NUMERIC = ("creation_timestamp", "last_updated_timestamp")
_FILTER = flt._Language(
    "a logged model filter",
    {"tag": flt._STRING, "param": flt._STRING},
    {"attribute": {key: flt._NUMBER if key in _NUMERIC else flt._STRING for key in _ATTRIBUTES}},
    {"creation_time": "creation_timestamp", "last_updated_time": "last_updated_timestamp"},
)


def parse_logged_model_filter(text: str | None) -> flt.Node | None:
    """``name``, ``model_id``, ``model_type``, ``status``, ``source_run_id``, the two
    timestamps, ``tags.<key>`` and ``params.<key>``, joined with AND, OR, parentheses."""
    return flt._parse_filter(text, _FILTER)


def _not_found(model_id: str) -> NotFoundError:
    return NotFoundError(f"logged model {model_id!r} not found")


def new_model_id() -> str:
    return f"m-{uuid.uuid4().hex}"


def _comparison(node: flt.Comparison) -> ColumnElement[bool]:
    if node.kind == "attribute":
        value = node.value
        if node.key == "status" and isinstance(value, str) and node.op in ("=", "!="):
            value = LoggedModelStatus.parse(value) or value
        return _condition(_ATTRIBUTES[node.key], node.op, value)
    # Tags and params: IS [NOT] NULL test whether the key is there; other operators
    # need the key, so ``!=`` matches models that have it with another value.
    table = logged_model_tags if node.kind == "tag" else logged_model_params
    conditions = [table.c.model_id == _lm.model_id, table.c.key == node.key]
    if node.op not in ("IS NULL", "IS NOT NULL"):
        conditions.append(_condition(table.c.value, node.op, node.value))
    query: Select[Any] = select(literal_column("1")).where(*conditions).correlate(logged_models)
    return _exists(query, node.op)


def _order_clauses(order_by: Sequence[OrderBy]) -> list[ColumnElement[Any]]:
    clauses = []
    for field_name, ascending in order_by:
        key = field_name.removeprefix("attributes.").removeprefix("attribute.")
        column = _ATTRIBUTES.get(key)
        if column is None:
            raise InvalidInputError(
                f"order_by: cannot order logged models by {field_name!r}; use one of "
                f"{', '.join(sorted(_ATTRIBUTES))}"
            )
        clauses.append(_direction(column, ascending))
    if not order_by:
        clauses.append(_lm.creation_time.desc())
    clauses.append(_lm.model_id.asc())  # unique, so page boundaries are stable
    return clauses


def _status(value: str) -> str:
    status = LoggedModelStatus.parse(value) if isinstance(value, str) else None
    if status is None:
        raise InvalidInputError(
            f"status: {value!r} is not a logged model status; use one of "
            f"{', '.join(LoggedModelStatus.ALL)}"
        )
    return status


def _model_name(name: str | None) -> str:
    if name is None or name == "":
        return f"model-{uuid.uuid4().hex[:8]}"
    if not isinstance(name, str) or len(name) > MAX_NAME_LENGTH:
        raise InvalidInputError(f"name: must be a string of at most {MAX_NAME_LENGTH} characters")
    if "/" in name or ":" in name:
        raise InvalidInputError(f"name {name!r}: must not contain '/' or ':'")
    return name


def _tags(tags: Mapping[str, str] | None) -> dict[str, str]:
    return {check.key("tag", k): check.tag_value(k, v) for k, v in (tags or {}).items()}


def _params(params: Mapping[str, str] | None) -> dict[str, str]:
    return {check.key("param", k): check.param_value(k, v) for k, v in (params or {}).items()}


class SqlLoggedModelStore(LoggedModelStore):
    """The logged-model tables of one SQL database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # ================================================================ helpers
    @staticmethod
    def _require(conn: Connection, model_id: str) -> None:
        if conn.execute(select(_lm.model_id).where(_lm.model_id == model_id)).scalar() is None:
            raise _not_found(model_id)

    @staticmethod
    def _touch(conn: Connection, model_id: str) -> None:
        conn.execute(
            update(logged_models).where(_lm.model_id == model_id).values(last_updated_time=now_ms())
        )

    @staticmethod
    def _models(conn: Connection, rows: Sequence[Row[Any]]) -> list[LoggedModel]:
        ids = [r.model_id for r in rows]
        tags: dict[str, dict[str, str]] = {i: {} for i in ids}
        params: dict[str, dict[str, str]] = {i: {} for i in ids}
        for table, into in ((logged_model_tags, tags), (logged_model_params, params)):
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                for mid, key, value in conn.execute(
                    select(table.c.model_id, table.c.key, table.c.value)
                    .where(table.c.model_id.in_(chunk))
                    .order_by(table.c.key)
                ):
                    into[mid][key] = value
        metrics: dict[str, list[Metric]] = {i: [] for i in ids}
        m = logged_model_metrics.c
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            for r in conn.execute(
                select(logged_model_metrics)
                .where(m.model_id.in_(chunk))
                .order_by(m.model_id, m.key, m.step, m.timestamp, m.run_uuid)
            ):
                metrics[r.model_id].append(
                    Metric(
                        r.key,
                        float("nan") if r.is_nan else r.value,
                        r.timestamp,
                        r.step,
                        r.run_uuid,
                        r.model_id,
                        r.dataset_name or None,
                        r.dataset_digest or None,
                    )
                )
        return [
            LoggedModel(
                model_id=r.model_id,
                experiment_id=str(r.experiment_id),
                name=r.name,
                artifact_location=r.artifact_location,
                creation_timestamp=r.creation_time,
                last_updated_timestamp=r.last_updated_time,
                status=r.status,
                status_message=r.status_message,
                model_type=r.model_type,
                source_run_id=r.source_run_id,
                tags=tags[r.model_id],
                params=params[r.model_id],
                metrics=metrics[r.model_id],
            )
            for r in rows
        ]

    @staticmethod
    def _write_params(conn: Connection, model_id: str, params: dict[str, str]) -> None:
        if not params:
            return
        p = logged_model_params.c
        existing = dict(
            conn.execute(
                select(p.key, p.value).where(p.model_id == model_id, p.key.in_(list(params)))
            ).all()
        )
        for key, value in params.items():
            if key in existing and existing[key] != value:
                raise ConflictError(
                    f"param {key!r} of logged model {model_id!r} is {existing[key]!r} already; "
                    f"params cannot change (got {value!r})"
                )
        fresh = [{"model_id": model_id, "key": k, "value": v} for k, v in params.items()]
        conn.execute(_insert(conn, logged_model_params).on_conflict_do_nothing(), fresh)

    @staticmethod
    def _write_tags(conn: Connection, model_id: str, tags: dict[str, str]) -> None:
        if not tags:
            return
        rows = [{"model_id": model_id, "key": k, "value": v} for k, v in tags.items()]
        stmt = _insert(conn, logged_model_tags)
        stmt = stmt.on_conflict_do_update(
            index_elements=["model_id", "key"], set_={"value": stmt.excluded.value}
        )
        conn.execute(stmt, rows)

    # ================================================================ the contract
    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        model_type: str | None = None,
    ) -> LoggedModel:
        eid = _exp_id(experiment_id)
        name = _model_name(name)
        clean_tags, clean_params = _tags(tags), _params(params)
        model_id = new_model_id()

        def write(conn: Connection) -> None:
            exp = conn.execute(
                select(experiments.c.lifecycle_stage, experiments.c.artifact_location).where(
                    experiments.c.experiment_id == eid
                )
            ).first()
            if exp is None:
                raise NotFoundError(f"experiment {experiment_id!r} not found")
            if exp.lifecycle_stage != LifecycleStage.ACTIVE:
                raise InvalidInputError(
                    f"experiment {experiment_id!r} is deleted; restore it before logging models"
                )
            if source_run_id:
                found = conn.execute(
                    select(runs.c.run_uuid).where(runs.c.run_uuid == source_run_id)
                ).scalar()
                if found is None:
                    raise NotFoundError(f"source_run_id: run {source_run_id!r} not found")
            t = now_ms()
            location = f"{exp.artifact_location.rstrip('/')}/models/{model_id}/artifacts"
            conn.execute(
                logged_models.insert().values(
                    model_id=model_id,
                    experiment_id=eid,
                    name=name,
                    artifact_location=location,
                    creation_time=t,
                    last_updated_time=t,
                    status=LoggedModelStatus.PENDING,
                    model_type=model_type or None,
                    source_run_id=source_run_id or None,
                )
            )
            self._write_tags(conn, model_id, clean_tags)
            self._write_params(conn, model_id, clean_params)

        self.db.write(write)
        return self.get_logged_model(model_id)

    def import_logged_model(self, model: LoggedModel) -> LoggedModel:
        stored = self.db.write(lambda conn: _import_models.import_logged_model(conn, model))
        return self.get_logged_model(stored)

    def get_logged_model(self, model_id: str) -> LoggedModel:
        with self.db.read() as conn:
            row = conn.execute(select(logged_models).where(_lm.model_id == model_id)).first()
            if row is None:
                raise _not_found(model_id)
            return self._models(conn, [row])[0]

    def finalize_logged_model(self, model_id: str, status: str) -> LoggedModel:
        status = _status(status)

        def write(conn: Connection) -> None:
            done = conn.execute(
                update(logged_models)
                .where(_lm.model_id == model_id)
                .values(status=status, last_updated_time=now_ms())
            )
            if done.rowcount == 0:
                raise _not_found(model_id)

        self.db.write(write)
        return self.get_logged_model(model_id)

    def delete_logged_model(self, model_id: str) -> None:
        def write(conn: Connection) -> None:
            self._require(conn, model_id)
            for table in (
                logged_model_tags,
                logged_model_params,
                logged_model_metrics,
                run_model_links,
            ):
                conn.execute(delete(table).where(table.c.model_id == model_id))
            conn.execute(delete(logged_models).where(_lm.model_id == model_id))

        self.db.write(write)

    def set_logged_model_tags(self, model_id: str, tags: Mapping[str, str]) -> None:
        clean = _tags(tags)

        def write(conn: Connection) -> None:
            self._require(conn, model_id)
            self._write_tags(conn, model_id, clean)
            self._touch(conn, model_id)

        self.db.write(write)

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        t = logged_model_tags.c

        def write(conn: Connection) -> None:
            self._require(conn, model_id)
            gone = conn.execute(
                delete(logged_model_tags).where(t.model_id == model_id, t.key == key)
            )
            if gone.rowcount == 0:
                raise NotFoundError(f"logged model {model_id!r} has no tag {key!r}")
            self._touch(conn, model_id)

        self.db.write(write)

    def log_logged_model_params(self, model_id: str, params: Mapping[str, str]) -> None:
        clean = _params(params)

        def write(conn: Connection) -> None:
            self._require(conn, model_id)
            self._write_params(conn, model_id, clean)
            self._touch(conn, model_id)

        self.db.write(write)

    def log_logged_model_metrics(self, run_id: str, metrics: Sequence[Metric]) -> None:
        rows: list[dict[str, Any]] = []
        for point in metrics:
            if not point.model_id:
                raise InvalidInputError(f"metric {point.key!r}: model_id must be given")
            nan = math.isnan(point.value)
            rows.append(
                {
                    "model_id": point.model_id,
                    "key": point.key,
                    "timestamp": point.timestamp,
                    "step": point.step,
                    "run_uuid": run_id,
                    "value": 0.0 if nan else point.value,
                    "is_nan": nan,
                    "dataset_name": point.dataset_name or "",
                    "dataset_digest": point.dataset_digest or "",
                }
            )
        if not rows:
            return
        wanted = sorted({str(r["model_id"]) for r in rows})

        def write(conn: Connection) -> None:
            if (
                conn.execute(select(runs.c.run_uuid).where(runs.c.run_uuid == run_id)).first()
                is None
            ):
                raise NotFoundError(f"run {run_id!r} not found")
            found = set(
                conn.execute(select(_lm.model_id).where(_lm.model_id.in_(wanted))).scalars()
            )
            for model_id in wanted:
                if model_id not in found:
                    raise _not_found(model_id)
            stmt = _insert(conn, logged_model_metrics)
            stmt = stmt.on_conflict_do_update(
                index_elements=["model_id", "key", "timestamp", "step", "run_uuid"],
                set_={
                    "value": stmt.excluded.value,
                    "is_nan": stmt.excluded.is_nan,
                    "dataset_name": stmt.excluded.dataset_name,
                    "dataset_digest": stmt.excluded.dataset_digest,
                },
            )
            conn.execute(stmt, rows)

        self.db.write(write)

    def link_run_models(
        self,
        run_id: str,
        inputs: Sequence[str] = (),
        outputs: Sequence[tuple[str, int]] = (),
    ) -> None:
        rows = [
            {"run_uuid": run_id, "model_id": m, "direction": "input", "step": 0} for m in inputs
        ]
        rows += [
            {"run_uuid": run_id, "model_id": m, "direction": "output", "step": int(step)}
            for m, step in outputs
        ]
        wanted = sorted({str(r["model_id"]) for r in rows})

        def write(conn: Connection) -> None:
            require_active_run(conn, run_id)
            found = set(
                conn.execute(select(_lm.model_id).where(_lm.model_id.in_(wanted))).scalars()
            )
            for model_id in wanted:
                if model_id not in found:
                    raise _not_found(model_id)
            if rows:
                stmt = _insert(conn, run_model_links).on_conflict_do_nothing()
                conn.execute(stmt, rows)

        self.db.write(write)

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: Sequence[OrderBy] | None = None,
        page_token: str | None = None,
    ) -> PagedList[LoggedModel]:
        if not experiment_ids:
            raise InvalidInputError("experiment_ids: at least one experiment id is required")
        ids = [_exp_id(e) for e in experiment_ids]
        limit = DEFAULT_MAX_RESULTS if max_results is None else max_results
        limit = check.max_results(limit, MAX_RESULTS)
        node = parse_logged_model_filter(filter_string)
        clauses = _order_clauses(list(order_by or ()))
        fingerprint = _pages.query_fingerprint(
            sorted(ids), filter_string or "", [list(o) for o in order_by or ()]
        )
        offset = _pages.decode(page_token, fingerprint)
        query = select(logged_models).where(_lm.experiment_id.in_(ids))
        if node is not None:
            query = query.where(_compile(node, _comparison))
        query = query.order_by(*clauses).offset(offset).limit(limit + 1)
        with self.db.read() as conn:
            rows = conn.execute(query).all()
            models = self._models(conn, rows[:limit])
        token = _pages.encode(offset + limit, fingerprint) if len(rows) > limit else None
        return PagedList(models, token)
