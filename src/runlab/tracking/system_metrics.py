"""System metrics: a background thread samples the machine while a run is active.

Every ``sampling_interval`` seconds it reads CPU, memory, disk and network (psutil) and,
when a GPU is present, each GPU (nvidia-ml-py); every ``samples_before_logging`` samples
it logs their average under MLflow's keys (``system/cpu_utilization_percentage``...),
with a step counting the logged points. It stops, logging what it holds, when the run
ends. Enabled per run with ``start_run(log_system_metrics=True)``, for the process with
:func:`enable_system_metrics_logging`, or with ``RUNLAB_ENABLE_SYSTEM_METRICS_LOGGING``
(or MLflow's ``MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING``).
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from runlab import environment_variables as env
from runlab.errors import InvalidInputError

__all__ = [
    "SystemMetricsMonitor",
    "SystemMetricsSettings",
    "disable_system_metrics_logging",
    "enable_system_metrics_logging",
    "set_system_metrics_node_id",
    "set_system_metrics_samples_before_logging",
    "set_system_metrics_sampling_interval",
]

logger = logging.getLogger("runlab.system_metrics")


@dataclass(frozen=True)
class SystemMetricsSettings:
    """The variables of runlab.environment_variables (RUNLAB_* wins over MLFLOW_*)."""

    enabled: bool = False
    sampling_interval: float = 10.0
    samples_before_logging: int = 1
    node_id: str | None = None  # keys become system/<node_id>/... when set

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SystemMetricsSettings:
        return cls(
            enabled=env.RUNLAB_ENABLE_SYSTEM_METRICS_LOGGING.get(environ),
            sampling_interval=env.RUNLAB_SYSTEM_METRICS_SAMPLING_INTERVAL.get(environ),
            samples_before_logging=env.RUNLAB_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING.get(environ),
            node_id=env.RUNLAB_SYSTEM_METRICS_NODE_ID.get(environ) or None,
        )


# Process-wide choices made in code; None: the environment decides.
_overrides: dict[str, Any] = {}


def enable_system_metrics_logging() -> None:
    """Log system metrics for every run started from now on in this process."""
    _overrides["enabled"] = True


def disable_system_metrics_logging() -> None:
    _overrides["enabled"] = False


def set_system_metrics_sampling_interval(interval: float | None) -> None:
    """Seconds between samples (default 10); None goes back to the environment's value."""
    if interval is None:
        _overrides.pop("sampling_interval", None)
        return
    if isinstance(interval, bool) or not isinstance(interval, (int, float)) or interval <= 0:
        raise InvalidInputError(f"interval: must be a number of seconds above 0, got {interval!r}")
    _overrides["sampling_interval"] = float(interval)


def set_system_metrics_samples_before_logging(samples: int | None) -> None:
    """Samples averaged into each logged point (default 1); None: the environment's value."""
    if samples is None:
        _overrides.pop("samples_before_logging", None)
        return
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise InvalidInputError(f"samples: must be a whole number of 1 or more, got {samples!r}")
    _overrides["samples_before_logging"] = samples


def set_system_metrics_node_id(node_id: str | None) -> None:
    """Name this machine in the system metric keys of runs started from now on
    (``system/<node_id>/cpu_utilization_percentage``...), so the nodes of one distributed
    run log apart; None goes back to ``RUNLAB_SYSTEM_METRICS_NODE_ID`` (or no node)."""
    if node_id is None:
        _overrides.pop("node_id", None)
        return
    import re

    # One path segment of a metric key: the key charset without '/', and not '.' or '..'.
    if (
        not isinstance(node_id, str)
        or not re.fullmatch(r"[\w.\- ]{1,100}", node_id)
        or node_id in (".", "..")
    ):
        raise InvalidInputError(
            "node_id: must be 1 to 100 letters, digits, underscores, dashes, periods or "
            f"spaces (it becomes part of metric keys), got {node_id!r}"
        )
    _overrides["node_id"] = node_id


def current_settings() -> SystemMetricsSettings:
    return replace(SystemMetricsSettings.from_env(), **_overrides)


LogFn = Callable[[dict[str, float], int], None]


class SystemMetricsMonitor:
    """The sampler thread of one run; ``log(metrics, step)`` writes (non-blocking)."""

    def __init__(self, log: LogFn, settings: SystemMetricsSettings) -> None:
        from runlab.tracking._system_samplers import samplers

        self._log = log
        self._settings = settings
        self._samplers = samplers()
        self._stop = threading.Event()
        self._pending: list[dict[str, float]] = []
        self._step = 0
        self._thread = threading.Thread(
            target=self._loop, name="runlab-system-metrics", daemon=True
        )

    def start(self) -> SystemMetricsMonitor:
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self._settings.sampling_interval):
            self._sample()
            if len(self._pending) >= self._settings.samples_before_logging:
                self._write()

    def _sample(self) -> None:
        sample: dict[str, float] = {}
        for sampler in self._samplers:
            try:
                sample.update(sampler.sample())
            except Exception as e:  # one failing reader must not stop the others
                logger.debug("system metrics: %s failed: %s", type(sampler).__name__, e)
        if sample:
            self._pending.append(sample)

    def _write(self) -> None:
        pending, self._pending = self._pending, []
        if not pending:
            return
        keys = {k for s in pending for k in s}
        average = {
            self._key(k): sum(s[k] for s in pending if k in s) / sum(1 for s in pending if k in s)
            for k in sorted(keys)
        }
        try:
            self._log(average, self._step)
        except Exception as e:
            logger.warning("system metrics could not be logged: %s", e)
        self._step += 1

    def _key(self, key: str) -> str:
        node = self._settings.node_id
        return f"system/{node}/{key[len('system/') :]}" if node else key

    def stop(self) -> None:
        """Stop sampling and log what is held; returns once the thread has ended."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self._write()
        for sampler in self._samplers:
            sampler.close()


def monitor_for_run(log: LogFn, requested: bool | None) -> SystemMetricsMonitor | None:
    """A started monitor when this run should have one (``requested``, else the settings)."""
    settings = current_settings()
    if not (settings.enabled if requested is None else requested):
        return None
    try:
        return SystemMetricsMonitor(log, settings).start()
    except ImportError as e:
        warnings.warn(
            f"system metrics are not logged: {e} (pip install 'runlab[system-metrics]')",
            RuntimeWarning,
            stacklevel=3,
        )
        return None
