"""Fluent ``search_runs`` builds its DataFrame from columns read straight from the database
(runlab.store.run_table): the same frame, cell for cell, as one built from Run entities,
on SQLite and PostgreSQL, with and without the database's JSON functions."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import runlab
from runlab.entities import Metric, Param, RunTag
from runlab.store.run_table import RunTable
from runlab.store.sql import _hydrate
from runlab.tracking import _frames
from runlab.tracking._frames import runs_to_frame, table_to_frame

AWKWARD = ['{"a": 1}', 'quote " and back\\slash', "line\nbreak\ttab", "", "ünïcødé ✓", "\x01"]


def _log_variety() -> list[str]:
    client = runlab.RunlabClient()
    exp = runlab.set_experiment("frames").experiment_id
    ids = []
    for i in range(12):
        run = client.create_run(exp, run_name=f"r{i}")
        rid = run.info.run_id
        metrics = [Metric("loss", 1.0 / (i + 1), 1000 + i, i)]
        if i % 3 == 0:
            metrics.append(Metric("acc", math.nan, 5, 0))
        if i % 4 == 1:
            metrics.append(Metric("acc", math.inf if i == 1 else -math.inf, 5, 0))
        params = [Param("p", AWKWARD[i % len(AWKWARD)])]
        if i % 2:
            params.append(Param(f"only{i}", str(i)))
        tags = [RunTag("t", AWKWARD[(i + 1) % len(AWKWARD)])] if i % 5 else []
        client.log_batch(rid, metrics=metrics, params=params, tags=tags)
        if i % 3 != 2:  # some runs stay RUNNING, with no end time
            client.set_terminated(rid)
        ids.append(rid)
    return ids


def _reference(**kwargs: object) -> pd.DataFrame:
    return runs_to_frame(runlab.search_runs(output_format="list", **kwargs))


@pytest.mark.parametrize("with_json", [True, False], ids=["json", "rows"])
def test_frame_matches_the_one_built_from_runs(
    tracking: str, monkeypatch: pytest.MonkeyPatch, with_json: bool
) -> None:
    if not with_json:  # a SQLite built without JSON: the rows fallback
        monkeypatch.setattr(_hydrate, "_json_agg", lambda conn: None)
    ids = _log_variety()
    for kwargs in (
        {},
        {"filter_string": "metrics.loss < 0.3 AND params.p != ''"},
        {"order_by": ["metrics.acc DESC", "params.p"], "max_results": 5},
        {"filter_string": "metrics.loss > 100"},  # nothing
    ):
        frame = runlab.search_runs(**kwargs)
        pd.testing.assert_frame_equal(frame, _reference(**kwargs))
    frame = runlab.search_runs().set_index("run_id")
    assert len(frame) == len(ids)
    assert frame.loc[ids[0], "params.p"] == AWKWARD[0]
    assert frame.loc[ids[2], "params.p"] == AWKWARD[2]
    assert math.isnan(frame.loc[ids[0], "metrics.acc"])  # a NaN value
    assert math.isnan(frame.loc[ids[2], "metrics.acc"])  # no value
    assert frame.loc[ids[1], "metrics.acc"] == math.inf
    assert frame.loc[ids[5], "metrics.acc"] == -math.inf
    assert frame.loc[ids[3], "params.only3"] == "3"
    assert pd.isna(frame.loc[ids[4], "params.only3"])
    assert pd.isna(frame.loc[ids[0], "tags.t"])
    assert frame.loc[ids[1], "tags.t"] == AWKWARD[2]
    assert pd.isna(frame.loc[ids[2], "end_time"])
    assert frame.loc[ids[2], "status"] == "RUNNING"


def test_runs_read_in_several_chunks(tracking: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _log_variety()
    whole = runlab.search_runs()
    runs = runlab.search_runs(output_format="list")
    monkeypatch.setattr(_hydrate, "_CHUNK", 5)  # 12 runs: chunks of 5, 5 and 2
    pd.testing.assert_frame_equal(runlab.search_runs(), whole)
    listed = runlab.search_runs(output_format="list")
    assert [r.info for r in listed] == [r.info for r in runs]
    pd.testing.assert_frame_equal(runs_to_frame(listed), runs_to_frame(runs))  # NaN-aware


def test_table_pages_join_up(tracking: str) -> None:
    _log_variety()
    client = runlab.RunlabClient()
    exp = runlab.get_experiment_by_name("frames").experiment_id
    whole = client.search_runs_table([exp], order_by=["params.p"])
    table, token, pages = RunTable(), None, 0
    while True:
        page = client.search_runs_table(
            [exp], order_by=["params.p"], max_results=5, page_token=token
        )
        table.extend(page)
        pages += 1
        token = page.token
        if not token:
            break
    assert pages == 3
    pd.testing.assert_frame_equal(table_to_frame(table), table_to_frame(whole))


def test_extend_fills_keys_either_side_lacks() -> None:
    first = RunTable(["a"], ["0"], ["FINISHED"], ["u"], [1], [2], {"m": [1.0]}, {"p": ["x"]}, {})
    second = RunTable(
        ["b", "c"], ["0", "0"], ["RUNNING"] * 2, ["u"] * 2, [3, 4], [None, None],
        {"n": [2.0, 3.0]}, {}, {"t": ["y", None]}, "next",
    )  # fmt: skip
    first.extend(second)
    assert first.run_id == ["a", "b", "c"]
    assert first.end_time == [2, None, None]
    assert first.metrics["m"][0] == 1.0
    assert all(math.isnan(v) for v in first.metrics["m"][1:])
    assert math.isnan(first.metrics["n"][0])
    assert first.metrics["n"][1:] == [2.0, 3.0]
    assert first.params == {"p": ["x", None, None]}
    assert first.tags == {"t": [None, "y", None]}
    assert first.token == "next"
    assert len(first) == 3


_PRELOAD_SCRIPT = """
import os, sys, tempfile
import runlab
from runlab.tracking import _frames

