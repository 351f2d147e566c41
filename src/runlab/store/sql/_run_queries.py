"""The read side of runs in :class:`~runlab.store.sql.store.SqlStore`: metric histories
(whole, downsampled, sampled at shared steps) and run searches, counts and groups."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, TextClause, select

from runlab import _validation as check
from runlab.entities import (
    Metric,
    PagedList,
    Run,
    RunGroups,
    ViewType,
)
from runlab.errors import InvalidInputError, NotFoundError
from runlab.store import filter as flt
from runlab.store.base import TrackingStore, check_downsample_args
from runlab.store.run_table import RunTable
from runlab.store.sql import (
    _downsample,
    _hydrate,
    _interval,
    _pages,
    _raw,
    _run_json,
    _run_plan,
    run_search,
)
from runlab.store.sql._engine import Database
from runlab.store.sql.run_search import SqlText
from runlab.store.sql.schema import (
    runs,
)


class RunQueryMethods:
    """Mixed into SqlStore; works on its ``db``."""

    db: Database

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[Metric]:
        rows, token = self._history_rows(run_id, key, max_results, page_token)
        nan = float("nan")
        points = [Metric(k, nan if n else v, ts, s, run_id) for k, v, n, ts, s in rows]
        return PagedList(points, token)

    def get_metric_history_json(
        self,
        run_id: str,
        key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> bytes:
        """The page :meth:`get_metric_history` returns, as ``metrics/get-history``'s JSON."""
        rows, token = self._history_rows(run_id, key, max_results, page_token)
        return _run_json.history_json(key, rows, token)

    def _history_rows(
        self, run_id: str, key: str, max_results: int | None, page_token: str | None
    ) -> tuple[Sequence[tuple[Any, ...]], str | None]:
        """(key, value, is_nan, timestamp, step) rows of one page, and the next token."""
        fingerprint = _pages.query_fingerprint("history", run_id, key)
        position = _pages.decode_position(page_token, fingerprint)
        order = "step, timestamp, value, is_nan"
        sql = (
            "SELECT key, value, is_nan, timestamp, step FROM metrics WHERE run_uuid = ? AND key = ?"
        )
        params: list[Any] = [run_id, key]
        if not isinstance(position, int):
            # Keyset paging: the next page starts right after the last point sent, found
            # in the primary key (run, key, step, timestamp, value, is_nan), so page k
            # costs what page 1 does instead of skipping k pages of rows first.
            sql += f" AND ({order}) > (?, ?, ?, ?)"
            params += _history_cursor(position, page_token)
        sql += f" ORDER BY {order}"
        offset = position if isinstance(position, int) else 0  # a token of an older server
        if max_results is not None or offset:
            limit = 2**62 if max_results is None else check.max_results(max_results, 10**9) + 1
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        with self.db.read() as conn:
            rows = _raw.fetch(conn, sql, params)
            if not rows and position == 0:
                exists = conn.execute(select(runs.c.run_uuid).where(runs.c.run_uuid == run_id))
                if exists.first() is None:
                    raise NotFoundError(f"run {run_id!r} not found")
        token = None
        if max_results is not None and len(rows) > max_results:
            rows = rows[:max_results]
            _k, value, is_nan, ts, step = rows[-1]
            cursor = [step, ts, value, bool(is_nan)]
            token = _pages.encode_cursor(("history", cursor), fingerprint)
        return rows, token

    def get_metric_history_downsampled(
        self,
        run_id: str,
        key: str,
        max_points: int = 2000,
        x_axis: str = "step",
    ) -> list[Metric]:
        max_points, x_axis = check_downsample_args(max_points, x_axis)
        with self.db.read() as conn:
            points = _downsample.history_downsampled(conn, run_id, key, max_points, x_axis)
            if not points:
                exists = conn.execute(select(runs.c.run_uuid).where(runs.c.run_uuid == run_id))
                if exists.first() is None:
                    raise NotFoundError(f"run {run_id!r} not found")
        if points is None:  # a span too wide for SQL integers: thin it in Python
            return TrackingStore.get_metric_history_downsampled(
                self,  # type: ignore[arg-type]  # a mixin of SqlStore, a TrackingStore
                run_id,
                key,
                max_points,
                x_axis,
            )
        return points

    def get_metric_history_interval(
        self,
        run_ids: Sequence[str],
        key: str,
        max_steps: int,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> dict[str, list[Metric]]:
        if not run_ids:
            return {}
        with self.db.read() as conn:
            found = _interval.interval(conn, run_ids, key, max_steps, start_step, end_step)
            empty = [r for r, points in found.items() if not points]
            missing = _interval.missing_runs(conn, empty) if empty else []
        if missing:
            raise NotFoundError(f"run {missing[0]!r} not found")
        return found

    def count_runs_matching(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
    ) -> int:
        view = ViewType.parse(run_view_type)
        ids = sorted({_search_exp_id(e) for e in experiment_ids})
        node = flt.parse_run_filter(filter_string)
        if not ids:
            return 0
        where = _run_conditions(ids, view, node)
        with self.db.read() as conn:
            return _run_plan.count(conn, where, _run_plan.driver(conn, _scope(ids, view), node))

    def group_runs(
        self,
        experiment_ids: Sequence[str],
        group_by: str,
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        metric_keys: Sequence[str] | None = None,
        max_groups: int = 1000,
    ) -> RunGroups:
        from runlab.store import grouping
        from runlab.store.sql import groups

        key, keys, limit = grouping.check_group_args(group_by, metric_keys, max_groups)
        view = ViewType.parse(run_view_type)
        ids = sorted({_search_exp_id(e) for e in experiment_ids})
        node = flt.parse_run_filter(filter_string)
        if not ids:
            return RunGroups([], truncated=False)
        where: list[ColumnElement[bool] | TextClause] = [
            runs.c.experiment_id.in_(ids),
            runs.c.lifecycle_stage.in_(view.stages()),
        ]
        clause = run_search.run_filter_clause(node)
        if clause is not None:
            where.append(clause)
        with self.db.read() as conn:
            rows = conn.execute(groups.group_query(where, key, keys, limit)).all()
        return groups.read_groups(rows, keys, limit)

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        query = (experiment_ids, filter_string, run_view_type, max_results, order_by, page_token)
        with self.db.read() as conn:
            rows, token = self._run_page(conn, *query)
            return PagedList(_hydrate.load_runs(conn, rows), token)

    def search_run_table(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> RunTable:
        """The page :meth:`search_runs` returns, as columns (see runlab.store.run_table)."""
        query = (experiment_ids, filter_string, run_view_type, max_results, order_by, page_token)
        with self.db.read() as conn:
            rows, token = self._run_page(conn, *query)
            return _hydrate.load_table(conn, rows, token)

    def search_runs_json(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> bytes:
        """The page :meth:`search_runs` returns, as MLflow's JSON (runlab.store.run_json)."""
        query = (experiment_ids, filter_string, run_view_type, max_results, order_by, page_token)
        with self.db.read() as conn:
            rows, token = self._run_page(conn, *query)
            return _run_json.page_json(_run_json.runs_json(conn, rows), token)

    def _run_page(
        self,
        conn: Connection,
        experiment_ids: Sequence[str],
        filter_string: str | None,
        run_view_type: ViewType,
        max_results: int,
        order_by: Sequence[str] | None,
        page_token: str | None,
    ) -> tuple[Sequence[Any], str | None]:
        """The run rows (RUN_COLUMNS) of one page, and the token of the next."""
        view = ViewType.parse(run_view_type)
        max_results = check.max_results(max_results, check.MAX_RESULTS_SEARCH_RUNS)
        ids = sorted({_search_exp_id(e) for e in experiment_ids})
        node = flt.parse_run_filter(filter_string)
        keys = flt.parse_order_by(order_by)
        fingerprint = _pages.query_fingerprint(
            "runs", ids, int(view), filter_string, list(order_by or ())
        )
        position = _pages.decode_position(page_token, fingerprint)
        if not ids:
            return [], None
        where = _run_conditions(ids, view, node)
        if isinstance(position, int) and position > 0:  # a token of the offset kind
            return _offset_page(conn, where, keys, max_results, position, fingerprint)
        cursor = None if isinstance(position, int) else position
        start = _run_plan.driver(conn, _scope(ids, view), node)
        rows, after = _run_plan.page(conn, where, start, keys, max_results, cursor)
        return rows, None if after is None else _pages.encode_cursor(after, fingerprint)


def _offset_page(
    conn: Connection,
    where: SqlText,
    keys: Sequence[flt.OrderKey],
    max_results: int,
    offset: int,
    fingerprint: str,
) -> tuple[Sequence[Any], str | None]:
    """A page after ``offset`` rows: tokens issued before keyset pages keep working."""
    order, order_params = run_search.run_order_sql(keys, conn.dialect.name)
    rows = _raw.fetch(
        conn,
        f"SELECT {_hydrate.RUN_SELECT} FROM runs WHERE {where[0]} ORDER BY {order} "
        "LIMIT ? OFFSET ?",
        [*where[1], *order_params, max_results + 1, offset],
    )
    if len(rows) <= max_results:
        return rows, None
    return rows[:max_results], _pages.encode(offset + max_results, fingerprint)


def _scope(ids: Sequence[int], view: ViewType) -> SqlText:
    return _run_conditions(ids, view, None)


def _run_conditions(ids: Sequence[int], view: ViewType, node: flt.Node | None) -> SqlText:
    """The WHERE of a run search (SQL text, see run_search): experiments, stage, filter."""
    stages = list(view.stages())
    where = (
        f"runs.experiment_id IN ({_raw.placeholders(len(ids))}) "
        f"AND runs.lifecycle_stage IN ({_raw.placeholders(len(stages))})"
    )
    params: list[Any] = [*ids, *stages]
    condition = run_search.run_filter_sql(node)
    if condition is not None:
        where += f" AND {condition[0]}"
        params += condition[1]
    return where, params


def _search_exp_id(value: str | int) -> int:
    try:
        return int(check.experiment_id(value))
    except InvalidInputError:
        raise InvalidInputError(f"experiment_ids: {value!r} is not a valid experiment id") from None


def _history_cursor(position: tuple[str, list[Any]], token: str | None) -> list[Any]:
    """(step, timestamp, value, is_nan) of the last point of the page before."""
    phase, values = position
    try:
        step, ts, value, is_nan = values
        if phase != "history" or not isinstance(is_nan, bool):
            raise ValueError(phase)
        return [int(step), int(ts), float(value), is_nan]
    except (ValueError, TypeError) as exc:
        raise InvalidInputError(f"page_token {token!r} is not a valid page token") from exc
