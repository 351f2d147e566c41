"""What every command shares: the client for the chosen tracking URI, value formatting,
JSON output and the runs table.

rich is imported inside the functions that draw, so ``runlab --help`` does not load it.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click

from runlab import wire
from runlab.entities import Experiment, Run, RunStatus
from runlab.errors import InvalidInputError, NotFoundError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from runlab.tracking.client import RunlabClient

MISSING = "—"
SYSTEM_TAG_PREFIXES = ("mlflow.", "runlab.")
STATUS_STYLES = {
    RunStatus.FINISHED: "green",
    RunStatus.RUNNING: "yellow",
    RunStatus.SCHEDULED: "cyan",
    RunStatus.FAILED: "bold red",
    RunStatus.KILLED: "magenta",
}
MAX_VALUE_COLUMNS = 6
VALUE_COLUMN_WIDTH = 16
KIND_PREFIXES = {
    "metrics": "metrics",
    "metric": "metrics",
    "params": "params",
    "param": "params",
    "parameters": "params",
    "tags": "tags",
    "tag": "tags",
}


# ------------------------------------------------------------------- shared state
@dataclass
class CliState:
    """Options of the root group, handed to commands through the click context."""

    tracking_uri: str | None = None
    from_command_line: bool = False  # given as an option rather than by the environment
    _client: RunlabClient | None = field(default=None, repr=False)

    def client(self) -> RunlabClient:
        if self._client is None:
            from runlab.tracking.client import RunlabClient

            self._client = RunlabClient(self.tracking_uri)
        return self._client


def state() -> CliState:
    ctx = click.get_current_context()
    found = ctx.find_object(CliState)
    if found is None:  # a command invoked without the root group (tests, embedding)
        found = ctx.ensure_object(CliState)
    return found


def client() -> RunlabClient:
    return state().client()


def _remember_tracking_uri(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value:
        st = state()
        st.tracking_uri, st.from_command_line, st._client = value, True, None


F = TypeVar("F", bound=Callable[..., Any])


def tracking_uri_option(command: F) -> F:
    """``--tracking-uri`` on a command too, so it may follow the command's name."""
    return click.option(
        "--tracking-uri",
        metavar="URI",
        expose_value=False,
        is_eager=True,
        callback=_remember_tracking_uri,
        help="Store to work on (same as runlab --tracking-uri).",
    )(command)


# ------------------------------------------------------------------- lookups
def find_experiment(c: RunlabClient, id_or_name: str) -> Experiment:
    """An experiment by id (all digits) or by name; an all-digit name works too."""
    text = id_or_name.strip()
    if text.isdigit():
        try:
            return c.get_experiment(text)
        except NotFoundError:
            found = c.get_experiment_by_name(text)
            if found is None:
                raise
            return found
    found = c.get_experiment_by_name(text)
    if found is None:
        raise NotFoundError(f"experiment {id_or_name!r} not found (no experiment by that name)")
    return found


def find_run(c: RunlabClient, run_id: str) -> Run:
    """A run by its full id, or by an unambiguous prefix of at least 4 characters (the
    tables show the first 8)."""
    text = run_id.strip()
    try:
        return c.get_run(text)
    except NotFoundError:
        matches = _run_ids_with_prefix(c, text) if 4 <= len(text) < 32 else []
        if len(matches) == 1:
            return c.get_run(matches[0])
        if len(matches) > 1:
            count = f"{len(matches)}" if len(matches) <= 5 else "more than 5"
            shown = ", ".join(matches[:5]) + (", …" if len(matches) > 5 else "")
            raise InvalidInputError(
                f"run id prefix {text!r} is ambiguous: it matches {count} runs ({shown}); "
                "give more characters"
            ) from None
        raise


def _run_ids_with_prefix(c: RunlabClient, prefix: str) -> list[str]:
    if not all(ch.isalnum() or ch in "-_" for ch in prefix):
        return []
    from runlab.store.sql.store import SqlStore

    store = c.store
    if not isinstance(store, SqlStore):
        return []
    from sqlalchemy import select

    from runlab.store.sql.schema import runs

    query = select(runs.c.run_uuid).where(runs.c.run_uuid.startswith(prefix, autoescape=True))
    with store.db.read() as conn:
        return sorted(conn.execute(query.limit(6)).scalars())


