"""Runs as a pandas DataFrame, with the columns MLflow users expect.

``import runlab`` leaves pandas alone (it costs a third of a second and a lot of memory
in every training script), so the first DataFrame of a process would pay for importing
it. A process that has ended ten runs is a sweep or a notebook, where comparing runs
usually follows: then pandas is imported on a background thread (:func:`preload_pandas`)
and the first ``search_runs`` finds it ready. A script that trains one model or a few never
loads it (the import would take CPU from its training loop for a second).
``RUNLAB_PRELOAD_PANDAS=false`` turns this off.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
import threading
from collections.abc import Sequence
from typing import Any

from runlab import environment_variables as env
from runlab.entities import Run
from runlab.store.run_table import INFO_COLUMNS, RunTable

PRELOAD_ENV = env.RUNLAB_PRELOAD_PANDAS.name

log = logging.getLogger("runlab")

_preload: threading.Thread | None = None
_preload_lock = threading.Lock()


def preload_pandas() -> None:
    """Start importing pandas on a daemon thread, once per process, unless it is
    imported already, not installed, or ``RUNLAB_PRELOAD_PANDAS`` is false."""
    global _preload
    if _preload is not None or "pandas" in sys.modules:
        return
    with _preload_lock:
        if _preload is not None:
            return
        if not env.RUNLAB_PRELOAD_PANDAS.get():
            return
        if importlib.util.find_spec("pandas") is None:
            return
        _preload = threading.Thread(target=_import_pandas, name="runlab-pandas", daemon=True)
        # A child forked mid-import would inherit half-imported modules and their locks:
        # a fork waits for the import to finish.
        os.register_at_fork(before=_wait_for_preload)
        _preload.start()


def _import_pandas() -> None:
    try:
        # A first small frame of every column kind also loads what pandas imports on first
        # use (its string arrays, time zones), which would otherwise slow the first search.
        nan = float("nan")
        table_to_frame(
            RunTable(
                ["a", "b"], ["0", "0"], ["RUNNING"] * 2, ["u"] * 2, [1, 2], [None, 3],
                {"m": [1.0, nan]}, {"p": ["x", None]}, {"t": [None, "y"]},
            )
        )  # fmt: skip
    except Exception as exc:  # the search that needs pandas will say what is wrong
        log.debug("runlab: importing pandas in the background failed: %s", exc)


def _wait_for_preload() -> None:
    thread = _preload
    if thread is not None and thread is not threading.current_thread():
        thread.join()


def runs_to_frame(runs: Sequence[Run]) -> Any:
    """:func:`table_to_frame` of ``runs``; a list when pandas is missing."""
    try:
        import pandas  # noqa: F401
    except ImportError:
        return list(runs)
    return table_to_frame(RunTable.from_runs(runs))


def table_to_frame(table: RunTable) -> Any:
    """``run_id, experiment_id, status, artifact_uri, start_time, end_time``, then
    ``metrics.*``, ``params.*`` and ``tags.*`` (each sorted by key). Times are UTC
    datetimes, a missing metric is NaN and a missing param or tag None.

    One ``DataFrame`` call over ready columns: nothing is built row by row."""
    import numpy as np
    import pandas as pd

    columns: dict[str, Any] = {name: getattr(table, name) for name in INFO_COLUMNS}
    for key in sorted(table.metrics):  # typed already: pandas need not look at each value
        columns[f"metrics.{key}"] = np.array(table.metrics[key], dtype=np.float64)
    for prefix, values in (("params", table.params), ("tags", table.tags)):
        for key in sorted(values):
            columns[f"{prefix}.{key}"] = values[key]
    frame = pd.DataFrame(columns)
    for name in ("start_time", "end_time"):
        frame[name] = pd.to_datetime(frame[name], unit="ms", utc=True)
    return frame
