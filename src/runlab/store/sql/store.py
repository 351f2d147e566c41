"""SqlStore: the tracking store on SQLite (embedded default) and PostgreSQL (teams)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from runlab import _validation as check
from runlab.entities import (
    DatasetInput,
    Experiment,
    LifecycleStage,
    Metric,
    PagedList,
    Param,
    Run,
    RunGroups,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from runlab.errors import AlreadyExistsError, ConflictError, InvalidInputError, NotFoundError
from runlab.store import filter as flt
from runlab.store.base import TrackingStore, check_downsample_args
from runlab.store.run_table import RunTable
from runlab.store.sql import _downsample, _hydrate, _interval, _logging, _pages, _raw, run_search
from runlab.store.sql import search as sql_search
from runlab.store.sql._engine import Database
from runlab.store.sql._migrate import ensure_schema
from runlab.store.sql.run_search import SqlText
from runlab.store.sql.schema import (
    datasets,
    experiment_tags,
    experiments,
    input_tags,
    latest_metrics,
    metrics,
    params,
    run_inputs,
    runs,
)
from runlab.store.sql.schema import tags as tags_table

DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"
_RUN_CHILD_TABLES = (input_tags, run_inputs, latest_metrics, metrics, params, tags_table)


def now_ms() -> int:
    return int(time.time() * 1000)


def _exp_id(value: str | int) -> int:
    # A well-formed number past int64 is a bad value (400), not an id that may exist.
    text = str(value)
    if text.isascii() and text.isdigit() and (len(text) > 19 or int(text) > check.INT64_MAX):
        raise InvalidInputError(f"experiment_id {text} is out of range (at most 2^63-1)")
    try:
        return int(check.experiment_id(value))
    except InvalidInputError:
        raise NotFoundError(f"experiment {value!r} not found") from None


class SqlStore(TrackingStore):
    """Metadata in a SQL database; artifacts under ``default_artifact_root``."""

    def __init__(self, db_uri: str, default_artifact_root: str) -> None:
        self.db_uri = db_uri
        self.artifact_root = default_artifact_root.rstrip("/")
        self.db = Database(db_uri)
        try:
            ensure_schema(self.db, db_uri, self._seed)
        except BaseException:
            self.db.dispose()  # a refused database leaves no open connection behind
            raise

    def _seed(self, conn: Connection) -> None:
        t = now_ms()
        conn.execute(
            insert(experiments).values(
                experiment_id=int(DEFAULT_EXPERIMENT_ID),
                name=DEFAULT_EXPERIMENT_NAME,
                artifact_location=f"{self.artifact_root}/{DEFAULT_EXPERIMENT_ID}",
                lifecycle_stage=LifecycleStage.ACTIVE,
                creation_time=t,
                last_update_time=t,
            )
        )

    def close(self) -> None:
        self.db.dispose()

    # ================================================================ experiments
    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> str:
        name = check.experiment_name(name)
        tag_rows = {
            check.key("experiment tag", k): check.tag_value(
                k, v, check.MAX_EXPERIMENT_TAG_VALUE_LENGTH
            )
            for k, v in (tags or {}).items()
        }

        def create(conn: Connection) -> str:
            existing = conn.execute(
                select(experiments.c.lifecycle_stage).where(experiments.c.name == name)
            ).scalar()
            if existing is not None:
                hint = (
                    " (in the deleted stage: restore it or purge it)"
                    if existing == (LifecycleStage.DELETED)
                    else ""
                )
                raise AlreadyExistsError(f"experiment {name!r} already exists{hint}")
            t = now_ms()
            new_id = conn.execute(
                insert(experiments)
                .values(
                    name=name,
                    artifact_location=artifact_location or "",
                    lifecycle_stage=LifecycleStage.ACTIVE,
                    creation_time=t,
                    last_update_time=t,
                )
                .returning(experiments.c.experiment_id)
            ).scalar_one()
            if not artifact_location:
                conn.execute(
                    update(experiments)
                    .where(experiments.c.experiment_id == new_id)
                    .values(artifact_location=f"{self.artifact_root}/{new_id}")
                )
            if tag_rows:
                conn.execute(
                    insert(experiment_tags),
                    [{"experiment_id": new_id, "key": k, "value": v} for k, v in tag_rows.items()],
                )
            return str(new_id)

        return self.db.write(create)

    def _experiments(self, conn: Connection, where: Any) -> list[Experiment]:
        rows = conn.execute(select(experiments).where(where)).all()
        return self._experiment_entities(conn, rows)

    @staticmethod
    def _experiment_entities(conn: Connection, rows: Sequence[Any]) -> list[Experiment]:
        ids = [r.experiment_id for r in rows]
        tag_map: dict[int, dict[str, str]] = {i: {} for i in ids}
        if ids:
            for eid, key, value in conn.execute(
                select(experiment_tags).where(experiment_tags.c.experiment_id.in_(ids))
            ):
                tag_map[eid][key] = value
        return [
            Experiment(
                experiment_id=str(r.experiment_id),
                name=r.name,
                artifact_location=r.artifact_location,
                lifecycle_stage=r.lifecycle_stage,
                tags=tag_map[r.experiment_id],
                creation_time=r.creation_time,
                last_update_time=r.last_update_time,
            )
            for r in rows
        ]

    def get_experiment(self, experiment_id: str) -> Experiment:
        eid = _exp_id(experiment_id)
        with self.db.read() as conn:
            found = self._experiments(conn, experiments.c.experiment_id == eid)
        if not found:
            raise NotFoundError(f"experiment {experiment_id!r} not found")
        return found[0]

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        with self.db.read() as conn:
            found = self._experiments(conn, experiments.c.name == name)
        return found[0] if found else None

    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        view_type = ViewType.parse(view_type)
        max_results = check.max_results(max_results, check.MAX_RESULTS_SEARCH_EXPERIMENTS)
        node = flt.parse_experiment_filter(filter_string)
        keys = flt.parse_experiment_order_by(order_by)
        fingerprint = _pages.query_fingerprint(
            "experiments", int(view_type), filter_string, list(order_by or ())
        )
        offset = _pages.decode(page_token, fingerprint)
        q = select(experiments).where(experiments.c.lifecycle_stage.in_(view_type.stages()))
        clause = sql_search.experiment_filter_clause(node)
        if clause is not None:
            q = q.where(clause)
        q = q.order_by(*sql_search.experiment_order_clauses(keys))
        q = q.limit(max_results + 1).offset(offset)
        with self.db.read() as conn:
            rows = conn.execute(q).all()
            found = self._experiment_entities(conn, rows[:max_results])
        token = (
            _pages.encode(offset + max_results, fingerprint) if len(rows) > max_results else None
        )
        return PagedList(found, token)

    def _update_experiment(self, experiment_id: str, **values: Any) -> None:
        eid = _exp_id(experiment_id)

        def apply(conn: Connection) -> None:
            done = conn.execute(
                update(experiments)
                .where(experiments.c.experiment_id == eid)
                .values(last_update_time=now_ms(), **values)
            )
            if done.rowcount == 0:
                raise NotFoundError(f"experiment {experiment_id!r} not found")

        self.db.write(apply)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        new_name = check.experiment_name(new_name)
        eid = _exp_id(experiment_id)

        def rename(conn: Connection) -> None:
            owner = conn.execute(
                select(experiments.c.experiment_id).where(experiments.c.name == new_name)
            ).scalar()
            if owner is not None and owner != eid:
                raise AlreadyExistsError(f"experiment {new_name!r} already exists")
            stage = self._stage(conn, eid, experiment_id)
            if stage != LifecycleStage.ACTIVE:
                raise ConflictError(
                    f"experiment {experiment_id!r} is deleted; restore it before renaming it"
                )
            conn.execute(
                update(experiments)
                .where(experiments.c.experiment_id == eid)
                .values(name=new_name, last_update_time=now_ms())
            )

        self.db.write(rename)

    @staticmethod
    def _stage(conn: Connection, eid: int, shown: str) -> str:
        stage = conn.execute(
            select(experiments.c.lifecycle_stage).where(experiments.c.experiment_id == eid)
        ).scalar()
        if stage is None:
            raise NotFoundError(f"experiment {shown!r} not found")
        return str(stage)

    def delete_experiment(self, experiment_id: str) -> None:
        eid = _exp_id(experiment_id)
        if str(eid) == DEFAULT_EXPERIMENT_ID:
            raise InvalidInputError("the Default experiment (id 0) cannot be deleted")

        def remove(conn: Connection) -> None:
            self._stage(conn, eid, experiment_id)
            t = now_ms()
            conn.execute(
                update(experiments)
                .where(experiments.c.experiment_id == eid)
                .values(lifecycle_stage=LifecycleStage.DELETED, last_update_time=t)
            )
            # Runs go with their experiment; the shared timestamp lets restore bring back
            # exactly these and not runs deleted on their own earlier.
            conn.execute(
                update(runs)
                .where(
                    runs.c.experiment_id == eid,
                    runs.c.lifecycle_stage == LifecycleStage.ACTIVE,
                )
                .values(lifecycle_stage=LifecycleStage.DELETED, deleted_time=t)
            )

        self.db.write(remove)

    def restore_experiment(self, experiment_id: str) -> None:
        eid = _exp_id(experiment_id)

        def restore(conn: Connection) -> None:
            row = conn.execute(
                select(experiments.c.lifecycle_stage, experiments.c.last_update_time).where(
                    experiments.c.experiment_id == eid
                )
            ).first()
            if row is None:
                raise NotFoundError(f"experiment {experiment_id!r} not found")
            if row.lifecycle_stage == LifecycleStage.ACTIVE:
                return
            conn.execute(
                update(runs)
                .where(runs.c.experiment_id == eid, runs.c.deleted_time == row.last_update_time)
                .values(lifecycle_stage=LifecycleStage.ACTIVE, deleted_time=None)
            )
            conn.execute(
                update(experiments)
                .where(experiments.c.experiment_id == eid)
                .values(lifecycle_stage=LifecycleStage.ACTIVE, last_update_time=now_ms())
            )

        self.db.write(restore)

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        key = check.key("experiment tag", key)
        value = check.tag_value(key, value, check.MAX_EXPERIMENT_TAG_VALUE_LENGTH)
        eid = _exp_id(experiment_id)

        def set_tag(conn: Connection) -> None:
            if self._stage(conn, eid, experiment_id) != LifecycleStage.ACTIVE:
                raise ConflictError(f"experiment {experiment_id!r} is deleted")
            stmt = _logging._insert(conn, experiment_tags)
            stmt = stmt.on_conflict_do_update(
                index_elements=["experiment_id", "key"], set_={"value": stmt.excluded.value}
            )
            conn.execute(stmt, {"experiment_id": eid, "key": key, "value": value})

        self.db.write(set_tag)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        eid = _exp_id(experiment_id)

        def drop(conn: Connection) -> None:
            self._stage(conn, eid, experiment_id)
            done = conn.execute(
                delete(experiment_tags).where(
                    experiment_tags.c.experiment_id == eid, experiment_tags.c.key == key
                )
            )
            if done.rowcount == 0:
                raise NotFoundError(f"experiment {experiment_id!r} has no tag {key!r}")

        self.db.write(drop)

    # ================================================================ runs
    def create_run(
        self,
        experiment_id: str,
        user_id: str,
        start_time: int,
        tags: dict[str, str],
        run_name: str,
        run_id: str | None = None,
    ) -> RunInfo:
        eid = _exp_id(experiment_id)
        run_id = check.run_id(run_id) if run_id else uuid.uuid4().hex
        run_name = check.run_name(run_name)
        tag_rows = {check.key("tag", k): check.tag_value(k, v) for k, v in tags.items()}
        tag_rows[_logging.RUN_NAME_TAG] = run_name

        def create(conn: Connection) -> RunInfo:
            # Plain SQL (see _raw): this runs once per run, and Core costs more than SQLite.
            exp = _raw.fetch(
                conn,
                "SELECT lifecycle_stage, artifact_location FROM experiments "
                "WHERE experiment_id = ?",
                (eid,),
            )
            if not exp:
                raise NotFoundError(f"experiment {experiment_id!r} not found")
            stage, location = exp[0]
            if stage != LifecycleStage.ACTIVE:
                raise ConflictError(
                    f"experiment {experiment_id!r} is deleted; runs cannot be created in it"
                )
            info = RunInfo(
                run_id=run_id,
                experiment_id=str(eid),
                run_name=run_name,
                user_id=user_id,
                status=RunStatus.RUNNING,
                start_time=start_time,
                end_time=None,
                artifact_uri=f"{location.rstrip('/')}/{run_id}/artifacts",
                lifecycle_stage=LifecycleStage.ACTIVE,
            )
            if _raw.fetch(conn, "SELECT 1 FROM runs WHERE run_uuid = ?", (run_id,)):
                raise AlreadyExistsError(f"run {run_id!r} already exists")
            _raw.run(
                conn,
                "INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, "
                "end_time, lifecycle_stage, artifact_uri) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    run_name,
                    eid,
                    user_id,
                    info.status,
                    start_time,
                    None,
                    info.lifecycle_stage,
                    info.artifact_uri,
                ),
            )
            _raw.run_many(
                conn,
                "INSERT INTO tags (run_uuid, key, value) VALUES (?, ?, ?)",
                [(run_id, k, v) for k, v in tag_rows.items()],
            )
            return info

        return self.db.write(create)

    def get_run(self, run_id: str) -> Run:
        with self.db.read() as conn:
            row = conn.execute(
                select(*_hydrate.RUN_COLUMNS).where(runs.c.run_uuid == run_id)
            ).first()
            if row is None:
                raise NotFoundError(f"run {run_id!r} not found")
            return _hydrate.load_runs(conn, [row])[0]

    def update_run_info(
        self,
        run_id: str,
        status: str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        values: dict[str, Any] = {}
        if status is not None:
            if status not in RunStatus.ALL:
                raise InvalidInputError(
                    f"status {status!r} is not one of {', '.join(RunStatus.ALL)}"
                )
            values["status"] = status
        if end_time is not None:
            values["end_time"] = check.int64("end_time", end_time)
        if run_name is not None:
            values["name"] = check.run_name(run_name)

        def apply(conn: Connection) -> RunInfo:
            _logging.require_active_run(conn, run_id)
            if values:  # the column names are ours, never the caller's
                assignments = ", ".join(f"{column} = ?" for column in values)
                _raw.run(
                    conn,
                    f"UPDATE runs SET {assignments} WHERE run_uuid = ?",
                    (*values.values(), run_id),
                )
            if run_name is not None:
                _logging.write_tags(conn, run_id, [RunTag(_logging.RUN_NAME_TAG, run_name)])
            return _hydrate.run_info_by_id(conn, run_id)

        return self.db.write(apply)

    def _set_run_stage(self, run_id: str, stage: str) -> None:
        def apply(conn: Connection) -> None:
            done = conn.execute(
                update(runs)
                .where(runs.c.run_uuid == run_id)
                .values(
                    lifecycle_stage=stage,
                    deleted_time=now_ms() if stage == LifecycleStage.DELETED else None,
                )
            )
            if done.rowcount == 0:
                raise NotFoundError(f"run {run_id!r} not found")

        self.db.write(apply)

    def delete_run(self, run_id: str) -> None:
        self._set_run_stage(run_id, LifecycleStage.DELETED)

    def restore_run(self, run_id: str) -> None:
        self._set_run_stage(run_id, LifecycleStage.ACTIVE)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        if not (metrics or params or tags):
            return

        def apply(conn: Connection) -> None:
            _logging.require_active_run(conn, run_id)
            if params:
                _logging.write_params(conn, run_id, params)
            if tags:
                _logging.write_tags(conn, run_id, tags)
            if metrics:
                _logging.write_metrics(conn, run_id, metrics)

        self.db.write(apply)

    def delete_tag(self, run_id: str, key: str) -> None:
        def apply(conn: Connection) -> None:
            _logging.require_active_run(conn, run_id)
            done = conn.execute(
                delete(tags_table).where(tags_table.c.run_uuid == run_id, tags_table.c.key == key)
            )
            if done.rowcount == 0:
                raise NotFoundError(f"run {run_id!r} has no tag {key!r}")

        self.db.write(apply)

    def log_inputs(self, run_id: str, datasets_in: Sequence[DatasetInput]) -> None:
        def apply(conn: Connection) -> None:
            _logging.require_active_run(conn, run_id)
            eid = conn.execute(
                select(runs.c.experiment_id).where(runs.c.run_uuid == run_id)
            ).scalar_one()
            for item in datasets_in:
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
                        insert(datasets).values(
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
                            {
                                "run_uuid": run_id,
                                "dataset_uuid": ds_id,
                                "key": t.key,
                                "value": t.value,
                            }
                            for t in item.tags
                        ],
                    )

        self.db.write(apply)

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[Metric]:
        fingerprint = _pages.query_fingerprint("history", run_id, key)
        offset = _pages.decode(page_token, fingerprint)
        m = metrics.c
        q = (
            select(m.key, m.value, m.is_nan, m.timestamp, m.step)
            .where(m.run_uuid == run_id, m.key == key)
            .order_by(m.step, m.timestamp, m.value, m.is_nan)
            .offset(offset)
        )
        if max_results is not None:
            q = q.limit(check.max_results(max_results, 10**9) + 1)
        with self.db.read() as conn:
            rows = conn.execute(q).all()
            if not rows and offset == 0:
                exists = conn.execute(select(runs.c.run_uuid).where(runs.c.run_uuid == run_id))
                if exists.first() is None:
                    raise NotFoundError(f"run {run_id!r} not found")
        nan = float("nan")
        points = [Metric(k, nan if n else v, ts, s, run_id) for k, v, n, ts, s in rows]
        token = None
        if max_results is not None and len(points) > max_results:
            points = points[:max_results]
            token = _pages.encode(offset + max_results, fingerprint)
        return PagedList(points, token)

    def get_metric_history_downsampled(
        self,
        run_id: str,
        key: str,
        max_points: int = 2000,
        x_axis: str = "step",
    ) -> list[Metric]:
        max_points, x_axis = check_downsample_args(max_points, x_axis)
        with self.db.read() as conn:
            points = _downsample.history_downsampled(conn, run_id, key, max_points, x_axis)
            if not points:
                exists = conn.execute(select(runs.c.run_uuid).where(runs.c.run_uuid == run_id))
                if exists.first() is None:
                    raise NotFoundError(f"run {run_id!r} not found")
        if points is None:  # a span too wide for SQL integers: thin it in Python
            return super().get_metric_history_downsampled(run_id, key, max_points, x_axis)
        return points

    def get_metric_history_interval(
        self,
        run_ids: Sequence[str],
        key: str,
        max_steps: int,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> dict[str, list[Metric]]:
        if not run_ids:
            return {}
        with self.db.read() as conn:
            found = _interval.interval(conn, run_ids, key, max_steps, start_step, end_step)
            empty = [r for r, points in found.items() if not points]
            missing = _interval.missing_runs(conn, empty) if empty else []
        if missing:
            raise NotFoundError(f"run {missing[0]!r} not found")
        return found

    def count_runs_matching(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
    ) -> int:
        view = ViewType.parse(run_view_type)
        ids = sorted({_search_exp_id(e) for e in experiment_ids})
        node = flt.parse_run_filter(filter_string)
        if not ids:
            return 0
        where, params = _run_conditions(ids, view, node)
        with self.db.read() as conn:
            found = _raw.fetch(conn, f"SELECT count(*) FROM runs WHERE {where}", params)
            return int(found[0][0])

    def group_runs(
        self,
        experiment_ids: Sequence[str],
        group_by: str,
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        metric_keys: Sequence[str] | None = None,
        max_groups: int = 1000,
    ) -> RunGroups:
        from runlab.store import grouping
        from runlab.store.sql import groups

        key, keys, limit = grouping.check_group_args(group_by, metric_keys, max_groups)
        view = ViewType.parse(run_view_type)
        ids = sorted({_search_exp_id(e) for e in experiment_ids})
        node = flt.parse_run_filter(filter_string)
        if not ids:
            return RunGroups([], truncated=False)
        where = [runs.c.experiment_id.in_(ids), runs.c.lifecycle_stage.in_(view.stages())]
        clause = run_search.run_filter_clause(node)
        if clause is not None:
            where.append(clause)
        with self.db.read() as conn:
            rows = conn.execute(groups.group_query(where, key, keys, limit)).all()
        return groups.read_groups(rows, keys, limit)

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        query = (experiment_ids, filter_string, run_view_type, max_results, order_by, page_token)
        with self.db.read() as conn:
            rows, token = self._run_page(conn, *query)
            return PagedList(_hydrate.load_runs(conn, rows), token)

    def search_run_table(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> RunTable:
        """The page :meth:`search_runs` returns, as columns (see runlab.store.run_table)."""
        query = (experiment_ids, filter_string, run_view_type, max_results, order_by, page_token)
        with self.db.read() as conn:
            rows, token = self._run_page(conn, *query)
            return _hydrate.load_table(conn, rows, token)

    def _run_page(
        self,
        conn: Connection,
        experiment_ids: Sequence[str],
        filter_string: str | None,
        run_view_type: ViewType,
        max_results: int,
        order_by: Sequence[str] | None,
        page_token: str | None,
    ) -> tuple[Sequence[Any], str | None]:
        """The run rows (RUN_COLUMNS) of one page, and the token of the next."""
        view = ViewType.parse(run_view_type)
        max_results = check.max_results(max_results, check.MAX_RESULTS_SEARCH_RUNS)
        ids = sorted({_search_exp_id(e) for e in experiment_ids})
        node = flt.parse_run_filter(filter_string)
        keys = flt.parse_order_by(order_by)
        fingerprint = _pages.query_fingerprint(
            "runs", ids, int(view), filter_string, list(order_by or ())
        )
        offset = _pages.decode(page_token, fingerprint)
        if not ids:
            return [], None
        where, params = _run_conditions(ids, view, node)
        order, order_params = run_search.run_order_sql(keys)
        rows = _raw.fetch(
            conn,
            f"SELECT {_hydrate.RUN_SELECT} FROM runs WHERE {where} ORDER BY {order} "
            "LIMIT ? OFFSET ?",
            [*params, *order_params, max_results + 1, offset],
        )
        if len(rows) <= max_results:
            return rows, None
        return rows[:max_results], _pages.encode(offset + max_results, fingerprint)

    # ================================================================ housekeeping
    def deleted_run_ids(self, older_than_ms: int | None = None) -> list[str]:
        q = select(runs.c.run_uuid).where(runs.c.lifecycle_stage == LifecycleStage.DELETED)
        if older_than_ms is not None:
            q = q.where(runs.c.deleted_time < older_than_ms)
        with self.db.read() as conn:
            return list(conn.execute(q.order_by(runs.c.run_uuid)).scalars())

    def purge_run(self, run_id: str) -> None:
        def purge(conn: Connection) -> None:
            stage = conn.execute(
                select(runs.c.lifecycle_stage).where(runs.c.run_uuid == run_id)
            ).scalar()
            if stage is None:
                raise NotFoundError(f"run {run_id!r} not found")
            if stage != LifecycleStage.DELETED:
                raise ConflictError(f"run {run_id!r} is active; delete it before purging it")
            for table in _RUN_CHILD_TABLES:
                conn.execute(delete(table).where(table.c.run_uuid == run_id))
            conn.execute(delete(runs).where(runs.c.run_uuid == run_id))

        self.db.write(purge)

    def count_runs(self) -> int:
        with self.db.read() as conn:
            return int(conn.execute(select(func.count()).select_from(runs)).scalar_one())


def _run_conditions(ids: Sequence[int], view: ViewType, node: flt.Node | None) -> SqlText:
    """The WHERE of a run search (SQL text, see run_search): experiments, stage, filter."""
    stages = list(view.stages())
    where = (
        f"runs.experiment_id IN ({_raw.placeholders(len(ids))}) "
        f"AND runs.lifecycle_stage IN ({_raw.placeholders(len(stages))})"
    )
    params: list[Any] = [*ids, *stages]
    condition = run_search.run_filter_sql(node)
    if condition is not None:
        where += f" AND {condition[0]}"
        params += condition[1]
    return where, params


def _search_exp_id(value: str | int) -> int:
    try:
        return int(check.experiment_id(value))
    except InvalidInputError:
        raise InvalidInputError(f"experiment_ids: {value!r} is not a valid experiment id") from None