# ------------------------------------------------------------------- formatting
def format_time(ms: int | None, now: float | None = None) -> str:
    """Local time, short: ``today 14:03``, ``Mar 02 14:03`` this year, else the date."""
    if ms is None:
        return MISSING
    when = datetime.fromtimestamp(ms / 1000)
    today = datetime.fromtimestamp(time.time() if now is None else now)
    if when.date() == today.date():
        return when.strftime("today %H:%M")
    if when.year == today.year:
        return when.strftime("%b %d %H:%M")
    return when.strftime("%Y-%m-%d")


def format_time_full(ms: int | None) -> str:
    if ms is None:
        return MISSING
    return datetime.fromtimestamp(ms / 1000).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


def format_duration_ms(ms: float) -> str:
    if ms < 0:
        return MISSING
    if ms < 1000:
        return f"{int(ms)}ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours:02d}h"


def run_duration(run: Run) -> str:
    """Wall time of a run; for one still running, the time since it started."""
    start, end = run.info.start_time, run.info.end_time
    if start is None:
        return MISSING
    if end is None:
        if run.info.status != RunStatus.RUNNING:
            return MISSING
        return format_duration_ms(time.time() * 1000 - start) + "…"
    return format_duration_ms(end - start)


def format_number(value: float | None) -> str:
    if value is None:
        return MISSING
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"


def is_system_tag(key: str) -> bool:
    return key.startswith(SYSTEM_TAG_PREFIXES)


# ------------------------------------------------------------------- JSON
def run_to_json(run: Run) -> dict[str, Any]:
    return {
        "info": asdict(run.info),
        "params": dict(run.data.params),
        "metrics": {k: wire.double(v) for k, v in run.data.metrics.items()},
        "tags": dict(run.data.tags),
    }


def experiment_to_json(exp: Experiment) -> dict[str, Any]:
    return asdict(exp)


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


# ------------------------------------------------------------------- rich
def console() -> Console:
    from rich.console import Console

    return Console(highlight=False)


def status_text(status: str) -> str:
    style = STATUS_STYLES.get(status)
    return f"[{style}]{status}[/]" if style else status


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)


# ------------------------------------------------------------------- run columns
@dataclass(frozen=True)
class Column:
    """A run value shown as a table column: ``kind`` is params, metrics or tags."""

    kind: str
    key: str

    @property
    def label(self) -> str:
        return f"{self.kind}.{self.key}"

    def value(self, run: Run) -> str:
        if self.kind == "metrics":
            return format_number(run.data.metrics.get(self.key))
        source = run.data.params if self.kind == "params" else run.data.tags
        return source.get(self.key, MISSING)


def parse_columns(specs: Iterable[str]) -> list[Column]:
    """``params.lr,metrics.val_loss`` (repeatable, comma-separated) → columns."""
    columns: list[Column] = []
    for spec in specs:
        for part in spec.split(","):
            part = part.strip()
            if not part:
                continue
            prefix, dot, key = part.partition(".")
            kind = KIND_PREFIXES.get(prefix.lower())
            if not dot or kind is None or not key:
                raise click.BadParameter(
                    f"{part!r}: write columns as params.KEY, metrics.KEY or tags.KEY",
                    param_hint="'--columns'",
                )
            columns.append(Column(kind, key))
    return columns


def _order_by_columns(order_by: Sequence[str]) -> list[Column]:
    found = []
    for clause in order_by:
        name = clause.strip().split()[0] if clause.strip() else ""
        prefix, dot, key = name.partition(".")
        kind = KIND_PREFIXES.get(prefix.lower())
        if dot and kind is not None and key:
            found.append(Column(kind, key.strip('`"')))
    return found


def ranked_columns(runs: Sequence[Run], order_by: Sequence[str]) -> list[Column]:
    """Param and metric columns, most telling first: keys in ``order_by``, then metrics and
    params taken in turn, the most common metrics and the params whose value varies the
    most between runs first."""
    metric_counts = Counter(k for r in runs for k in r.data.metrics)
    param_values: dict[str, Counter[str]] = {}
    for r in runs:
        for k, v in r.data.params.items():
            param_values.setdefault(k, Counter())[v] += 1
    metrics = sorted(metric_counts, key=lambda k: (-metric_counts[k], k))
    params = sorted(
        param_values,
        key=lambda k: (len(param_values[k]) < 2, -param_values[k].total(), k),
    )
    queues = {
        "metrics": [Column("metrics", k) for k in metrics],
        "params": [Column("params", k) for k in params],
    }
    ranked = list(dict.fromkeys(_order_by_columns(order_by)))
    seen = set(ranked)
    count = Counter(c.kind for c in ranked)
    while any(queues.values()):
        # Take from the kind shown less so far (metrics on a tie), or the one left.
        kind = min((k for k in ("metrics", "params") if queues[k]), key=lambda k: (count[k], k))
        col = queues[kind].pop(0)
        if col not in seen:
            ranked.append(col)
            seen.add(col)
            count[kind] += 1
    return ranked


