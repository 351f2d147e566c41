"""System metrics: a real sampler thread against a real SQLite store."""

from __future__ import annotations

import time

import pytest
from tests.autolog._helpers import history

import runlab
from runlab.errors import ConfigurationError, InvalidInputError
from runlab.tracking.system_metrics import SystemMetricsSettings, current_settings

MACHINE_KEYS = (
    "system/cpu_utilization_percentage",
    "system/system_memory_usage_megabytes",
    "system/system_memory_usage_percentage",
    "system/disk_usage_percentage",
    "system/disk_usage_megabytes",
    "system/disk_available_megabytes",
    "system/network_receive_megabytes",
    "system/network_transmit_megabytes",
)


def _has_gpu() -> bool:
    try:
        import pynvml

        pynvml.nvmlInit()
        count = pynvml.nvmlDeviceGetCount()
        pynvml.nvmlShutdown()
        return count > 0
    except Exception:
        return False


def test_a_run_with_a_one_second_interval_has_samples_of_every_key() -> None:
    runlab.set_system_metrics_sampling_interval(1)
    with runlab.start_run(log_system_metrics=True) as run:
        time.sleep(2.6)
    stored = runlab.get_run(run.info.run_id)
    for key in MACHINE_KEYS:
        points = history(run.info.run_id, key)
        assert len(points) >= 2, key
        assert [s for s, _ in points] == list(range(len(points)))
    assert 0 <= stored.data.metrics["system/system_memory_usage_percentage"] <= 100
    assert stored.data.metrics["system/disk_available_megabytes"] > 0
    gpu_keys = [k for k in stored.data.metrics if k.startswith("system/gpu_")]
    if _has_gpu():
        assert "system/gpu_0_utilization_percentage" in gpu_keys
    else:
        assert gpu_keys == []  # no GPU: the keys are simply absent
    # The sampler stopped with the run: no more points arrive.
    count = len(history(run.info.run_id, MACHINE_KEYS[0]))
    time.sleep(1.3)
    runlab.flush()
    assert len(history(run.info.run_id, MACHINE_KEYS[0])) == count


def test_samples_before_logging_averages_and_the_rest_is_logged_at_the_end() -> None:
    runlab.set_system_metrics_sampling_interval(0.2)
    runlab.set_system_metrics_samples_before_logging(3)
    with runlab.start_run(log_system_metrics=True) as run:
        time.sleep(1.5)  # 7 samples: two averages of 3, and one left for the end
    points = history(run.info.run_id, "system/cpu_utilization_percentage")
    assert 2 <= len(points) <= 4


def test_enabled_for_the_process_or_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    runlab.set_system_metrics_sampling_interval(0.2)
    with runlab.start_run() as plain:
        time.sleep(0.5)
    assert history(plain.info.run_id, MACHINE_KEYS[0]) == []

    runlab.enable_system_metrics_logging()
    with runlab.start_run() as enabled:
        time.sleep(0.5)
    assert history(enabled.info.run_id, MACHINE_KEYS[0])
    with runlab.start_run(log_system_metrics=False) as refused:
        time.sleep(0.5)
    assert history(refused.info.run_id, MACHINE_KEYS[0]) == []
    runlab.disable_system_metrics_logging()

    monkeypatch.setenv("RUNLAB_ENABLE_SYSTEM_METRICS_LOGGING", "true")
    assert current_settings().enabled is False  # the process's choice wins

    from runlab.tracking import system_metrics

    system_metrics._overrides.pop("enabled")
    with runlab.start_run() as by_env:
        time.sleep(0.5)
    assert history(by_env.info.run_id, MACHINE_KEYS[0])


def test_settings_from_the_environment() -> None:
    env = {
        "MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING": "true",
        "MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL": "2.5",
        "MLFLOW_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING": "4",
        "RUNLAB_SYSTEM_METRICS_SAMPLING_INTERVAL": "1",
    }
    assert SystemMetricsSettings.from_env(env) == SystemMetricsSettings(True, 1.0, 4)
    assert SystemMetricsSettings.from_env({}) == SystemMetricsSettings(False, 10.0, 1)
    off = {"RUNLAB_ENABLE_SYSTEM_METRICS_LOGGING": "false", **env}
    assert SystemMetricsSettings.from_env(off).enabled is False


@pytest.mark.parametrize(
    ("name", "value", "rule"),
    [
        ("RUNLAB_ENABLE_SYSTEM_METRICS_LOGGING", "maybe", "true or false"),
        ("MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL", "0", "positive number of seconds"),
        ("MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL", "fast", "positive number of seconds"),
        ("MLFLOW_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING", "0", "at least 1"),
    ],
)
def test_bad_settings_name_the_variable(name: str, value: str, rule: str) -> None:
    with pytest.raises(ConfigurationError, match=f"{name}.*{rule}"):
        SystemMetricsSettings.from_env({name: value})


def test_bad_arguments_are_named() -> None:
    with pytest.raises(InvalidInputError, match="interval"):
        runlab.set_system_metrics_sampling_interval(-1)
    with pytest.raises(InvalidInputError, match="samples"):
        runlab.set_system_metrics_samples_before_logging(0)
