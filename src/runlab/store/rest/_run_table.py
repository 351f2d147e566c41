"""A ``runs/search`` answer read straight into a :class:`RunTable` (DataFrame searches).

``RestStore.search_runs`` must build ``Run`` entities, which is what it returns; a
DataFrame search needs only columns, so this walks the answer's JSON once and fills
them, with no entity per run, param, tag or metric. The table equals
``RunTable.from_runs`` over ``run_from_json`` of the same answer (a test compares them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runlab.store.run_table import RunTable
from runlab.wire._scalars import number, optional_int

_NAN = float("nan")
_RUN_NAME = "mlflow.runName"


def table_from_answer(answer: Mapping[str, Any]) -> RunTable:
    found = answer.get("runs") or ()
    n = len(found)
    table = RunTable(token=answer.get("next_page_token") or None)
    metrics, params, tags = table.metrics, table.params, table.tags
    for i, run in enumerate(found):
        info = run["info"]
        table.run_id.append(str(info.get("run_id") or info["run_uuid"]))
        table.experiment_id.append(str(info.get("experiment_id", "")))
        table.status.append(str(info.get("status", "RUNNING")))
        table.artifact_uri.append(str(info.get("artifact_uri", "")))
        table.start_time.append(optional_int(info.get("start_time")))
        table.end_time.append(optional_int(info.get("end_time")))
        data = run.get("data") or {}
        for m in data.get("metrics") or ():
            column = metrics.get(m["key"])
            if column is None:
                column = metrics[str(m["key"])] = [_NAN] * n
            column[i] = number(m.get("value", 0.0))
        for items, columns in ((data.get("params"), params), (data.get("tags"), tags)):
            for item in items or ():
                column_s = columns.get(item["key"])
                if column_s is None:
                    column_s = columns[str(item["key"])] = [None] * n
                column_s[i] = str(item.get("value", ""))
        name = info.get("run_name")
        if name:  # some servers send the name in info only (as run_from_json)
            named = tags.get(_RUN_NAME)
            if named is None:
                named = tags[_RUN_NAME] = [None] * n
            if named[i] is None:
                named[i] = str(name)
    return table
