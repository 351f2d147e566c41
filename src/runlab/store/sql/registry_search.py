"""Compile registry search ASTs (:mod:`runlab.store.filter`) to SQLAlchemy Core clauses.

Registered-model clauses are correlated to ``registered_models``; model-version clauses
to ``model_versions`` joined with ``registered_models`` (for the name). Operators behave
as in run searches (see :mod:`runlab.store.sql.search`): case-sensitive LIKE, ILIKE as
``lower() LIKE lower()``, and a tag comparison needs the tag to be there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, literal_column, select

from runlab.store.filter import Comparison, Node, OrderKey
from runlab.store.sql.schema import (
    model_version_tags,
    model_versions,
    registered_model_tags,
    registered_models,
)
from runlab.store.sql.search import _compile, _condition, _direction, _exists

__all__ = [
    "model_version_filter_clause",
    "model_version_order_clauses",
    "registered_model_filter_clause",
    "registered_model_order_clauses",
]

_MODEL_ATTRIBUTES: dict[str, ColumnElement[Any]] = {
    "name": registered_models.c.name,
    "creation_timestamp": registered_models.c.creation_time,
    "last_updated_timestamp": registered_models.c.last_updated_time,
}
_VERSION_ATTRIBUTES: dict[str, ColumnElement[Any]] = {
    "name": registered_models.c.name,
    "version_number": model_versions.c.version,
    "run_id": model_versions.c.run_id,
    "source_path": model_versions.c.source,
    "current_stage": model_versions.c.current_stage,
    "user_id": model_versions.c.user_id,
    "creation_timestamp": model_versions.c.creation_time,
    "last_updated_timestamp": model_versions.c.last_updated_time,
}
_NULL_OPS = ("IS NULL", "IS NOT NULL")


def registered_model_filter_clause(node: Node | None) -> ColumnElement[bool] | None:
    return None if node is None else _compile(node, _model_comparison)


def model_version_filter_clause(node: Node | None) -> ColumnElement[bool] | None:
    return None if node is None else _compile(node, _version_comparison)


def _model_comparison(node: Comparison) -> ColumnElement[bool]:
    if node.kind == "attribute":
        return _condition(_MODEL_ATTRIBUTES[node.key], node.op, node.value)
    t = registered_model_tags
    conditions = [t.c.model_id == registered_models.c.model_id, t.c.key == node.key]
    if node.op not in _NULL_OPS:
        conditions.append(_condition(t.c.value, node.op, node.value))
    query = select(literal_column("1")).where(*conditions).correlate(registered_models)
    return _exists(query, node.op)


def _version_comparison(node: Comparison) -> ColumnElement[bool]:
    if node.kind == "attribute":
        return _condition(_VERSION_ATTRIBUTES[node.key], node.op, node.value)
    t = model_version_tags
    conditions = [
        t.c.model_id == model_versions.c.model_id,
        t.c.version == model_versions.c.version,
        t.c.key == node.key,
    ]
    if node.op not in _NULL_OPS:
        conditions.append(_condition(t.c.value, node.op, node.value))
    query = select(literal_column("1")).where(*conditions).correlate(model_versions)
    return _exists(query, node.op)


def registered_model_order_clauses(keys: Sequence[OrderKey]) -> list[ColumnElement[Any]]:
    """The keys, then ``name`` (unique, so pages are stable)."""
    clauses = [_direction(_MODEL_ATTRIBUTES[key.key], key.ascending) for key in keys]
    if not any(key.key == "name" for key in keys):
        clauses.append(registered_models.c.name.asc())
    return clauses


DEFAULT_VERSION_ORDER = (
    OrderKey("attribute", "last_updated_timestamp", ascending=False),
    OrderKey("attribute", "name"),
    OrderKey("attribute", "version_number", ascending=False),
)


def model_version_order_clauses(keys: Sequence[OrderKey]) -> list[ColumnElement[Any]]:
    """The keys (MLflow's default when none: newest update first), then ``name`` and
    ``version_number DESC`` so that every page boundary is stable."""
    keys = list(keys) or list(DEFAULT_VERSION_ORDER)
    seen = {key.key for key in keys}
    for tie in DEFAULT_VERSION_ORDER[1:]:
        if tie.key not in seen:
            keys.append(tie)
    return [_direction(_VERSION_ATTRIBUTES[key.key], key.ascending) for key in keys]
