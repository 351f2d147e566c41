"""Compile search ASTs (:mod:`runlab.store.filter`) to SQLAlchemy Core clauses.

Run clauses are correlated to ``runs`` and experiment clauses to ``experiments``:
the caller puts them in the WHERE and ORDER BY of a SELECT over that table.
Everything here runs the same on SQLite and PostgreSQL:

- LIKE is case-sensitive (the SQLite engine sets ``PRAGMA case_sensitive_like``),
  ILIKE is ``lower(x) LIKE lower(pattern)``, and both use ``ESCAPE '\\'`` because
  PostgreSQL escapes with a backslash by default and SQLite has no default.
- NULLs sort last in both directions: ``NULLS LAST``, or on SQLite before 3.30 (which
  has no such clause) a leading ``CASE WHEN x IS NULL`` key. ``NULLS LAST`` lets SQLite
  read the default order (``start_time DESC``, where NULLs come last anyway) from the
  runs index, where the CASE key made it sort every run of the experiments.
"""

from __future__ import annotations

import math
import operator
import sqlite3
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Select,
    String,
    Table,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    literal_column,
    not_,
    null,
    or_,
    select,
)

from runlab.store.filter import And, Comparison, Node, Or, OrderKey
from runlab.store.sql.schema import (
    datasets,
    experiment_tags,
    experiments,
    input_tags,
    latest_metrics,
    params,
    run_inputs,
    runs,
    tags,
)

__all__ = [
    "experiment_filter_clause",
    "experiment_order_clauses",
    "run_filter_clause",
    "run_order_clauses",
]

DATASET_CONTEXT_TAG = "mlflow.data.context"

_RUN_ATTRIBUTES: dict[str, ColumnElement[Any]] = {
    "run_id": runs.c.run_uuid,
    "run_name": runs.c.name,
    "status": runs.c.status,
    "user_id": runs.c.user_id,
    "artifact_uri": runs.c.artifact_uri,
    "lifecycle_stage": runs.c.lifecycle_stage,
    "start_time": runs.c.start_time,
    "end_time": runs.c.end_time,
}
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


def run_filter_clause(node: Node | None) -> ColumnElement[bool] | None:
    """The WHERE condition for a run filter, correlated to ``runs``."""
    return None if node is None else _compile(node, _run_comparison)


def experiment_filter_clause(node: Node | None) -> ColumnElement[bool] | None:
    """The WHERE condition for an experiment filter, correlated to ``experiments``."""
    return None if node is None else _compile(node, _experiment_comparison)


def _compile(node: Node, leaf: Leaf) -> ColumnElement[bool]:
    if isinstance(node, And):
        return and_(*(_compile(item, leaf) for item in node.items))
    if isinstance(node, Or):
        return or_(*(_compile(item, leaf) for item in node.items))
    return leaf(node)


def _run_comparison(node: Comparison) -> ColumnElement[bool]:
    if node.kind == "attribute":
        return _condition(_RUN_ATTRIBUTES[node.key], node.op, node.value)
    if node.kind == "metric":
        return _keyed_exists(latest_metrics, runs, node, _metric_condition)
    if node.kind == "dataset":
        return _dataset_comparison(node)
    table = params if node.kind == "param" else tags
    return _keyed_exists(table, runs, node, partial(_condition, table.c.value))


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
    """Metrics, params and tags: IS [NOT] NULL tests whether the key is there; every
    other operator needs the key, so ``!=`` matches only runs that have the key with
    another value (MLflow's semantics)."""
    owner = "run_uuid" if parent is runs else "experiment_id"
    conditions = [table.c[owner] == parent.c[owner], table.c.key == node.key]
    if node.op not in _NULL_OPS:
        conditions.append(matches(node.op, node.value))
    return _exists(select(literal_column("1")).where(*conditions).correlate(parent), node.op)


def _exists(query: Select[Any], op: str) -> ColumnElement[bool]:
    return not_(query.exists()) if op == "IS NULL" else query.exists()


# ----------------------------------------------------------------------------- metrics


