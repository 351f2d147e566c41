"""The experiment half of :class:`~runlab.store.sql.store.SqlStore`: create, read, search,
rename, delete and restore experiments, and their tags."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from runlab import _validation as check
from runlab.entities import (
    Experiment,
    LifecycleStage,
    PagedList,
    ViewType,
)
from runlab.errors import AlreadyExistsError, ConflictError, InvalidInputError, NotFoundError
from runlab.store import filter as flt
from runlab.store.sql import _logging, _pages
from runlab.store.sql import search as sql_search
from runlab.store.sql._common import experiment_key as _exp_id
from runlab.store.sql._common import inserted_id, now_ms
from runlab.store.sql._engine import Database
from runlab.store.sql.schema import (
    experiment_tags,
    experiments,
    runs,
)

DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"


class ExperimentMethods:
    """Mixed into SqlStore; works on its ``db`` and ``artifact_root``."""

    db: Database
    artifact_root: str

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
            new_id = inserted_id(
                conn.execute(
                    insert(experiments).values(
                        name=name,
                        artifact_location=artifact_location or "",
                        lifecycle_stage=LifecycleStage.ACTIVE,
                        creation_time=t,
                        last_update_time=t,
                    )
                )
            )
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
            # The mark must differ from every earlier deletion time in the experiment, even
            # one made in the same millisecond, or restore would revive that run too.
            latest = conn.execute(
                select(func.max(runs.c.deleted_time)).where(runs.c.experiment_id == eid)
            ).scalar()
            t = max(now_ms(), (latest or 0) + 1)
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
