"""Table definitions (SQLAlchemy Core). Alembic migrations under ``migrations/`` build the
same schema; a test compares the two so they cannot drift apart."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

# The Alembic revision this code expects; bump it with every new migration.
SCHEMA_REVISION = "0014_run_model_links"

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only auto-increments an INTEGER PRIMARY KEY (its rowid); PostgreSQL wants BIGINT.
_AutoId = BigInteger().with_variant(Integer(), "sqlite")

experiments = Table(
    "experiments",
    metadata,
    Column("experiment_id", _AutoId, primary_key=True, autoincrement=True),
    Column("name", String(500), nullable=False, unique=True),
    Column("artifact_location", Text, nullable=False),
    Column("lifecycle_stage", String(20), nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_update_time", BigInteger, nullable=False),
)

experiment_tags = Table(
    "experiment_tags",
    metadata,
    Column(
        "experiment_id",
        _AutoId,
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key", String(250), primary_key=True),
    Column("value", String(5000), nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("run_uuid", String(32), primary_key=True),
    Column("name", String(250), nullable=False),
    Column(
        "experiment_id",
        _AutoId,
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("user_id", String(256), nullable=False),
    Column("status", String(20), nullable=False),
    Column("start_time", BigInteger, nullable=True),
    Column("end_time", BigInteger, nullable=True),
    Column("lifecycle_stage", String(20), nullable=False),
    Column("deleted_time", BigInteger, nullable=True),
    Column("artifact_uri", Text, nullable=False),
    Index(None, "experiment_id", "lifecycle_stage", "start_time", "run_uuid"),
)


def _run_fk() -> ForeignKey:
    return ForeignKey("runs.run_uuid", ondelete="CASCADE")


# A run's last sign of life (ms), one row per run that ever sent a heartbeat; the sweep
# reads the ones older than its cutoff through the index and deletes each once its run
# has ended, so the range it scans stays small.
run_heartbeats = Table(
    "run_heartbeats",
    metadata,
    Column(
        "run_uuid", String(32), ForeignKey("runs.run_uuid", ondelete="CASCADE"), primary_key=True
    ),
    Column("last_heartbeat", BigInteger, nullable=False),
    Index(None, "last_heartbeat"),
)

# Keyed by (run, key) and read only through it: on SQLite the rows live in the primary
# key's b-tree (WITHOUT ROWID), one lookup instead of two.
_KEYED_BY_RUN_AND_KEY: dict[str, Any] = {"sqlite_with_rowid": False}

# Params and tags are searched by (key, value): the index holds a prefix of the value
# (a PostgreSQL b-tree entry cannot hold 6,000 characters), and searches compare this
# same expression first (run_search.py), then the whole value.
VALUE_PREFIX_SQL = "substr(value, 1, 200)"

params = Table(
    "params",
    metadata,
    Column("run_uuid", String(32), _run_fk(), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", String(6000), nullable=False),
    Index("ix_params_key_value_prefix", "key", text(VALUE_PREFIX_SQL)),
    **_KEYED_BY_RUN_AND_KEY,
)

tags = Table(
    "tags",
    metadata,
    Column("run_uuid", String(32), _run_fk(), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", String(8000), nullable=False),
    Index("ix_tags_key_value_prefix", "key", text(VALUE_PREFIX_SQL)),
    **_KEYED_BY_RUN_AND_KEY,
)

# Full history: append-only, each identical point stored once. The whole point is the
# primary key, ordered (run, key, step, timestamp, ...) as history is read, and on SQLite
# the rows live in that key's b-tree (WITHOUT ROWID): one b-tree per write where a row id
# would make two, and a chart bucket's extremes read straight from a range of it. Nothing
# else is indexed: each index costs every logged point another b-tree insert.
METRIC_KEY = ("run_uuid", "key", "step", "timestamp", "value", "is_nan")

metrics = Table(
    "metrics",
    metadata,
    Column("run_uuid", String(32), _run_fk(), nullable=False),
    Column("key", String(250), nullable=False),
    Column("value", Double, nullable=False),
    Column("is_nan", Boolean, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("step", BigInteger, nullable=False),
    PrimaryKeyConstraint(*METRIC_KEY),
    sqlite_with_rowid=False,
)

# One row per (run, key): the point with the highest (step, timestamp, value).
latest_metrics = Table(
    "latest_metrics",
    metadata,
    Column("run_uuid", String(32), _run_fk(), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Double, nullable=False),
    Column("is_nan", Boolean, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("step", BigInteger, nullable=False),
    Index(None, "key", "is_nan", "value", "run_uuid"),
    **_KEYED_BY_RUN_AND_KEY,
)

datasets = Table(
    "datasets",
    metadata,
    Column("dataset_uuid", String(32), primary_key=True),
    Column(
        "experiment_id",
        _AutoId,
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("name", String(500), nullable=False),
    Column("digest", String(36), nullable=False),
    Column("source_type", String(36), nullable=False),
    Column("source", Text, nullable=False),
    Column("schema", Text, nullable=True),
    Column("profile", Text, nullable=True),
    UniqueConstraint("experiment_id", "name", "digest"),
)

run_inputs = Table(
    "run_inputs",
    metadata,
    Column("run_uuid", String(32), _run_fk(), primary_key=True),
    Column(
        "dataset_uuid",
        String(32),
        ForeignKey("datasets.dataset_uuid", ondelete="CASCADE"),
        primary_key=True,
    ),
)

input_tags = Table(
    "input_tags",
    metadata,
    Column("run_uuid", String(32), _run_fk(), primary_key=True),
    Column("dataset_uuid", String(32), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("value", String(500), nullable=False),
)


# ----------------------------------------------------------------------------- model registry
# Children point at a surrogate id, not the name, so renaming a model touches one row.

registered_models = Table(
    "registered_models",
    metadata,
    Column("model_id", _AutoId, primary_key=True, autoincrement=True),
    Column("name", String(256), nullable=False, unique=True),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_updated_time", BigInteger, nullable=False),
    Column("description", String(5000), nullable=True),
    # The last version number handed out: bumped under the row lock, never reused.
    Column("last_version", Integer, nullable=False),
)

registered_model_tags = Table(
    "registered_model_tags",
    metadata,
    Column(
        "model_id",
        _AutoId,
        ForeignKey("registered_models.model_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column(
        "model_id",
        _AutoId,
        ForeignKey("registered_models.model_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("version", Integer, primary_key=True),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_updated_time", BigInteger, nullable=False),
    Column("description", String(5000), nullable=True),
    Column("user_id", String(256), nullable=True),
    Column("current_stage", String(20), nullable=False),
    Column("source", Text, nullable=False),
    Column("run_id", String(256), nullable=True),
    Column("run_link", Text, nullable=True),
    Column("status", String(20), nullable=False),
    Column("status_message", String(500), nullable=True),
    # The MLflow 3 logged model (models:/m-<id>) the version was registered from.
    Column("logged_model_id", String(36), nullable=True),
    Index(None, "run_id"),
)


def _version_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["model_id", "version"],
        ["model_versions.model_id", "model_versions.version"],
        ondelete="CASCADE",
    )


model_version_tags = Table(
    "model_version_tags",
    metadata,
    Column("model_id", _AutoId, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
    _version_fk(),
)

registered_model_aliases = Table(
    "registered_model_aliases",
    metadata,
    Column("model_id", _AutoId, primary_key=True),
    Column("alias", String(255), primary_key=True),
    Column("version", Integer, nullable=False),
    _version_fk(),
)

model_version_stage_transitions = Table(
    "model_version_stage_transitions",
    metadata,
    Column("id", _AutoId, primary_key=True, autoincrement=True),
    Column("model_id", _AutoId, nullable=False),
    Column("version", Integer, nullable=False),
    Column("from_stage", String(20), nullable=False),
    Column("to_stage", String(20), nullable=False),
    Column("user_id", String(256), nullable=True),
    Column("timestamp", BigInteger, nullable=False),
    _version_fk(),
    Index(None, "model_id", "version"),
)


# ----------------------------------------------------------------------------- logged models
# MLflow 3's logged models: ids are "m-" plus 32 hex digits, made by the client's server.

logged_models = Table(
    "logged_models",
    metadata,
    Column("model_id", String(36), primary_key=True),
    Column(
        "experiment_id",
        _AutoId,
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("name", String(500), nullable=False),
    Column("artifact_location", Text, nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_updated_time", BigInteger, nullable=False),
    Column("status", String(32), nullable=False),
    Column("status_message", Text, nullable=True),
    Column("model_type", String(500), nullable=True),
    Column("source_run_id", String(32), nullable=True),
    Index(None, "experiment_id", "creation_time"),
)


def _logged_model_fk() -> ForeignKey:
    return ForeignKey("logged_models.model_id", ondelete="CASCADE")


logged_model_tags = Table(
    "logged_model_tags",
    metadata,
    Column("model_id", String(36), _logged_model_fk(), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
)

logged_model_params = Table(
    "logged_model_params",
    metadata,
    Column("model_id", String(36), _logged_model_fk(), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
)


# Metric points logged with a model_id (MLflow 3): the same point is in the run's metrics
# too; here it is keyed by model, with the run and the dataset it was computed on ("" for
# none).
logged_model_metrics = Table(
    "logged_model_metrics",
    metadata,
    Column("model_id", String(36), _logged_model_fk(), nullable=False),
    Column("key", String(250), nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("run_uuid", String(32), _run_fk(), nullable=False),
    Column("value", Double, nullable=False),
    Column("is_nan", Boolean, nullable=False),
    Column("dataset_name", String(500), nullable=False),
    Column("dataset_digest", String(36), nullable=False),
    PrimaryKeyConstraint("model_id", "key", "timestamp", "step", "run_uuid"),
)

# Logged models a run used ("input", step 0) or produced at a step ("output"): MLflow 3's
# run inputs and outputs.
run_model_links = Table(
    "run_model_links",
    metadata,
    Column("run_uuid", String(32), _run_fk(), nullable=False),
    Column("model_id", String(36), _logged_model_fk(), nullable=False),
    Column("direction", String(6), nullable=False),
    Column("step", BigInteger, nullable=False),
    PrimaryKeyConstraint("run_uuid", "model_id", "direction", "step"),
)


# Authentication and authorisation (the tracking server's --auth). Permissions name an
# experiment id or a registered model name without a foreign key: a grant outlives a
# soft-deleted experiment, and a registered model's rename moves its grants.
users = Table(
    "users",
    metadata,
    Column("user_id", _AutoId, primary_key=True, autoincrement=True),
    Column("username", String(256), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=True),
    Column("is_admin", Boolean, nullable=False),
    Column("creation_time", BigInteger, nullable=False),
)


def _user_fk() -> ForeignKey:
    return ForeignKey("users.user_id", ondelete="CASCADE")


api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_id", _AutoId, primary_key=True, autoincrement=True),
    Column("user_id", _AutoId, _user_fk(), nullable=False, index=True),
    Column("name", String(256), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_used_time", BigInteger, nullable=True),
    Column("expiry_time", BigInteger, nullable=True),
    Column("revoked_time", BigInteger, nullable=True),
)

experiment_permissions = Table(
    "experiment_permissions",
    metadata,
    Column("experiment_id", String(32), primary_key=True),
    Column("user_id", _AutoId, _user_fk(), primary_key=True),
    Column("permission", String(20), nullable=False),
)

registered_model_permissions = Table(
    "registered_model_permissions",
    metadata,
    Column("name", String(256), primary_key=True),
    Column("user_id", _AutoId, _user_fk(), primary_key=True),
    Column("permission", String(20), nullable=False),
)
