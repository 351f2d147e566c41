"""Compile experiment search ASTs (:mod:`runlab.store.filter`) to SQLAlchemy Core clauses,
and the helpers the registry and logged-model searches share. Run searches are SQL text
(:mod:`runlab.store.sql.run_search`).

Clauses are correlated to ``experiments``: the caller puts them in the WHERE and ORDER BY
of a SELECT over that table. Everything here runs the same on SQLite and PostgreSQL:

- LIKE is case-sensitive (the SQLite engine sets ``PRAGMA case_sensitive_like``),
  ILIKE is ``lower(x) LIKE lower(pattern)``, and both use ``ESCAPE '\\'`` because
  PostgreSQL escapes with a backslash by default and SQLite has no default.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Select,
    String,
    Table,
    and_,
    cast,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal

from runlab.store.filter import And, Comparison, Node, Or, OrderKey
from runlab.store.sql.schema import experiment_tags, experiments

__all__ = ["experiment_filter_clause", "experiment_order_clauses"]

_EXPERIMENT_ATTRIBUTES: dict[str, ColumnElement[Any]] = {
    "name": experiments.c.name,
    # Ids are strings on the wire and integers here: compare their text.
    "experiment_id": cast(experiments.c.experiment_id, String),
    "creation_time": experiments.c.creation_time,
    "last_update_time": experiments.c.last_update_time,
    "lifecycle_stage": experiments.c.lifecycle_stage,
}
_EXPERIMENT_SORT_COLUMNS: dict[str, ColumnElement[Any]] = {
    **_EXPERIMENT_ATTRIBUTES,
    "experiment_id": experiments.c.experiment_id,  # numeric order, not text order
}
_NULL_OPS = ("IS NULL", "IS NOT NULL")
_COMPARATORS: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}

Leaf = Callable[[Comparison], ColumnElement[bool]]
ValueCondition = Callable[[str, object], ColumnElement[bool]]  # (op, value) -> condition


# ----------------------------------------------------------------------------- filters


def experiment_filter_clause(node: Node | None) -> ColumnElement[bool] | None:
    """The WHERE condition for an experiment filter, correlated to ``experiments``."""
    return None if node is None else _compile(node, _experiment_comparison)


def _compile(node: Node, leaf: Leaf) -> ColumnElement[bool]:
    if isinstance(node, (And, Or)):
        join = and_ if isinstance(node, And) else or_
        return _balanced([_compile(item, leaf) for item in node.items], join)
    return leaf(node)


class _Parenthesized(ColumnElement[bool]):
    """A condition in parentheses that SQLAlchemy keeps (it flattens nested and_/or_)."""

    inherit_cache = True
    type = Boolean()
    _traverse_internals = [("element", InternalTraversal.dp_clauseelement)]

    def __init__(self, element: ColumnElement[bool]) -> None:
        self.element = element


@compiles(_Parenthesized)
def _compile_parenthesized(element: _Parenthesized, compiler: Any, **kw: Any) -> str:
    return f"({compiler.process(element.element, **kw)})"


def _balanced(
    items: list[ColumnElement[bool]], join: Callable[..., ColumnElement[bool]]
) -> ColumnElement[bool]:
    """``a AND b AND c AND d`` as ``((a AND b) AND (c AND d))``: databases parse a flat
    chain into a tree as deep as it is long (SQLite stops at depth 1000); halves keep
    the depth at log2 of the number of terms."""
    if len(items) == 1:
        return items[0]
    middle = len(items) // 2
    return _Parenthesized(join(_balanced(items[:middle], join), _balanced(items[middle:], join)))


def _experiment_comparison(node: Comparison) -> ColumnElement[bool]:
    if node.kind == "attribute":
        return _condition(_EXPERIMENT_ATTRIBUTES[node.key], node.op, node.value)
    value = experiment_tags.c.value
    return _keyed_exists(experiment_tags, experiments, node, partial(_condition, value))


def _condition(column: ColumnElement[Any], op: str, value: object) -> ColumnElement[bool]:
    """``column op value`` for every operator of the language."""
    if op == "IS NULL":
        return column.is_(None)
    if op == "IS NOT NULL":
        return column.is_not(None)
    if op == "IN":
        return column.in_(_values(value))
    if op == "NOT IN":
        return column.not_in(_values(value))
    if op == "LIKE":
        return column.like(literal(value, String), escape="\\")
    if op == "ILIKE":
        return func.lower(column).like(func.lower(literal(value, String)), escape="\\")
    return _COMPARATORS[op](column, value)


def _values(value: object) -> tuple[Any, ...]:
    assert isinstance(value, tuple)
    return value


def _keyed_exists(
    table: Table, parent: Table, node: Comparison, matches: ValueCondition
) -> ColumnElement[bool]:
    """Tags: IS [NOT] NULL tests whether the key is there; every other operator needs
    the key, so ``!=`` matches only owners that have the key with another value."""
    conditions = [table.c.experiment_id == parent.c.experiment_id, table.c.key == node.key]
    if node.op not in _NULL_OPS:
        conditions.append(matches(node.op, node.value))
    return _exists(select(literal_column("1")).where(*conditions).correlate(parent), node.op)


def _exists(query: Select[Any], op: str) -> ColumnElement[bool]:
    return not_(query.exists()) if op == "IS NULL" else query.exists()


# ----------------------------------------------------------------------------- ordering


def experiment_order_clauses(keys: Sequence[OrderKey]) -> list[ColumnElement[Any]]:
    """ORDER BY terms: the keys, then ``creation_time DESC, experiment_id``."""
    clauses = [_direction(_EXPERIMENT_SORT_COLUMNS[key.key], key.ascending) for key in keys]
    clauses.append(experiments.c.creation_time.desc())
    clauses.append(experiments.c.experiment_id.asc())
    return clauses


def _direction(value: ColumnElement[Any], ascending: bool) -> ColumnElement[Any]:
    return value.asc() if ascending else value.desc()
