"""How a run search reads its page: where it starts, in what order, where it stops.

Without help a search reads every run of its experiments, then sorts them. Here:

- **A selective condition drives.** For each condition of a top-level AND that one index
  range answers (run_search.driver_candidates), the runs it names are counted, capped at
  CAP, from the index alone. When the smallest count is under half the runs in scope,
  the search starts from that range (``FROM (range) AS d CROSS JOIN runs``: SQLite keeps
  the order of a CROSS JOIN, PostgreSQL plans it from its statistics) and probes the
  other conditions only on the runs it names.
- **Order by the top of an index.** The runs that have a value for the first order key
  are read in that key's index order (runs by start time, latest metrics by value), so
  ``LIMIT`` stops after the page; the runs with no value follow (_run_order).
- **Keyset pages.** A token carries the last row's sort key; the next page starts after
  it through the same index, so page 100 costs what page 1 costs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from runlab.errors import InvalidInputError
from runlab.store import filter as flt
from runlab.store.sql import _hydrate, _raw, run_search
from runlab.store.sql._pages import Cursor
from runlab.store.sql._run_order import Lead, SortKey, after, lead_of, sort_key, sort_keys
from runlab.store.sql.run_search import SqlText

__all__ = ["CAP", "count", "driver", "page"]

CAP = 10_000  # index entries a size estimate reads at most
_RUN_WIDTH = len(_hydrate.RUN_COLUMNS)


def driver(
    conn: Connection, scope: SqlText, node: flt.Node | None
) -> tuple[SqlText | None, flt.Node | None]:
    """The index range to start from (None: read the runs in scope) and the part of the
    filter left to check on the runs it names."""
    candidates = run_search.driver_candidates(node)
    if not candidates:
        return None, node
    sizes = [_capped_count(conn, sql, params) for (sql, params), _ in candidates]
    best = min(range(len(sizes)), key=sizes.__getitem__)
    if sizes[best] >= CAP:
        return None, node
    # Only "more than twice the range" matters: counting stops there (PostgreSQL reads
    # an experiment's runs in a sequential scan to count them, 10,000 rows costs ~10 ms).
    enough = sizes[best] * 2 + 1
    in_scope = _capped_count(conn, f"SELECT 1 FROM runs WHERE {scope[0]}", scope[1], enough)
    return candidates[best] if sizes[best] * 2 < in_scope else (None, node)


def count(conn: Connection, where: SqlText, start: SqlText | None) -> int:
    sql, params = where
    if start is None:
        return int(_raw.fetch(conn, f"SELECT count(*) FROM runs WHERE {sql}", params)[0][0])
    found = _raw.fetch(
        conn,
        f"SELECT count(*) FROM ({start[0]}) AS d CROSS JOIN runs "
        f"WHERE runs.run_uuid = d.run_uuid AND {sql}",
        [*start[1], *params],
    )
    return int(found[0][0])


def page(
    conn: Connection,
    where: SqlText,
    start: SqlText | None,
    order_keys: Sequence[flt.OrderKey],
    max_results: int,
    cursor: Cursor | None,
) -> tuple[list[tuple[Any, ...]], Cursor | None]:
    """The run rows (RUN_COLUMNS) of one page and the cursor of the next (None at the end)."""
    keys = sort_keys(order_keys)
    native = lead_of(keys[0])
    rest = [sort_key(k) for k in keys[1:]]
    # Started from a range, the runs are sorted anyway: one statement, with the missing
    # values last, serves both phases. Cursors are written in the lead's own phases, so
    # a token stays good whichever plan the next page gets.
    lead = native if start is None else Lead((sort_key(keys[0]),))
    if cursor is not None:
        cursor = _convert(cursor, native, lead)
    phases = list(lead.phases)
    if cursor is not None:
        phase, values = cursor
        if phase not in phases or len(values) != len(_phase_keys(lead, rest, phase)):
            raise InvalidInputError("page_token is not a valid page token for this order")
        phases = phases[phases.index(phase) :]
    found: list[tuple[str, tuple[Any, ...]]] = []
    for phase in phases:
        resume = cursor[1] if cursor is not None and phase == cursor[0] else None
        sql, params = _phase_sql(lead, rest, phase, where, start, resume, conn.dialect.name)
        limit = max_results + 1 - len(found)
        found += [(phase, row) for row in _raw.fetch(conn, sql, [*params, limit])]
        if len(found) > max_results:
            break
    rows = [row[:_RUN_WIDTH] for _, row in found[:max_results]]
    if len(found) <= max_results:
        return rows, None
    phase, last = found[max_results - 1]
    return rows, _convert((phase, list(last[_RUN_WIDTH:])), lead, native)


def _convert(cursor: Cursor, source: Lead, target: Lead) -> Cursor:
    """A cursor of ``source``'s phases as one of ``target``'s, where one of the two is
    the single phase of a driven search (its lead is one nullable key)."""
    phase, values = cursor
    if source.phases == target.phases or phase not in source.phases:
        return cursor  # nothing to do, or checked (and refused) by the caller
    width = len(source.keys)
    if phase == "missing":
        return "all", [None, *values]
    if phase == "present" and len(values) >= width:
        return "all", [values[width - 1], *values[width:]]
    if phase == "all" and values and values[0] is None:
        return "missing", values[1:]
    if phase == "all" and values and (isinstance(values[0], str) or not target.prefixed):
        return "present", [*target.lead_values(values[0]), *values[1:]]
    raise InvalidInputError("page_token is not a valid page token for this order")


def _phase_keys(lead: Lead, rest: list[SortKey], phase: str) -> list[SortKey]:
    return rest if phase == "missing" else [*lead.keys, *rest]


def _phase_sql(
    lead: Lead,
    rest: list[SortKey],
    phase: str,
    where: SqlText,
    start: SqlText | None,
    resume: list[Any] | None,
    dialect: str,
) -> SqlText:
    keys = _phase_keys(lead, rest, phase)
    params: list[Any] = [p for key in keys for p in key.params]
    select = ", ".join([_hydrate.RUN_SELECT, *(key.sql for key in keys)])
    sources, joins = ["runs"], []
    if start is not None:
        sources.insert(0, f"({start[0]}) AS d")
        params += start[1]
        joins.append("runs.run_uuid = d.run_uuid")
    conditions: list[SqlText] = []
    if phase == "present":
        if lead.table is not None:
            # Started from the range, the lead table comes after runs; else it drives.
            position = len(sources) if start is not None else 0
            sources.insert(position, f"{lead.table} AS lead")
            joins.append("lead.run_uuid = runs.run_uuid")
        conditions.append(lead.present)
    elif phase == "missing":
        conditions.append(lead.missing)
    conditions.append(where)
    if resume is not None:
        conditions.append(after(keys, resume))
    terms = [*joins, *(sql for sql, _ in conditions)]
    params += [p for _, ps in conditions for p in ps]
    orders = [key.order(dialect) for key in keys]
    order = ", ".join(sql for sql, _ in orders)
    params += [p for _, ps in orders for p in ps]
    sql = (
        f"SELECT {select} FROM {' CROSS JOIN '.join(sources)} WHERE {' AND '.join(terms)} "
        f"ORDER BY {order} LIMIT ?"
    )
    return sql, params


def _capped_count(conn: Connection, sql: str, params: Sequence[Any], cap: int = CAP) -> int:
    found = _raw.fetch(conn, f"SELECT count(*) FROM ({sql} LIMIT {int(cap)}) AS c", params)
    return int(found[0][0])