runlab.set_tracking_uri("sqlite:///" + os.path.join(tempfile.mkdtemp(), "r.db"))
first = False
for _ in range(9):
    with runlab.start_run():
        runlab.log_metric("m", 1.0)
        first = first or "pandas" in sys.modules  # not while a few runs train
with runlab.start_run():
    pass
if _frames._preload is not None:
    _frames._preload.join()
print(first, "pandas" in sys.modules)
"""


@pytest.mark.parametrize(("setting", "expected"), [(None, "False True"), ("false", "False False")])
def test_pandas_is_preloaded_once_ten_runs_end(
    tmp_path: Path, setting: str | None, expected: str
) -> None:
    env = {k: v for k, v in os.environ.items() if k != _frames.PRELOAD_ENV}
    if setting is not None:
        env[_frames.PRELOAD_ENV] = setting
    out = subprocess.run(
        [sys.executable, "-c", _PRELOAD_SCRIPT],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=True,
    )  # fmt: skip
    assert out.stdout.split() == expected.split()


_FORK_SCRIPT = """
import os, sys, tempfile
import runlab

runlab.set_tracking_uri("sqlite:///" + os.path.join(tempfile.mkdtemp(), "r.db"))
for _ in range(10):
    with runlab.start_run():
        pass
pid = os.fork()  # at once, while pandas is being imported in the background
if pid == 0:
    import signal
    signal.alarm(60)  # a child that hangs ends itself
    import pandas
    pandas.DataFrame({"a": [1]})
    os._exit(0)
_, status = os.waitpid(pid, 0)
print("child", os.waitstatus_to_exitcode(status))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX-only")
def test_a_fork_during_the_preload_leaves_the_child_able_to_import_pandas(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", _FORK_SCRIPT],
        capture_output=True, text=True, cwd=tmp_path, timeout=120, check=True,
    )  # fmt: skip
    assert out.stdout.split() == ["child", "0"]
