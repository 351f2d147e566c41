"""``set_system_metrics_node_id``: each node of a multi-node training logs its system
metrics under ``system/<node id>/...``, as MLflow names them."""

from __future__ import annotations

import time

import pytest
from tests.autolog._helpers import history

import runlab
from runlab.errors import InvalidInputError
from runlab.tracking.system_metrics import SystemMetricsSettings, current_settings

KEY = "cpu_utilization_percentage"


def _system_keys(run_id: str) -> set[str]:
    return {k for k in runlab.get_run(run_id).data.metrics if k.startswith("system/")}


def test_metrics_of_a_named_node_carry_its_id() -> None:
    runlab.set_system_metrics_sampling_interval(0.2)
    runlab.set_system_metrics_node_id("node_1")
    with runlab.start_run(log_system_metrics=True) as run:
        time.sleep(0.7)
    keys = _system_keys(run.info.run_id)
    assert f"system/node_1/{KEY}" in keys
    assert all(k.startswith("system/node_1/") for k in keys), keys
    assert history(run.info.run_id, f"system/node_1/{KEY}")


def test_none_goes_back_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    runlab.set_system_metrics_sampling_interval(0.2)
    runlab.set_system_metrics_node_id("a")
    runlab.set_system_metrics_node_id(None)
    assert current_settings().node_id is None
    monkeypatch.setenv("MLFLOW_SYSTEM_METRICS_NODE_ID", "from-env")
    assert current_settings().node_id == "from-env"
    with runlab.start_run(log_system_metrics=True) as run:
        time.sleep(0.5)
    assert f"system/from-env/{KEY}" in _system_keys(run.info.run_id)
    runlab.set_system_metrics_node_id("code")
    assert current_settings().node_id == "code"  # the process's choice wins


def test_without_a_node_id_keys_are_unchanged() -> None:
    runlab.set_system_metrics_sampling_interval(0.2)
    with runlab.start_run(log_system_metrics=True) as run:
        time.sleep(0.5)
    assert f"system/{KEY}" in _system_keys(run.info.run_id)
    assert SystemMetricsSettings.from_env({"RUNLAB_SYSTEM_METRICS_NODE_ID": "n"}).node_id == "n"


@pytest.mark.parametrize("bad", ["", "a/b", "..", "tab\there", 7, "x" * 101])
def test_a_node_id_must_fit_in_a_metric_key(bad: object) -> None:
    with pytest.raises(InvalidInputError, match="node_id: must be 1 to 100 letters"):
        runlab.set_system_metrics_node_id(bad)  # type: ignore[arg-type]
