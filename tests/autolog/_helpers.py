"""Helpers of the autologging tests."""

from __future__ import annotations

from typing import Any

import runlab


def history(run_id: str, key: str) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in runlab.RunlabClient().get_metric_history(run_id, key)]


def artifacts(run_id: str, path: str | None = None) -> set[str]:
    return {f.path for f in runlab.list_artifacts(path, run_id=run_id)}


def only_run() -> Any:
    runs = runlab.search_runs(output_format="list")
    assert len(runs) == 1, [r.info.run_id for r in runs]
    return runs[0]
