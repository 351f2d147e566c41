"""SqlStore: the tracking store on SQLite (embedded default) and PostgreSQL (teams)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from runlab import _validation as check
from runlab import environment_variables as env
from runlab.entities import (
    DatasetInput,
    Experiment,
    LifecycleStage,
    Metric,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTag,
)
from runlab.errors import (
    AlreadyExistsError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    RunlabError,
)
from runlab.store.base import TrackingStore
from runlab.store.imports import RunRecord
from runlab.store.sql import _heartbeats, _hydrate, _import, _logging, _raw
from runlab.store.sql._common import experiment_key as _exp_id
from runlab.store.sql._common import now_ms
from runlab.store.sql._engine import Database
from runlab.store.sql._experiments import (
    DEFAULT_EXPERIMENT_ID,
    DEFAULT_EXPERIMENT_NAME,
    ExperimentMethods,
)
from runlab.store.sql._heartbeats import HeartbeatMethods
from runlab.store.sql._migrate import ensure_schema
from runlab.store.sql._run_queries import RunQueryMethods
from runlab.store.sql._series_batch import SeriesBatchMethods
from runlab.store.sql.schema import (
    experiments,
    input_tags,
    latest_metrics,
    logged_model_metrics,
    metrics,
    params,
    run_heartbeats,
    run_inputs,
    run_model_links,
    runs,
)
from runlab.store.sql.schema import tags as tags_table

_log = logging.getLogger(__name__)

_RUN_CHILD_TABLES = (
    run_model_links,
    logged_model_metrics,
    run_heartbeats,
    input_tags,
    run_inputs,
    latest_metrics,
    metrics,
    params,
    tags_table,
)


class SqlStore(
    ExperimentMethods, RunQueryMethods, SeriesBatchMethods, HeartbeatMethods, TrackingStore
):
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
        # Whoever opens the database ends the runs of crashed processes (the embedded store
        # has no server to sweep for it); failing at this never stops the opening.
        try:
            self.end_crashed_runs(int(env.RUNLAB_HEARTBEAT_TIMEOUT.get() * 1000))
        except RunlabError as exc:
            _log.warning("runlab: could not end the runs of crashed processes: %s", exc)

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
        tag_rows = {check.key("tag", k): check.tag_value(k, v) for k, v in tags.items()}
        # A run always has a name, as on a tracking server: the given one, else its
        # mlflow.runName tag, else a generated one.
        run_name = check.run_name(run_name) or tag_rows.get(_logging.RUN_NAME_TAG) or ""
        if not run_name:
            from runlab.store._names import generate_run_name

            run_name = generate_run_name()
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
            if status is not None and status != RunStatus.FAILED:
                # The run's own end, arriving after the sweep ended it (its process was
                # offline): the process knows better than the sweep did.
                _raw.run(
                    conn,
                    "DELETE FROM tags WHERE run_uuid = ? AND key = ?",
                    (run_id, _heartbeats.CRASHED_TAG),
                )
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
            _heartbeats.touch(conn, run_id)

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
        for i, item in enumerate(datasets_in):
            check.dataset_input(i, item)

        def apply(conn: Connection) -> None:
            _logging.require_active_run(conn, run_id)
            eid = conn.execute(
                select(runs.c.experiment_id).where(runs.c.run_uuid == run_id)
            ).scalar_one()
            _import.link_inputs(conn, int(eid), run_id, datasets_in)

        self.db.write(apply)

    # ================================================================ imports
    def import_experiment(self, experiment: Experiment) -> str:
        return self.db.write(
            lambda conn: _import.import_experiment(conn, experiment, self.artifact_root)
        )

    def import_runs(self, experiment_id: str, runs: Sequence[RunRecord]) -> list[RunInfo]:
        if not runs:
            return []
        return self.db.write(lambda conn: _import.import_runs(conn, experiment_id, runs))

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
