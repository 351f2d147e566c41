"""Compile registry search ASTs (:mod:`runlab.store.filter`) to SQLAlchemy Core clauses.

Registered-model clauses are correlated to ``registered_models``; model-version clauses
to ``model_versions`` joined with ``registered_models`` (for the name). Operators behave
as in run searches (see :mod:`runlab.store.sql.search`): case-sensitive LIKE, ILIKE as
``lower() LIKE lower()``. One difference: a negated tag comparison (``tags.k != 'v'``,
``NOT IN``) also matches models and versions without the tag, as MLflow's registry
does; MLflow 3 clients rely on it, sending ``tags.`mlflow.prompt.is_prompt` != 'true'``
with every search to leave prompts out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, literal_column, not_, select

from runlab.entities import ModelVersionStage
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
_NEGATED = {"!=": "=", "NOT IN": "IN"}  # tag comparisons that also match a missing tag


def registered_model_filter_clause(node: Node | None) -> ColumnElement[bool] | None:
    return None if node is None else _compile(node, _model_comparison)


def model_version_filter_clause(node: Node | None) -> ColumnElement[bool] | None:
    return None if node is None else _compile(node, _version_comparison)


def _model_comparison(node: Comparison) -> ColumnElement[bool]:
    if node.kind == "attribute":
        return _condition(_MODEL_ATTRIBUTES[node.key], node.op, node.value)
    t = registered_model_tags
    owner = [t.c.model_id == registered_models.c.model_id]
    return _tag_exists(t.c.key, t.c.value, owner, registered_models, node)


def _version_comparison(node: Comparison) -> ColumnElement[bool]:
    if node.kind == "attribute":
        value = _canonical_stages(node.value) if node.key == "current_stage" else node.value
        return _condition(_VERSION_ATTRIBUTES[node.key], node.op, value)
    t = model_version_tags
    owner = [t.c.model_id == model_versions.c.model_id, t.c.version == model_versions.c.version]
    return _tag_exists(t.c.key, t.c.value, owner, model_versions, node)


def _tag_exists(
    key: ColumnElement[Any],
    value: ColumnElement[Any],
    owner: list[ColumnElement[bool]],
    parent: Table,
    node: Comparison,
) -> ColumnElement[bool]:
    conditions = [*owner, key == node.key]
    negated = node.op in _NEGATED
    if node.op not in _NULL_OPS:
        positive = _NEGATED.get(node.op, node.op)
        conditions.append(_condition(value, positive, node.value))
    query: Select[Any] = select(literal_column("1")).where(*conditions).correlate(parent)
    return not_(query.exists()) if negated else _exists(query, node.op)


def _canonical_stages(value: object) -> object:
    """``current_stage = 'production'`` means Production, as stage input does elsewhere;
    text that is not a stage name (a LIKE pattern such as ``'Prod%'``) is left alone."""
    spelled = {stage.lower(): stage for stage in ModelVersionStage.ALL}
    if isinstance(value, tuple):
        return tuple(spelled.get(v.lower(), v) if isinstance(v, str) else v for v in value)
    if isinstance(value, str):
        return spelled.get(value.lower(), value)
    return value


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
