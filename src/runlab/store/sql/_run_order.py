"""The sort keys of a run search and the keyset conditions that resume after a row.

A search sorts by its order keys, then ``start_time DESC`` and ``run_uuid``; missing
values (and NaN) sort last in both directions. The first key splits the runs in two
phases: those that have a value for it, read in the order of an index (the runs index
for start and end time, the latest-metrics index for a metric), then those that have
none. A page token carries the phase and the sort key of the page's last row, so the
next page starts right after it: page 100 reads what page 1 reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from runlab.store.filter import OrderKey
from runlab.store.sql.run_search import SqlText

__all__ = ["Lead", "SortKey", "after", "lead_of", "sort_key", "sort_keys"]

_COLUMNS = {
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
PREFIX_LENGTH = 200  # of the indexed value prefix of params and tags (migration 0012)
_TABLES = {"metric": "latest_metrics", "param": "params", "tag": "tags"}
_TIE_BREAKERS = (OrderKey("attribute", "start_time", False), OrderKey("attribute", "run_id", True))


@dataclass(frozen=True)
class SortKey:
    """One ORDER BY term: an SQL expression over ``runs`` and its placeholders' values."""

    sql: str
    params: list[Any]
    ascending: bool
    nullable: bool

    def order(self, dialect: str = "sqlite") -> SqlText:
        """The ORDER BY term and its placeholders' values."""
        direction = "ASC" if self.ascending else "DESC"
        if not self.nullable:
            return f"{self.sql} {direction}", list(self.params)
        if dialect == "mysql":  # no NULLS LAST there: sort on "is missing" first
            return f"({self.sql}) IS NULL, {self.sql} {direction}", [*self.params, *self.params]
        return f"{self.sql} {direction} NULLS LAST", list(self.params)


@dataclass(frozen=True)
class Lead:
    """The first key. In phase ``present`` it is ``keys`` (never NULL there), read from
    ``table`` (joined as ``lead``, ``lead.run_uuid = runs.run_uuid``) or from ``runs``
    itself; phase ``missing`` holds the runs without a value. A key every run has (a
    non-null column) has the single phase ``all``. A param or tag leads with two keys,
    the indexed prefix of its value and then the value (``prefixed``): the same order as
    the value alone, read from the top of the (key, prefix) index."""

    keys: tuple[SortKey, ...]
    phases: tuple[str, ...] = ("all",)
    table: str | None = None
    present: SqlText = ("1 = 1", [])
    missing: SqlText = ("1 = 0", [])
    prefixed: bool = False

    def lead_values(self, value: Any) -> list[Any]:
        """The values of ``keys`` in phase ``present`` for a run whose value is ``value``."""
        return [value[:PREFIX_LENGTH], value] if self.prefixed else [value]


def sort_keys(keys: Sequence[OrderKey]) -> list[OrderKey]:
    """The order keys then the tie-breakers, each (kind, key) once."""
    seen: set[tuple[str, str]] = set()
    out = []
    for key in (*keys, *_TIE_BREAKERS):
        if (key.kind, key.key) not in seen:
            seen.add((key.kind, key.key))
            out.append(key)
    return out


def sort_key(key: OrderKey) -> SortKey:
    """A key as a correlated expression (used after the first key)."""
    if key.kind == "attribute":
        column = _COLUMNS[key.key]
        return SortKey(column, [], key.ascending, column in _NULLABLE)
    table = _TABLES[key.kind]
    value = f"{table}.value"
    if key.kind == "metric":  # NaN sorts with the missing values, last
        value = f"CASE WHEN {table}.is_nan THEN NULL ELSE {table}.value END"
    sql = (
        f"(SELECT {value} FROM {table} WHERE {table}.run_uuid = runs.run_uuid AND {table}.key = ?)"
    )
    return SortKey(sql, [key.key], key.ascending, True)


def lead_of(key: OrderKey) -> Lead:
    split = ("present", "missing")
    if key.kind == "attribute":
        column = _COLUMNS[key.key]
        first = SortKey(column, [], key.ascending, False)
        if column not in _NULLABLE:
            return Lead((first,))
        return Lead((first,), split, None, (f"{column} IS NOT NULL", []), (f"{column} IS NULL", []))
    table = _TABLES[key.kind]
    number = " AND {}.is_nan = FALSE" if key.kind == "metric" else " {}"
    number = number.format("lead" if key.kind == "metric" else "").rstrip()
    missing = (
        f"NOT EXISTS (SELECT 1 FROM {table} WHERE {table}.run_uuid = runs.run_uuid "
        f"AND {table}.key = ?{number.replace('lead.', f'{table}.')})"
    )
    value = SortKey("lead.value", [], key.ascending, False)
    present = (f"lead.key = ?{number}", [key.key])
    if key.kind == "metric":
        return Lead((value,), split, table, present, (missing, [key.key]))
    prefix = SortKey(f"substr(lead.value, 1, {PREFIX_LENGTH})", [], key.ascending, False)
    return Lead((prefix, value), split, table, present, (missing, [key.key]), prefixed=True)


def after(keys: Sequence[SortKey], values: Sequence[Any]) -> SqlText:
    """Rows strictly after ``values`` in the order of ``keys`` (NULLs last). When the
    first key is never NULL, a plain bound on it comes first, so that an index range
    (not a scan) finds where the page starts."""
    params: list[Any] = []
    sql = _after(keys, values, params)
    first, value = keys[0], values[0]
    if not first.nullable and value is not None:
        bound = [*first.params, value]
        sql = f"{first.sql} {'>=' if first.ascending else '<='} ? AND ({sql})"
        params = bound + params
    return sql, params


def _after(keys: Sequence[SortKey], values: Sequence[Any], params: list[Any]) -> str:
    key, value = keys[0], values[0]
    if value is None:  # nothing sorts after a missing value but other missing ones
        later = "1 = 0"
        equal = f"{key.sql} IS NULL"
        params += key.params
    else:
        later = f"{key.sql} {'>' if key.ascending else '<'} ?"
        params += [*key.params, value]
        if key.nullable:
            later = f"({later} OR {key.sql} IS NULL)"
            params += key.params
    if len(keys) == 1:
        return later
    if value is not None:
        equal = f"{key.sql} = ?"
        params += [*key.params, value]
    return f"({later} OR ({equal} AND {_after(keys[1:], values[1:], params)}))"
