"""Where a new model version came from: the MLflow 3 logged model and its source run.

MLflow fills a version's ``run_id`` and ``model_id`` from the logged model it is
registered from, whichever client registers it, so the registry does it here, inside the
transaction that creates the version (the logged models live in the same database):

* a ``models:/m-<id>`` source, or a ``model_id``, names the logged model; its source run
  becomes the version's run unless the caller gave one;
* a ``runs:/<run>/<path>`` source whose run logged a model named ``<path>`` (MLflow 3's
  ``log_model(name=...)`` keeps no files in the run) becomes that model's
  ``models:/m-<id>``, the newest one if the run logged several under that name.

The logged model then lists the version in its ``mlflow.modelVersions`` tag, as MLflow's
server records it, so lineage reads both ways.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import Connection, select

from runlab.errors import NotFoundError
from runlab.store.registry_base import logged_model_of_source
from runlab.store.sql._logging import _insert
from runlab.store.sql.schema import logged_model_tags, logged_models

__all__ = ["Lineage", "record_version", "resolve"]

MODEL_VERSIONS_TAG = "mlflow.modelVersions"
_lm, _lt = logged_models.c, logged_model_tags.c


@dataclass(frozen=True)
class Lineage:
    source: str
    run_id: str | None
    model_id: str | None


def resolve(conn: Connection, source: str, run_id: str | None, model_id: str | None) -> Lineage:
    if model_id is None:
        model_id = logged_model_of_source(source)
    if model_id is None and urlsplit(source).scheme == "runs":
        found = _logged_model_of_run_path(conn, source)
        if found is not None:
            model_id, source = found, f"models:/{found}"
    if model_id is None:
        return Lineage(source, run_id, None)
    source_run = conn.execute(
        select(_lm.source_run_id).where(_lm.model_id == model_id)
    ).one_or_none()
    if source_run is None:
        raise NotFoundError(
            f"model_id {model_id!r}: no logged model with that id (source {source!r})"
        )
    return Lineage(source, run_id or source_run.source_run_id, model_id)


def _logged_model_of_run_path(conn: Connection, source: str) -> str | None:
    run_id, _, path = urlsplit(source).path.strip("/").partition("/")
    path = path.strip("/")
    if not run_id or not path:
        return None
    newest = conn.execute(
        select(_lm.model_id)
        .where(_lm.source_run_id == run_id, _lm.name == path)
        .order_by(_lm.creation_time.desc(), _lm.model_id.desc())
        .limit(1)
    ).scalar()
    return None if newest is None else str(newest)


def record_version(conn: Connection, model_id: str, name: str, version: int) -> None:
    """Add ``{"name": ..., "version": ...}`` to the logged model's ``mlflow.modelVersions`` tag."""
    current = conn.execute(
        select(_lt.value).where(_lt.model_id == model_id, _lt.key == MODEL_VERSIONS_TAG)
    ).scalar()
    try:
        listed = json.loads(current) if current else []
    except ValueError:
        listed = []  # a hand-written tag that is not JSON: start the list afresh
    if not isinstance(listed, list):
        listed = []
    entry = {"name": name, "version": str(version)}  # as MLflow's client writes it
    if entry not in listed:
        listed.append(entry)
    stmt = _insert(conn, logged_model_tags)
    stmt = stmt.on_conflict_do_update(
        index_elements=["model_id", "key"], set_={"value": stmt.excluded.value}
    )
    conn.execute(
        stmt, {"model_id": model_id, "key": MODEL_VERSIONS_TAG, "value": json.dumps(listed)}
    )
