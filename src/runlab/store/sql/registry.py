"""SqlRegistryStore: the model registry in the tracking store's own database.

It shares the :class:`~runlab.store.sql._engine.Database` (engine, write lock,
retries) of the :class:`~runlab.store.sql.store.SqlStore` it was built from, so one
``sqlite:///`` file or PostgreSQL database holds runs and models together.

Version numbers come from ``registered_models.last_version``, bumped with one
``UPDATE … RETURNING``: on PostgreSQL the row lock makes a concurrent creator wait
and then see the bumped value; on SQLite ``BEGIN IMMEDIATE`` serialises writers. So
two processes never get the same number, and a deleted number is never reused.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from runlab.entities import (
    ModelVersion,
    ModelVersionStage,
    ModelVersionStageTransition,
    ModelVersionStatus,
    PagedList,
    RegisteredModel,
)
from runlab.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from runlab.store import filter as flt
from runlab.store import registry_base as rules
from runlab.store.imports import ModelRecord
from runlab.store.registry_base import RegistryStore
from runlab.store.sql import _import_models, _pages
from runlab.store.sql import _lineage as lineage
from runlab.store.sql import registry_search as rsearch
from runlab.store.sql._common import inserted_id, now_ms
from runlab.store.sql._engine import Database
from runlab.store.sql._logging import _insert
from runlab.store.sql.schema import (
    model_version_stage_transitions,
    model_version_tags,
    model_versions,
    registered_model_aliases,
    registered_model_tags,
    registered_models,
)

__all__ = ["SqlRegistryStore"]

_rm, _mv = registered_models.c, model_versions.c
_VERSION_COLUMNS = (_rm.name, *model_versions.c)
_VERSIONS_FROM = model_versions.join(registered_models, _mv.model_id == _rm.model_id)
_CHUNK = 500  # ids per IN (...) when loading tags and aliases


def _model_not_found(name: str) -> NotFoundError:
    return NotFoundError(f"registered model {name!r} not found")


def _version_not_found(name: str, version: int) -> NotFoundError:
    return NotFoundError(f"model version {version} of registered model {name!r} not found")


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start : start + _CHUNK])


class SqlRegistryStore(RegistryStore):
    """The registry tables of one SQL database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def close(self) -> None:
        """Nothing to do: the database belongs to the tracking store that shares it."""

    # ================================================================ lookups
    @staticmethod
    def _model_id(conn: Connection, name: str, lock: bool = False) -> int:
        """The model's id; with ``lock``, its row stays locked until the transaction ends
        (PostgreSQL; SQLite's writers are serialised already), so concurrent stage moves
        of one model cannot both archive around each other. Writes that lock take the
        model's row first, then its versions', so they cannot deadlock each other."""
        query = select(_rm.model_id).where(_rm.name == name)
        found = conn.execute(query.with_for_update() if lock else query).scalar()
        if found is None:
            raise _model_not_found(name)
        return int(found)

    @staticmethod
    def _require_version(conn: Connection, model_id: int, name: str, version: int) -> str:
        """The version's stage; NotFoundError when there is no such version."""
        stage = conn.execute(
            select(_mv.current_stage).where(_mv.model_id == model_id, _mv.version == version)
        ).scalar()
        if stage is None:
            raise _version_not_found(name, version)
        return str(stage)

    @staticmethod
    def _touch(conn: Connection, model_id: int, t: int) -> None:
        conn.execute(
            update(registered_models).where(_rm.model_id == model_id).values(last_updated_time=t)
        )

    # ================================================================ hydration
    def _versions(self, conn: Connection, rows: Sequence[Row[Any]]) -> list[ModelVersion]:
        """Entities for version rows (with ``name``), their tags and aliases in two queries."""
        ids = sorted({r.model_id for r in rows})
        wanted = {(r.model_id, r.version) for r in rows}
        tags: dict[tuple[int, int], dict[str, str]] = {pair: {} for pair in wanted}
        aliases: dict[tuple[int, int], list[str]] = {pair: [] for pair in wanted}
        t, a = model_version_tags.c, registered_model_aliases.c
        for chunk in _chunks(ids):
            for mid, ver, key, value in conn.execute(
                select(t.model_id, t.version, t.key, t.value)
                .where(t.model_id.in_(chunk))
                .order_by(t.key)
            ):
                if (mid, ver) in wanted:
                    tags[(mid, ver)][key] = value
            for mid, ver, alias in conn.execute(
                select(a.model_id, a.version, a.alias)
                .where(a.model_id.in_(chunk))
                .order_by(a.alias)
            ):
                if (mid, ver) in wanted:
                    aliases[(mid, ver)].append(alias)
        return [
            ModelVersion(
                name=r.name,
                version=int(r.version),
                creation_timestamp=r.creation_time,
                last_updated_timestamp=r.last_updated_time,
                description=r.description,
                user_id=r.user_id,
                current_stage=r.current_stage,
                source=r.source,
                run_id=r.run_id,
                run_link=r.run_link,
                status=r.status,
                status_message=r.status_message,
                tags=tags[(r.model_id, r.version)],
                aliases=aliases[(r.model_id, r.version)],
                model_id=r.logged_model_id,
            )
            for r in rows
        ]

    def _version_entity(self, conn: Connection, model_id: int, version: int) -> ModelVersion:
        row = conn.execute(
            select(*_VERSION_COLUMNS)
            .select_from(_VERSIONS_FROM)
            .where(_mv.model_id == model_id, _mv.version == version)
        ).one()
        return self._versions(conn, [row])[0]

    def _latest_per_stage(
        self, conn: Connection, ids: Sequence[int], stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        """The highest version in each stage of each model, ordered by model and stage."""
        if not ids:
            return []
        newest = select(_mv.model_id, _mv.current_stage, func.max(_mv.version).label("version"))
        newest = newest.where(_mv.model_id.in_(ids))
        if stages is not None:
            newest = newest.where(_mv.current_stage.in_(stages))
        top = newest.group_by(_mv.model_id, _mv.current_stage).subquery()
        rows = conn.execute(
            select(*_VERSION_COLUMNS)
            .select_from(_VERSIONS_FROM)
            .join(top, (top.c.model_id == _mv.model_id) & (top.c.version == _mv.version))
            .order_by(_mv.model_id, _mv.version)
        ).all()
        return self._versions(conn, rows)

    def _models(self, conn: Connection, rows: Sequence[Row[Any]]) -> list[RegisteredModel]:
        ids = [int(r.model_id) for r in rows]
        tags: dict[int, dict[str, str]] = {i: {} for i in ids}
        aliases: dict[int, dict[str, int]] = {i: {} for i in ids}
        t, a = registered_model_tags.c, registered_model_aliases.c
        for chunk in _chunks(ids):
            for mid, key, value in conn.execute(
                select(t.model_id, t.key, t.value).where(t.model_id.in_(chunk)).order_by(t.key)
            ):
                tags[mid][key] = value
            for mid, alias, ver in conn.execute(
                select(a.model_id, a.alias, a.version)
                .where(a.model_id.in_(chunk))
                .order_by(a.alias)
            ):
                aliases[mid][alias] = int(ver)
        latest: dict[str, list[ModelVersion]] = {r.name: [] for r in rows}
        for chunk in _chunks(ids):
            for mv in self._latest_per_stage(conn, chunk):
                latest[mv.name].append(mv)
        return [
            RegisteredModel(
                name=r.name,
                creation_timestamp=r.creation_time,
                last_updated_timestamp=r.last_updated_time,
                description=r.description,
                latest_versions=latest[r.name],
                tags=tags[r.model_id],
                aliases=aliases[r.model_id],
            )
            for r in rows
        ]

    def _model_entity(self, conn: Connection, name: str) -> RegisteredModel:
        row = conn.execute(select(registered_models).where(_rm.name == name)).first()
        if row is None:
            raise _model_not_found(name)
        return self._models(conn, [row])[0]

    # ================================================================ registered models
    def _create_registered_model(
        self, name: str, tags: dict[str, str] | None, description: str | None
    ) -> RegisteredModel:
        description = rules.check_description(description)
        tag_rows = dict(
            rules.check_tag("registered model tag", k, v) for k, v in (tags or {}).items()
        )

        def create(conn: Connection) -> RegisteredModel:
            if conn.execute(select(_rm.model_id).where(_rm.name == name)).first() is not None:
                raise AlreadyExistsError(f"registered model {name!r} already exists")
            t = now_ms()
            model_id = inserted_id(
                conn.execute(
                    insert(registered_models).values(
                        name=name,
                        creation_time=t,
                        last_updated_time=t,
                        description=description,
                        last_version=0,
                    )
                )
            )
            if tag_rows:
                conn.execute(
                    insert(registered_model_tags),
                    [{"model_id": model_id, "key": k, "value": v} for k, v in tag_rows.items()],
                )
            return self._model_entity(conn, name)

        return self.db.write(create)

    def get_registered_model(self, name: str) -> RegisteredModel:
        with self.db.read() as conn:
            return self._model_entity(conn, name)

    def _rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        def rename(conn: Connection) -> RegisteredModel:
            model_id = self._model_id(conn, name)
            owner = conn.execute(select(_rm.model_id).where(_rm.name == new_name)).scalar()
            if owner is not None and owner != model_id:
                raise AlreadyExistsError(f"registered model {new_name!r} already exists")
            conn.execute(
                update(registered_models)
                .where(_rm.model_id == model_id)
                .values(name=new_name, last_updated_time=now_ms())
            )
            return self._model_entity(conn, new_name)

        return self.db.write(rename)

    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel:
        description = rules.check_description(description)

        def apply(conn: Connection) -> RegisteredModel:
            model_id = self._model_id(conn, name)
            conn.execute(
                update(registered_models)
                .where(_rm.model_id == model_id)
                .values(description=description, last_updated_time=now_ms())
            )
            return self._model_entity(conn, name)

        return self.db.write(apply)

    def delete_registered_model(self, name: str) -> None:
        def remove(conn: Connection) -> None:
            model_id = self._model_id(conn, name, lock=True)
            # Children first: correct even where the database does not cascade.
            for table in (
                model_version_stage_transitions,
                registered_model_aliases,
                model_version_tags,
                model_versions,
                registered_model_tags,
            ):
                conn.execute(delete(table).where(table.c.model_id == model_id))
            conn.execute(delete(registered_models).where(_rm.model_id == model_id))

        self.db.write(remove)

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = rules.DEFAULT_MAX_RESULTS_REGISTERED_MODELS,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[RegisteredModel]:
        from runlab import _validation as check

        max_results = check.max_results(max_results, rules.MAX_RESULTS_SEARCH_REGISTERED_MODELS)
        node = flt.parse_registered_model_filter(filter_string)
        keys = flt.parse_registered_model_order_by(order_by)
        _no_duplicate_keys(keys, order_by)
        fingerprint = _pages.query_fingerprint("models", filter_string, list(order_by or ()))
        offset = _pages.decode(page_token, fingerprint)
        q = select(registered_models)
        clause = rsearch.registered_model_filter_clause(node)
        if clause is not None:
            q = q.where(clause)
        q = q.order_by(*rsearch.registered_model_order_clauses(keys))
        q = q.limit(max_results + 1).offset(offset)
        with self.db.read() as conn:
            rows = conn.execute(q).all()
            found = self._models(conn, rows[:max_results])
        more = len(rows) > max_results
        return PagedList(found, _pages.encode(offset + max_results, fingerprint) if more else None)

    def _set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        def apply(conn: Connection) -> None:
            model_id = self._model_id(conn, name)
            stmt = _insert(conn, registered_model_tags)
            stmt = stmt.on_conflict_do_update(
                index_elements=["model_id", "key"], set_={"value": stmt.excluded.value}
            )
            conn.execute(stmt, {"model_id": model_id, "key": key, "value": value})

        self.db.write(apply)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        def apply(conn: Connection) -> None:
            model_id = self._model_id(conn, name)
            t = registered_model_tags.c
            done = conn.execute(
                delete(registered_model_tags).where(t.model_id == model_id, t.key == key)
            )
            if done.rowcount == 0:
                raise NotFoundError(f"registered model {name!r} has no tag {key!r}")

        self.db.write(apply)

    # ================================================================ model versions
    def _create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None,
        tags: dict[str, str] | None,
        run_link: str | None,
        description: str | None,
        user_id: str | None,
        model_id: str | None,
    ) -> ModelVersion:
        description = rules.check_description(description)
        tag_rows = dict(rules.check_tag("model version tag", k, v) for k, v in (tags or {}).items())
        if run_id is not None:
            from runlab import _validation as check

            run_id = check.run_id(run_id)

        logged_model_id = model_id  # create() reuses the name for the registered model's id

        def create(conn: Connection) -> ModelVersion:
            origin = lineage.resolve(conn, source, run_id, logged_model_id)
            t = now_ms()
            bump = (
                update(registered_models)
                .where(_rm.name == name)
                .values(last_version=_rm.last_version + 1, last_updated_time=t)
            )
            if conn.dialect.name == "mysql":  # no UPDATE … RETURNING: the row stays locked
                conn.execute(bump)
                found = select(_rm.model_id, _rm.last_version).where(_rm.name == name)
                bumped = conn.execute(found).first()
            else:
                bumped = conn.execute(bump.returning(_rm.model_id, _rm.last_version)).first()
            if bumped is None:
                raise _model_not_found(name)
            model_id, version = int(bumped.model_id), int(bumped.last_version)
            conn.execute(
                insert(model_versions).values(
                    model_id=model_id,
                    version=version,
                    creation_time=t,
                    last_updated_time=t,
                    description=description,
                    user_id=user_id,
                    current_stage=ModelVersionStage.NONE,
                    source=origin.source,
                    run_id=origin.run_id,
                    run_link=run_link,
                    status=ModelVersionStatus.READY,
                    status_message=None,
                    logged_model_id=origin.model_id,
                )
            )
            if origin.model_id is not None:
                lineage.record_version(conn, origin.model_id, name, version)
            if tag_rows:
                conn.execute(
                    insert(model_version_tags),
                    [
                        {"model_id": model_id, "version": version, "key": k, "value": v}
                        for k, v in tag_rows.items()
                    ],
                )
            return self._version_entity(conn, model_id, version)

        return self.db.write(create)

    def _get_model_version(self, name: str, version: int) -> ModelVersion:
        with self.db.read() as conn:
            model_id = self._model_id(conn, name)
            self._require_version(conn, model_id, name, version)
            return self._version_entity(conn, model_id, version)

    def _update_model_version(
        self, name: str, number: int, description: str | None
    ) -> ModelVersion:
        description = rules.check_description(description)

        def apply(conn: Connection) -> ModelVersion:
            model_id = self._model_id(conn, name)
            self._require_version(conn, model_id, name, number)
            t = now_ms()
            conn.execute(
                update(model_versions)
                .where(_mv.model_id == model_id, _mv.version == number)
                .values(description=description, last_updated_time=t)
            )
            return self._version_entity(conn, model_id, number)

        return self.db.write(apply)

    def _delete_model_version(self, name: str, number: int) -> None:
        def remove(conn: Connection) -> None:
            model_id = self._model_id(conn, name, lock=True)
            self._require_version(conn, model_id, name, number)
            for table in (
                model_version_stage_transitions,
                registered_model_aliases,
                model_version_tags,
                model_versions,
            ):
                conn.execute(
                    delete(table).where(table.c.model_id == model_id, table.c.version == number)
                )
            self._touch(conn, model_id, now_ms())

        self.db.write(remove)

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = rules.DEFAULT_MAX_RESULTS_MODEL_VERSIONS,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[ModelVersion]:
        from runlab import _validation as check

        max_results = check.max_results(max_results, rules.MAX_RESULTS_SEARCH_MODEL_VERSIONS)
        node = flt.parse_model_version_filter(filter_string)
        keys = flt.parse_model_version_order_by(order_by)
        _no_duplicate_keys(keys, order_by)
        fingerprint = _pages.query_fingerprint("versions", filter_string, list(order_by or ()))
        offset = _pages.decode(page_token, fingerprint)
        q = select(*_VERSION_COLUMNS).select_from(_VERSIONS_FROM)
        clause = rsearch.model_version_filter_clause(node)
        if clause is not None:
            q = q.where(clause)
        q = q.order_by(*rsearch.model_version_order_clauses(keys))
        q = q.limit(max_results + 1).offset(offset)
        with self.db.read() as conn:
            rows = conn.execute(q).all()
            found = self._versions(conn, rows[:max_results])
        more = len(rows) > max_results
        return PagedList(found, _pages.encode(offset + max_results, fingerprint) if more else None)

    def _set_model_version_tag(self, name: str, number: int, key: str, value: str) -> None:
        def apply(conn: Connection) -> None:
            model_id = self._model_id(conn, name)
            self._require_version(conn, model_id, name, number)
            stmt = _insert(conn, model_version_tags)
            stmt = stmt.on_conflict_do_update(
                index_elements=["model_id", "version", "key"],
                set_={"value": stmt.excluded.value},
            )
            conn.execute(
                stmt, {"model_id": model_id, "version": number, "key": key, "value": value}
            )

        self.db.write(apply)

    def _delete_model_version_tag(self, name: str, number: int, key: str) -> None:
        def apply(conn: Connection) -> None:
            model_id = self._model_id(conn, name)
            self._require_version(conn, model_id, name, number)
            t = model_version_tags.c
            done = conn.execute(
                delete(model_version_tags).where(
                    t.model_id == model_id, t.version == number, t.key == key
                )
            )
            if done.rowcount == 0:
                raise NotFoundError(
                    f"model version {number} of registered model {name!r} has no tag {key!r}"
                )

        self.db.write(apply)

    # ================================================================ stages
    def _transition_model_version_stage(
        self,
        name: str,
        number: int,
        target: str,
        archive_existing_versions: bool,
        user_id: str | None,
    ) -> ModelVersion:
        if archive_existing_versions and target not in ModelVersionStage.ACTIVE:
            raise InvalidInputError(
                f"archive_existing_versions applies only to transitions to "
                f"{' or '.join(ModelVersionStage.ACTIVE)}, not to {target}"
            )

        def apply(conn: Connection) -> ModelVersion:
            model_id = self._model_id(conn, name, lock=True)
            current = self._require_version(conn, model_id, name, number)
            t = now_ms()
            moves: list[tuple[int, str, str]] = []
            if archive_existing_versions:
                others = conn.execute(
                    select(_mv.version, _mv.current_stage).where(
                        _mv.model_id == model_id,
                        _mv.version != number,
                        _mv.current_stage == target,
                    )
                ).all()
                moves.extend((v, s, ModelVersionStage.ARCHIVED) for v, s in others)
            if current != target:
                moves.append((number, current, target))
            for ver, _before, after in moves:
                conn.execute(
                    update(model_versions)
                    .where(_mv.model_id == model_id, _mv.version == ver)
                    .values(current_stage=after, last_updated_time=t)
                )
            if moves:
                conn.execute(
                    insert(model_version_stage_transitions),
                    [
                        {
                            "model_id": model_id,
                            "version": ver,
                            "from_stage": before,
                            "to_stage": after,
                            "user_id": user_id,
                            "timestamp": t,
                        }
                        for ver, before, after in moves
                    ],
                )
                self._touch(conn, model_id, t)
            return self._version_entity(conn, model_id, number)

        return self.db.write(apply)

    def _get_model_version_stage_history(
        self, name: str, number: int
    ) -> list[ModelVersionStageTransition]:
        s = model_version_stage_transitions.c
        with self.db.read() as conn:
            model_id = self._model_id(conn, name)
            self._require_version(conn, model_id, name, number)
            rows = conn.execute(
                select(s.from_stage, s.to_stage, s.user_id, s.timestamp)
                .where(s.model_id == model_id, s.version == number)
                .order_by(s.timestamp, s.id)
            ).all()
        return [
            ModelVersionStageTransition(
                name, number, r.from_stage, r.to_stage, r.user_id, r.timestamp
            )
            for r in rows
        ]

    def _get_latest_versions(self, name: str, wanted: list[str] | None) -> list[ModelVersion]:
        with self.db.read() as conn:
            model_id = self._model_id(conn, name)
            found = self._latest_per_stage(conn, [model_id], wanted)
        if wanted is None:
            return found
        # In the order the stages were asked for.
        by_stage = {mv.current_stage: mv for mv in found}
        return [by_stage[s] for s in dict.fromkeys(wanted) if s in by_stage]

    def _get_model_version_download_uri(self, name: str, version: int) -> str:
        source = self._get_model_version(name, version).source
        assert source is not None  # the column is NOT NULL
        return source

    # ================================================================ aliases
    def _set_registered_model_alias(self, name: str, alias: str, number: int) -> None:
        def apply(conn: Connection) -> None:
            model_id = self._model_id(conn, name, lock=True)
            self._require_version(conn, model_id, name, number)
            stmt = _insert(conn, registered_model_aliases)
            stmt = stmt.on_conflict_do_update(
                index_elements=["model_id", "alias"], set_={"version": stmt.excluded.version}
            )
            conn.execute(stmt, {"model_id": model_id, "alias": alias, "version": number})
            self._touch(conn, model_id, now_ms())

        self.db.write(apply)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        def apply(conn: Connection) -> None:
            model_id = self._model_id(conn, name, lock=True)
            a = registered_model_aliases.c
            done = conn.execute(
                delete(registered_model_aliases).where(a.model_id == model_id, a.alias == alias)
            )
            if done.rowcount == 0:
                raise NotFoundError(f"registered model {name!r} has no alias {alias!r}")
            self._touch(conn, model_id, now_ms())

        self.db.write(apply)

    def import_registered_model(self, record: ModelRecord) -> list[int]:
        return self.db.write(lambda conn: _import_models.import_registered_model(conn, record))

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        a = registered_model_aliases.c
        with self.db.read() as conn:
            model_id = self._model_id(conn, name)
            number = conn.execute(
                select(a.version).where(a.model_id == model_id, a.alias == alias)
            ).scalar()
            if number is None:
                raise NotFoundError(f"registered model {name!r} has no alias {alias!r}")
            return self._version_entity(conn, model_id, int(number))


def _no_duplicate_keys(keys: Sequence[flt.OrderKey], order_by: Sequence[str] | None) -> None:
    names = [key.key for key in keys]
    if len(names) != len(set(names)):
        raise InvalidInputError(f"order_by names a field more than once: {list(order_by or ())}")