def _metric_condition(op: str, value: object) -> ColumnElement[bool]:
    """NaN is stored as 0.0 with ``is_nan`` set. The rule: NaN equals only NaN and is
    neither less nor greater than anything. So ``= NaN`` matches NaN rows, ``!= NaN``
    matches the numbers, ``!= 1`` (or ``NOT IN (1)``) also matches NaN rows, and an
    ordering comparison never matches NaN, on either side. ±inf compare as usual."""
    is_nan, column = latest_metrics.c.is_nan, latest_metrics.c.value
    if op in ("IN", "NOT IN"):
        numbers = [float(v) for v in _values(value) if not math.isnan(v)]
        has_nan = len(numbers) < len(_values(value))
        if op == "IN":
            return or_(and_(~is_nan, column.in_(numbers)), is_nan if has_nan else false())
        return or_(and_(~is_nan, column.not_in(numbers)), false() if has_nan else is_nan)
    number = float(value)  # type: ignore[arg-type]
    if math.isnan(number):
        return {"=": is_nan, "!=": ~is_nan}.get(op, false())
    if op == "!=":
        return or_(is_nan, column != number)
    return and_(~is_nan, _condition(column, op, number))


def _nan_as_null(table: Table) -> ColumnElement[Any]:
    return case((table.c.is_nan, null()), else_=table.c.value)


# ----------------------------------------------------------------------------- datasets


def _dataset_comparison(node: Comparison) -> ColumnElement[bool]:
    """``name`` and ``digest`` live on the dataset, ``context`` on the run's input tag;
    IS NULL means the run has no dataset (or no dataset context) at all."""
    query: Select[Any]
    if node.key == "context":
        column = input_tags.c.value
        query = select(literal_column("1")).where(
            input_tags.c.run_uuid == runs.c.run_uuid, input_tags.c.key == DATASET_CONTEXT_TAG
        )
    else:
        column = datasets.c[node.key]
        query = (
            select(literal_column("1"))
            .select_from(
                run_inputs.join(datasets, run_inputs.c.dataset_uuid == datasets.c.dataset_uuid)
            )
            .where(run_inputs.c.run_uuid == runs.c.run_uuid)
        )
    if node.op not in _NULL_OPS:
        query = query.where(_condition(column, node.op, node.value))
    return _exists(query.correlate(runs), node.op)


# ----------------------------------------------------------------------------- ordering


def run_order_clauses(keys: Sequence[OrderKey]) -> list[ColumnElement[Any]]:
    """ORDER BY terms: the keys (NULLs and NaN last either way), then ``start_time DESC,
    run_uuid`` so that every page boundary is stable."""
    clauses: list[ColumnElement[Any]] = []
    for key in (*keys, OrderKey("attribute", "start_time", ascending=False)):
        clauses.extend(_nulls_last(_run_sort_value(key), key.ascending))
    clauses.append(runs.c.run_uuid.asc())
    return clauses


def experiment_order_clauses(keys: Sequence[OrderKey]) -> list[ColumnElement[Any]]:
    """ORDER BY terms: the keys, then ``creation_time DESC, experiment_id``."""
    clauses = [_direction(_EXPERIMENT_SORT_COLUMNS[key.key], key.ascending) for key in keys]
    clauses.append(experiments.c.creation_time.desc())
    clauses.append(experiments.c.experiment_id.asc())
    return clauses


def _run_sort_value(key: OrderKey) -> ColumnElement[Any]:
    if key.kind == "attribute":
        return _RUN_ATTRIBUTES[key.key]
    table = {"metric": latest_metrics, "param": params, "tag": tags}[key.kind]
    value = _nan_as_null(table) if table is latest_metrics else table.c.value
    query = select(value).where(table.c.run_uuid == runs.c.run_uuid, table.c.key == key.key)
    return query.correlate(runs).scalar_subquery()


def _nulls_last(value: ColumnElement[Any], ascending: bool) -> list[ColumnElement[Any]]:
    ordered = _direction(value, ascending)
    if isinstance(value, Column) and not value.nullable:
        return [ordered]
    if _NULLS_LAST:
        return [ordered.nulls_last()]
    return [case((value.is_(None), 1), else_=0), ordered]


# PostgreSQL has it; Python's sqlite3 module is linked with one SQLite for every database.
_NULLS_LAST = sqlite3.sqlite_version_info >= (3, 30, 0)


def _direction(value: ColumnElement[Any], ascending: bool) -> ColumnElement[Any]:
    return value.asc() if ascending else value.desc()