def _cell_width(texts: Iterable[str], cap: int) -> int:
    from rich.cells import cell_len

    return min(cap, max((cell_len(t) for t in texts), default=0))


def fitting_columns(
    runs: Sequence[Run], ranked: Sequence[Column], fixed_width: int, width: int
) -> list[Column]:
    """The leading columns of ``ranked`` (at most six, at least one) that fit beside the
    fixed columns in ``width`` cells, in table order: params, tags, then metrics."""
    chosen: list[Column] = []
    used = fixed_width
    for col in ranked:
        if len(chosen) == MAX_VALUE_COLUMNS:
            break
        need = _cell_width([col.key, *(col.value(r) for r in runs)], VALUE_COLUMN_WIDTH) + 3
        if chosen and used + need > width:
            break
        chosen.append(col)
        used += need
    order = {"params": 0, "tags": 1, "metrics": 2}
    return sorted(chosen, key=lambda c: order[c.kind])


def runs_table(
    runs: Sequence[Run],
    columns: Sequence[Column] | None = None,
    order_by: Sequence[str] = (),
    title: str | None = None,
    width: int | None = None,
) -> Table:
    """The table of ``runs list`` and ``demo``: fixed run columns plus param/metric columns.

    Without ``columns``, the param and metric columns of :func:`ranked_columns` that fit
    the terminal are shown (up to six). Long values are cut with an ellipsis.
    """
    from rich.table import Table

    now = time.time()
    fixed_rows = []
    for run in runs:
        name = run.info.run_name
        if run.data.tags.get("mlflow.parentRunId"):
            name = f"↳ {name}"
        fixed_rows.append(
            (
                run.info.run_id[:8],
                name,
                run.info.status,
                format_time(run.info.start_time, now),
                run_duration(run),
                run.info.user_id,
            )
        )
    width = width or console().width
    # In a narrow terminal the user column goes first, unless it tells runs apart.
    show_user = width >= 100 or len({row[5] for row in fixed_rows}) > 1
    headers = ("run id", "name", "status", "started", "duration", "user")
    caps = (8, 28, 9, 12, 9, 12 if show_user else 0)
    if columns is None:
        fixed_width = 1 + sum(
            _cell_width([h, *(row[i] for row in fixed_rows)], cap) + 3
            for i, (h, cap) in enumerate(zip(headers, caps, strict=True))
        )
        columns = fitting_columns(runs, ranked_columns(runs, order_by), fixed_width, width)
    table = Table(title=title, title_justify="left", header_style="bold", expand=False)
    table.add_column("run id", no_wrap=True, style="cyan", min_width=8)
    table.add_column("name", overflow="ellipsis", no_wrap=True, max_width=28)
    table.add_column("status", no_wrap=True, min_width=8)
    table.add_column("started", no_wrap=True)
    table.add_column("duration", no_wrap=True, justify="right")
    if show_user:
        table.add_column("user", overflow="ellipsis", no_wrap=True, max_width=12)
    for col in columns:
        kind = {"metrics": "metric", "params": "param", "tags": "tag"}[col.kind]
        table.add_column(
            f"{escape(col.key)}\n[dim]{kind}[/]",
            overflow="ellipsis",
            no_wrap=True,
            justify="right" if col.kind == "metrics" else "left",
            max_width=VALUE_COLUMN_WIDTH,
        )
    for run, (short_id, name, status, started, duration, user) in zip(
        runs, fixed_rows, strict=True
    ):
        cells = [short_id, escape(name), status_text(status), started, duration]
        if show_user:
            cells.append(escape(user))
        table.add_row(*cells, *(escape(col.value(run)) for col in columns))
    return table
