"""Run filters and ordering (:mod:`runlab.store.filter`) compiled to SQL text.

A run search is one statement run once per call, usually with a shape it has not had
before in the process (each filter is a new shape). Building and compiling it with
SQLAlchemy Core cost more than SQLite takes to run it, so run searches are written as
SQL text here, valid on SQLite and PostgreSQL alike, with ``?`` placeholders (see
:mod:`runlab.store.sql._raw`). Experiment and registry searches stay in Core
(:mod:`runlab.store.sql.search`).

The semantics, shared by both databases:

- Conditions on metrics, params, tags and datasets are ``EXISTS`` sub-queries
  correlated to ``runs``; every operator but IS NULL needs the key, so ``!=`` matches
  only runs that have the key with another value (MLflow's semantics).
- NaN is stored as 0 with ``is_nan`` set. NaN equals only NaN and is neither less nor
  greater than anything: ``= NaN`` matches NaN rows, ``!= NaN`` the numbers, ``!= 1``
  (or ``NOT IN (1)``) NaN rows too, and an ordering comparison never matches NaN.
- LIKE is case-sensitive (the SQLite engine sets ``PRAGMA case_sensitive_like``), ILIKE
  is ``lower(x) LIKE lower(pattern)``; both escape with a backslash.
- Order keys sort NULLs (and NaN) last in both directions (on MySQL, which has no
  ``NULLS LAST``, by sorting on ``x IS NULL`` first), then ``start_time DESC,
  run_uuid`` make every page boundary stable.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import TextClause, text

from runlab.store.filter import And, Comparison, Node, Or, OrderKey

__all__ = ["SqlText", "driver_candidates", "run_filter_clause", "run_filter_sql", "run_order_sql"]

DATASET_CONTEXT_TAG = "mlflow.data.context"

SqlText = tuple[str, list[Any]]  # a fragment of SQL and the values of its placeholders
# (expression, direction, the expression's values, the statement's values) → an order term
_NullsLast = Callable[[str, str, list[Any], list[Any]], str]

_RUN_COLUMNS = {
    "run_id": "runs.run_uuid",
    "run_name": "runs.name",
    "status": "runs.status",
    "user_id": "runs.user_id",
    "artifact_uri": "runs.artifact_uri",
    "lifecycle_stage": "runs.lifecycle_stage",
    "start_time": "runs.start_time",
    "end_time": "runs.end_time",
}
_NULLABLE = {"runs.start_time", "runs.end_time"}
_COMPARATORS = {"=", "!=", "<", "<=", ">", ">="}
_NULL_OPS = ("IS NULL", "IS NOT NULL")
_FALSE, _TRUE = "1 = 0", "1 = 1"
_KEYED_TABLES = {"metric": "latest_metrics", "param": "params", "tag": "tags"}
_PREFIX_LENGTH = 200  # of the indexed value prefix, schema.VALUE_PREFIX_SQL


def run_filter_sql(node: Node | None) -> SqlText | None:
    """The WHERE condition for a run filter, correlated to ``runs``; None for no filter."""
    if node is None:
        return None
    params: list[Any] = []
    return _compile(node, params), params


def run_filter_clause(node: Node | None) -> TextClause | None:
    """:func:`run_filter_sql` as a Core clause, for statements built with SQLAlchemy (its
    ``?`` placeholders become named binds)."""
    compiled = run_filter_sql(node)
    if compiled is None:
        return None
    sql, params = compiled
    pieces = sql.split("?")
    names = [f"run_filter_{i}" for i in range(len(params))]
    named = pieces[0] + "".join(f":{n}{p}" for n, p in zip(names, pieces[1:], strict=True))
    return text(f"({named})").bindparams(**dict(zip(names, params, strict=True)))


def run_order_sql(keys: Sequence[OrderKey], dialect: str = "sqlite") -> SqlText:
    """The ORDER BY terms: the keys, then ``start_time DESC, run_uuid``."""
    params: list[Any] = []
    nulls_last: _NullsLast = _mysql_nulls_last if dialect == "mysql" else _nulls_last
    terms = [_order_term(key, params, nulls_last) for key in keys]
    terms += [nulls_last("runs.start_time", "DESC", [], params), "runs.run_uuid ASC"]
    return ", ".join(terms), params


def _nulls_last(expr: str, direction: str, expr_params: list[Any], params: list[Any]) -> str:
    params.extend(expr_params)
    return f"{expr} {direction} NULLS LAST"


def _mysql_nulls_last(expr: str, direction: str, expr_params: list[Any], params: list[Any]) -> str:
    """MySQL has no NULLS LAST: sort on ``expr IS NULL`` (false first), then ``expr``."""
    params.extend(expr_params * 2)
    return f"{expr} IS NULL, {expr} {direction}"


# ----------------------------------------------------------------------------- filters


def _compile(node: Node, params: list[Any]) -> str:
    if isinstance(node, (And, Or)):
        joiner = " AND " if isinstance(node, And) else " OR "
        return _balanced([_compile(item, params) for item in node.items], joiner)
    return _comparison(node, params)


def _balanced(terms: list[str], joiner: str) -> str:
    """``(a AND b AND c AND d)`` as ``((a AND b) AND (c AND d))``: a flat chain parses
    into a tree as deep as it is long (SQLite stops at depth 1000); halves keep the
    depth at log2 of the number of terms. Parameters keep their order."""
    if len(terms) == 1:
        return terms[0]
    middle = len(terms) // 2
    return f"({_balanced(terms[:middle], joiner)}{joiner}{_balanced(terms[middle:], joiner)})"


def _comparison(node: Comparison, params: list[Any]) -> str:
    if node.kind == "attribute":
        return _condition(_RUN_COLUMNS[node.key], node.op, node.value, params)
    if node.kind == "dataset":
        return _dataset(node, params)
    table = _KEYED_TABLES[node.kind]
    params.append(node.key)
    sql = f"SELECT 1 FROM {table} WHERE {table}.run_uuid = runs.run_uuid AND {table}.key = ?"
    if node.op not in _NULL_OPS:
        sql += f" AND {_keyed_condition(node, params)}"
    return _exists(sql, node.op)


def _keyed_condition(node: Comparison, params: list[Any]) -> str:
    if node.kind == "metric":
        return _metric_condition(node.op, node.value, params)
    return _prefixed(_KEYED_TABLES[node.kind], node.op, node.value, params)


def _exists(sql: str, op: str) -> str:
    return f"NOT EXISTS ({sql})" if op == "IS NULL" else f"EXISTS ({sql})"


# Conditions whose matching rows are one range of an index (_run_plan may start there).
_RANGE_OPS = {"metric": {"=", "<", "<=", ">", ">=", "IN"}, "param": {"=", "IN"}, "tag": {"=", "IN"}}


def driver_candidates(node: Node | None) -> list[tuple[SqlText, Node | None]]:
    """For each condition of a top-level AND that one index range answers (a metric
    comparison, a param or tag equality), ``SELECT run_uuid`` of its matching rows (each
    run once: a run has one row per key) and the rest of the filter. The range names
    exactly the runs the condition holds for, so a plan that reads it first need not
    check that condition again."""
    if node is None:
        return []
    items = node.items if isinstance(node, And) else (node,)
    found = []
    for i, item in enumerate(items):
        if isinstance(item, Comparison) and item.op in _RANGE_OPS.get(item.kind, ()):
            table = _KEYED_TABLES[item.kind]
            params: list[Any] = [item.key]
            condition = _keyed_condition(item, params)
            sql = f"SELECT {table}.run_uuid FROM {table} WHERE {table}.key = ? AND {condition}"
            others = items[:i] + items[i + 1 :]
            rest = None if not others else others[0] if len(others) == 1 else And(others)
            found.append(((sql, params), rest))
    return found


def _prefixed(table: str, op: str, value: object, params: list[Any]) -> str:
    """A param or tag value condition; equality and IN also compare the indexed prefix
    (schema.VALUE_PREFIX_SQL) so that the index on (key, prefix) narrows them."""
    prefix = f"substr({table}.value, 1, {_PREFIX_LENGTH})"
    if op in ("=", "IN") and _all_short(value):
        # A prefix equal to a value shorter than the prefix is that value: the index
        # answers alone (no row read to compare the whole value).
        if op == "=":
            params.append(value)
            return f"{prefix} = ?"
        return _in(prefix, op, list(_values(value)), params)
    if op == "=":
        params.append(value)
        narrowed = f"{prefix} = substr(?, 1, {_PREFIX_LENGTH}) AND "
    elif op == "IN" and _values(value):
        params.extend(_values(value))
        listed = ", ".join([f"substr(?, 1, {_PREFIX_LENGTH})"] * len(_values(value)))
        narrowed = f"{prefix} IN ({listed}) AND "
    else:
        return _condition(f"{table}.value", op, value, params)
    # substr(value, 1) is the value; written so, SQLite does not substitute a ``value = ?``
    # into the prefix expression, which would then no longer match the index.
    return narrowed + _condition(f"substr({table}.value, 1)", op, value, params)


def _all_short(value: object) -> bool:
    """Whether every value of an equality or IN list is a string shorter than the prefix."""
    values = value if isinstance(value, tuple) else (value,)
    return all(isinstance(v, str) and len(v) < _PREFIX_LENGTH for v in values)


def _condition(column: str, op: str, value: object, params: list[Any]) -> str:
    """``column op value`` for every operator of the language."""
    if op == "IS NULL":
        return f"{column} IS NULL"
    if op == "IS NOT NULL":
        return f"{column} IS NOT NULL"
    if op in ("IN", "NOT IN"):
        return _in(column, op, list(_values(value)), params)
    params.append(value)
    if op == "LIKE":
        return f"{column} LIKE ? ESCAPE '\\'"
    if op == "ILIKE":
        return f"lower({column}) LIKE lower(?) ESCAPE '\\'"
    assert op in _COMPARATORS, op  # the parser allows no other
    return f"{column} {op} ?"


def _in(column: str, op: str, values: list[Any], params: list[Any]) -> str:
    if not values:  # nothing is in an empty list
        return _FALSE if op == "IN" else _TRUE
    params.extend(values)
    return f"{column} {op} ({', '.join('?' * len(values))})"


def _values(value: object) -> tuple[Any, ...]:
    assert isinstance(value, tuple)
    return value


def _metric_condition(op: str, value: object, params: list[Any]) -> str:
    # ``is_nan = FALSE`` rather than ``NOT is_nan``: an equality on the indexed column
    # (key, is_nan, value), so a range on value stays an index range on both databases.
    nan, number_row = "latest_metrics.is_nan = TRUE", "latest_metrics.is_nan = FALSE"
    column = "latest_metrics.value"
    if op in ("IN", "NOT IN"):
        numbers = [float(v) for v in _values(value) if not math.isnan(v)]
        has_nan = len(numbers) < len(_values(value))
        listed = _in(column, op, numbers, params)
        if op == "IN":
            return f"(({number_row} AND {listed}) OR {nan if has_nan else _FALSE})"
        return f"(({number_row} AND {listed}) OR {_FALSE if has_nan else nan})"
    number = float(value)  # type: ignore[arg-type]
    if math.isnan(number):
        return {"=": nan, "!=": number_row}.get(op, _FALSE)
    params.append(number)
    if op == "!=":
        return f"({nan} OR {column} != ?)"
    return f"{number_row} AND {column} {op} ?"


def _dataset(node: Comparison, params: list[Any]) -> str:
    """``name`` and ``digest`` live on the dataset, ``context`` on the run's input tag;
    IS NULL means the run has no dataset (or no dataset context) at all."""
    if node.key == "context":
        params.append(DATASET_CONTEXT_TAG)
        column = "input_tags.value"
        sql = (
            "SELECT 1 FROM input_tags WHERE input_tags.run_uuid = runs.run_uuid "
            "AND input_tags.key = ?"
        )
    else:
        column = f"datasets.{'name' if node.key == 'name' else 'digest'}"
        sql = (
            "SELECT 1 FROM run_inputs JOIN datasets "
            "ON run_inputs.dataset_uuid = datasets.dataset_uuid "
            "WHERE run_inputs.run_uuid = runs.run_uuid"
        )
    if node.op not in _NULL_OPS:
        sql += f" AND {_condition(column, node.op, node.value, params)}"
    return _exists(sql, node.op)


# ----------------------------------------------------------------------------- ordering


def _order_term(key: OrderKey, params: list[Any], nulls_last: _NullsLast) -> str:
    direction = "ASC" if key.ascending else "DESC"
    if key.kind == "attribute":
        column = _RUN_COLUMNS[key.key]
        # NULLS LAST only where NULLs can be: a plain column keeps its index order usable.
        if column in _NULLABLE:
            return nulls_last(column, direction, [], params)
        return f"{column} {direction}"
    table = _KEYED_TABLES[key.kind]
    value = f"{table}.value"
    if key.kind == "metric":  # NaN sorts with the missing values, last
        value = f"CASE WHEN {table}.is_nan THEN NULL ELSE {table}.value END"
    lookup = (
        f"(SELECT {value} FROM {table} WHERE {table}.run_uuid = runs.run_uuid AND {table}.key = ?)"
    )
    return nulls_last(lookup, direction, [key.key], params)
