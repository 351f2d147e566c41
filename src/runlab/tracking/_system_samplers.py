"""The readers behind system metrics: psutil for the machine, NVML for GPUs."""

from __future__ import annotations

from typing import Any

__all__ = ["samplers"]

MB = 1e6


class _Machine:
    def __init__(self) -> None:
        import psutil

        self._psutil = psutil
        psutil.cpu_percent(interval=None)  # primes the counter: the first reading is 0
        net = psutil.net_io_counters()
        self._net0 = (net.bytes_recv, net.bytes_sent) if net is not None else (0, 0)

    def sample(self) -> dict[str, float]:
        ps = self._psutil
        memory = ps.virtual_memory()
        disk = ps.disk_usage("/")
        out = {
            "system/cpu_utilization_percentage": float(ps.cpu_percent(interval=None)),
            "system/system_memory_usage_megabytes": (memory.total - memory.available) / MB,
            "system/system_memory_usage_percentage": float(memory.percent),
            "system/disk_usage_percentage": float(disk.percent),
            "system/disk_usage_megabytes": disk.used / MB,
            "system/disk_available_megabytes": disk.free / MB,
        }
        net = ps.net_io_counters()
        if net is not None:
            out["system/network_receive_megabytes"] = (net.bytes_recv - self._net0[0]) / MB
            out["system/network_transmit_megabytes"] = (net.bytes_sent - self._net0[1]) / MB
        return out

    def close(self) -> None:
        pass


class _Gpus:
    """Per GPU N: ``system/gpu_N_utilization_percentage``, memory and power."""

    def __init__(self, nvml: Any) -> None:
        self._nvml = nvml
        self._handles = [
            nvml.nvmlDeviceGetHandleByIndex(i) for i in range(nvml.nvmlDeviceGetCount())
        ]

    def sample(self) -> dict[str, float]:
        nv = self._nvml
        out: dict[str, float] = {}
        for i, handle in enumerate(self._handles):
            p = f"system/gpu_{i}_"
            memory = nv.nvmlDeviceGetMemoryInfo(handle)
            out[p + "memory_usage_megabytes"] = memory.used / MB
            out[p + "memory_usage_percentage"] = 100.0 * memory.used / memory.total
            out[p + "utilization_percentage"] = float(nv.nvmlDeviceGetUtilizationRates(handle).gpu)
            try:
                power = nv.nvmlDeviceGetPowerUsage(handle) / 1000.0
                limit = nv.nvmlDeviceGetEnforcedPowerLimit(handle) / 1000.0
                out[p + "power_usage_watts"] = power
                out[p + "power_usage_percentage"] = 100.0 * power / limit if limit else 0.0
            except nv.NVMLError:
                pass  # some boards report no power
        return out

    def close(self) -> None:
        try:
            self._nvml.nvmlShutdown()
        except Exception:
            pass


def samplers() -> list[Any]:
    """The machine's reader (psutil is required), and the GPUs' when NVML finds any."""
    found: list[Any] = [_Machine()]
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception:  # no package, no driver or no GPU: no GPU keys
        return found
    try:
        if pynvml.nvmlDeviceGetCount() > 0:
            found.append(_Gpus(pynvml))
        else:
            pynvml.nvmlShutdown()
    except Exception:
        pass
    return found
