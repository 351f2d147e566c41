"""An MLflow SQL database (SQLite, PostgreSQL, MySQL), read with plain SQL: no MLflow
install needed. The tables and columns are those of MLflow 3 (checked against 3.17.2);
tables an older database lacks (logged models, inputs, aliases) are read as empty.

Runs load in chunks: one query each for the chunk's params, tags, metric points and
inputs, so a thousand runs cost a few dozen queries, not thousands.
"""

from __future__ import annotations

import math
import os
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from runlab.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    InputTag,
    Metric,
    ModelVersion,
    RegisteredModel,
    RunInfo,
)
from runlab.entities_logged_models import LoggedModel
from runlab.errors import InvalidInputError, StorageError
from runlab.migrate.sources import _mlflow
from runlab.migrate.sources.base import Source
from runlab.store.imports import ModelRecord, RunRecord

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

    from runlab.store.artifacts.base import ArtifactRepository

__all__ = ["MlflowSqlSource"]

# The drivers runlab installs: psycopg 3 and PyMySQL (SQLAlchemy's defaults are others).
_DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mysql+pymysql",
    "mariadb+pymysql": "mysql+pymysql",
}
_CHUNK = 500  # ids per IN (...)


class MlflowSqlSource(Source):
    """The database at ``url``; ``artifacts_root`` is where ``mlflow-artifacts:`` URIs
    point (the MLflow server's ``--artifacts-destination``)."""

    def __init__(self, url: str, artifacts_root: str | None = None, workspace: str = "default"):
        super().__init__()
        from sqlalchemy import create_engine, inspect
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

        try:
            parsed = make_url(url)
        except ArgumentError:
            raise InvalidInputError(f"source {url!r} is not a database URL") from None
        parsed = parsed.set(drivername=_DRIVERS.get(parsed.drivername, parsed.drivername))
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            if not os.path.isfile(parsed.database):
                raise InvalidInputError(f"source {url!r}: no database file {parsed.database!r}")
        self.description = parsed.render_as_string(hide_password=True)
        try:
            self.engine: Engine = create_engine(parsed)
            tables = set(inspect(self.engine).get_table_names())
        except (NoSuchModuleError, ModuleNotFoundError) as exc:
            raise InvalidInputError(
                f"source {self.description}: no database driver for {parsed.drivername!r} "
                f"({exc}); install it (PostgreSQL: runlab[postgres], MySQL: pymysql)"
            ) from None
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot read {self.description}: {exc}") from None
        if "runs" not in tables or "experiments" not in tables:
            raise InvalidInputError(
                f"source {self.description} is not an MLflow database (no runs and "
                "experiments tables)"
            )
        self.tables = tables
        self.workspace = workspace if self._has_column("experiments", "workspace") else None
        self.artifacts_root = artifacts_root
        self._deleted_time: dict[str, int | None] = {}

    def _has_column(self, table: str, column: str) -> bool:
        from sqlalchemy import inspect

        return column in {c["name"] for c in inspect(self.engine).get_columns(table)}

    def close(self) -> None:
        self.engine.dispose()

    def _rows(self, sql: str, **params: Any) -> list[Any]:
        from sqlalchemy import bindparam, text

        statement = text(sql)
        for name, value in params.items():
            if isinstance(value, (list, tuple)):
                statement = statement.bindparams(bindparam(name, expanding=True))
        with self.engine.connect() as conn:
            return list(conn.execute(statement, params))

    def _ws(self, alias: str = "") -> str:
        return f" AND {alias}workspace = :ws" if self.workspace else ""

    def _wsp(self) -> dict[str, Any]:
        return {"ws": self.workspace} if self.workspace else {}

    # ------------------------------------------------------------------ experiments
    def experiments(self) -> list[Experiment]:
        tags: dict[int, dict[str, str]] = defaultdict(dict)
        for eid, key, value in self._rows(
            "SELECT t.experiment_id, t.key, t.value FROM experiment_tags t"
        ):
            tags[int(eid)][key] = value or ""
        return [
            Experiment(str(r[0]), r[1], r[2] or "", r[3] or "active", tags[int(r[0])], r[4], r[5])
            for r in self._rows(
                "SELECT experiment_id, name, artifact_location, lifecycle_stage, creation_time, "
                f"last_update_time FROM experiments WHERE 1 = 1{self._ws()} "
                "ORDER BY experiment_id",
                **self._wsp(),
            )
        ]

    # ------------------------------------------------------------------ runs
    def run_infos(self, experiment_id: str) -> list[RunInfo]:
        infos = []
        for r in self._rows(
            "SELECT run_uuid, name, user_id, status, start_time, end_time, lifecycle_stage, "
            "artifact_uri, deleted_time FROM runs WHERE experiment_id = :e "
            "ORDER BY start_time, run_uuid",
            e=int(experiment_id),
        ):
            self._deleted_time[r[0]] = r[8]
            infos.append(
                RunInfo(r[0], experiment_id, r[1] or "", r[2] or "", r[3] or "FINISHED",
                        r[4], r[5], r[7] or "", r[6] or "active")
            )  # fmt: skip
        return infos

    def load_runs(self, experiment_id: str, infos: Sequence[RunInfo]) -> list[RunRecord]:
        records: list[RunRecord] = []
        for start in range(0, len(infos), _CHUNK):
            records += self._load_chunk(infos[start : start + _CHUNK])
        return records

    def _load_chunk(self, infos: Sequence[RunInfo]) -> list[RunRecord]:
        from sqlalchemy import bindparam, text

        ids = [i.run_id for i in infos]
        params: dict[str, dict[str, str]] = defaultdict(dict)
        tags: dict[str, dict[str, str]] = defaultdict(dict)
        points: dict[str, list[Metric]] = defaultdict(list)
        with self.engine.connect() as conn:

            def rows(sql: str) -> Any:
                statement = text(sql).bindparams(bindparam("ids", expanding=True))
                return conn.execute(statement, {"ids": ids})

            for run_id, key, value in rows(
                "SELECT p.run_uuid, p.key, p.value FROM params p WHERE p.run_uuid IN :ids"
            ):
                params[run_id][key] = value
            for run_id, key, value in rows(
                "SELECT t.run_uuid, t.key, t.value FROM tags t WHERE t.run_uuid IN :ids"
            ):
                tags[run_id][key] = value or ""
            nan = math.nan
            for run_id, key, value, ts, step, is_nan in rows(
                "SELECT m.run_uuid, m.key, m.value, m.timestamp, m.step, m.is_nan FROM metrics m "
                "WHERE m.run_uuid IN :ids"
            ):
                points[run_id].append(Metric(key, nan if is_nan else value, ts, step))
            inputs = self._inputs(conn, ids)
        return [
            RunRecord(
                info,
                params[info.run_id],
                tags[info.run_id],
                points[info.run_id],
                inputs.get(info.run_id, ()),
                self._deleted_time.get(info.run_id),
            )
            for info in infos
        ]

    def _inputs(self, conn: Connection, ids: list[str]) -> dict[str, list[DatasetInput]]:
        from sqlalchemy import bindparam, text

        if not {"inputs", "datasets"} <= self.tables:
            return {}
        found = list(
            conn.execute(
                text(
                    "SELECT i.destination_id, i.input_uuid, d.name, d.digest, "
                    "d.dataset_source_type, d.dataset_source, d.dataset_schema, "
                    "d.dataset_profile FROM inputs i JOIN datasets d "
                    "ON d.dataset_uuid = i.source_id WHERE i.source_type = 'DATASET' "
                    "AND i.destination_type = 'RUN' AND i.destination_id IN :ids "
                    "ORDER BY i.destination_id, d.name"
                ).bindparams(bindparam("ids", expanding=True)),
                {"ids": ids},
            )
        )
        input_tags: dict[str, list[InputTag]] = defaultdict(list)
        uuids = [r[1] for r in found]
        for start in range(0, len(uuids), _CHUNK):
            for input_uuid, name, value in conn.execute(
                text(
                    "SELECT input_uuid, name, value FROM input_tags WHERE input_uuid IN :u "
                    "ORDER BY name"
                ).bindparams(bindparam("u", expanding=True)),
                {"u": uuids[start : start + _CHUNK]},
            ):
                input_tags[input_uuid].append(InputTag(name, value))
        out: dict[str, list[DatasetInput]] = defaultdict(list)
        for run_id, input_uuid, *ds in found:
            dataset = Dataset(ds[0], ds[1], ds[2], ds[3], ds[4], ds[5])
            out[run_id].append(DatasetInput(dataset, tuple(input_tags[input_uuid])))
        return out

    # ------------------------------------------------------------------ models
    def registered_models(self) -> list[ModelRecord]:
        if "registered_models" not in self.tables:
            return []
        ws, p = self._ws(), self._wsp()
        model_tags: dict[str, dict[str, str]] = defaultdict(dict)
        for key, value, name in self._rows(
            f"SELECT t.key, t.value, t.name FROM registered_model_tags t WHERE 1 = 1{ws}", **p
        ):
            model_tags[name][key] = value or ""
        aliases: dict[str, dict[str, int]] = defaultdict(dict)
        if "registered_model_aliases" in self.tables:
            for alias, version, name in self._rows(
                f"SELECT alias, version, name FROM registered_model_aliases WHERE 1 = 1{ws}", **p
            ):
                aliases[name][alias] = int(version)
        version_tags: dict[tuple[str, int], dict[str, str]] = defaultdict(dict)
        for key, value, name, version in self._rows(
            f"SELECT t.key, t.value, t.name, t.version FROM model_version_tags t WHERE 1 = 1{ws}",
            **p,
        ):
            version_tags[(name, int(version))][key] = value or ""
        versions: dict[str, list[ModelVersion]] = defaultdict(list)
        for r in self._rows(
            "SELECT name, version, creation_time, last_updated_time, description, user_id, "
            "current_stage, source, run_id, run_link, status, status_message "
            f"FROM model_versions WHERE 1 = 1{ws} ORDER BY name, version",
            **p,
        ):
            number = int(r[1])
            versions[r[0]].append(
                ModelVersion(r[0], number, r[2] or 0, r[3], r[4], r[5], r[6] or "None", r[7],
                             r[8], r[9], r[10] or "READY", r[11], version_tags[(r[0], number)],
                             [a for a, v in aliases[r[0]].items() if v == number])
            )  # fmt: skip
        records = []
        for name, created, updated, description in self._rows(
            "SELECT name, creation_time, last_updated_time, description FROM registered_models "
            f"WHERE 1 = 1{ws} ORDER BY name",
            **p,
        ):
            model = RegisteredModel(
                name, created or 0, updated, description, [], model_tags[name], aliases[name]
            )
            records.append(
                ModelRecord(model, versions[name], _mlflow.stage_history(versions[name]))
            )
        return records

    def logged_models(self, experiment_id: str) -> list[LoggedModel]:
        if "logged_models" not in self.tables:
            return []
        tags: dict[str, dict[str, str]] = defaultdict(dict)
        params: dict[str, dict[str, str]] = defaultdict(dict)
        for mid, key, value in self._rows(
            "SELECT model_id, tag_key, tag_value FROM logged_model_tags WHERE experiment_id = :e",
            e=int(experiment_id),
        ):
            tags[mid][key] = value
        for mid, key, value in self._rows(
            "SELECT model_id, param_key, param_value FROM logged_model_params "
            "WHERE experiment_id = :e",
            e=int(experiment_id),
        ):
            params[mid][key] = value
        return [
            LoggedModel(r[0], experiment_id, r[1], r[2], r[3], r[4],
                        _mlflow.logged_model_status(r[5]), r[6], r[7], r[8], tags[r[0]],
                        params[r[0]])
            for r in self._rows(
                "SELECT model_id, name, artifact_location, creation_timestamp_ms, "
                "last_updated_timestamp_ms, status, status_message, model_type, source_run_id "
                "FROM logged_models WHERE experiment_id = :e AND (lifecycle_stage IS NULL "
                "OR lifecycle_stage = 'active') ORDER BY creation_timestamp_ms, model_id",
                e=int(experiment_id),
            )
        ]  # fmt: skip

    def artifacts(self, artifact_uri: str) -> ArtifactRepository | None:
        return _mlflow.local_or_remote(self, artifact_uri, self.artifacts_root, os.getcwd())
