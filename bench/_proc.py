"""CPU time of a process tree, read from Linux's /proc (shared by the benchmarks)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` and all its descendants (Linux /proc),
    including descendants that have exited (counted in their parent's children's times)."""
    children: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            child, parent = int(stat.parent.name), int(fields[1])
            children.setdefault(parent, []).append(child)
            times[child] = sum(int(f) for f in fields[11:15]) / tick  # utime..cstime
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += times.get(current, 0.0)
        todo += children.get(current, [])
    return total
