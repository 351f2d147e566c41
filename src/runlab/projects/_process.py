"""The child processes of a run, each in its own process group.

A run has one child at a time: a build step, then the entry point. Each starts in a new
session, so a Ctrl-C in the terminal reaches runlab alone, and runlab stops the whole
group (the command and whatever it started) with SIGTERM, then SIGKILL after a grace.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

STOP_GRACE_SECONDS = 10.0
CANCELLED = -int(signal.SIGTERM)  # the exit code of a step the run's cancel stopped
TAIL_LINES = 200


class BuildLog:
    """Everything a build printed: streamed to ``out``, written to ``path``, its tail kept."""

    def __init__(self, out: IO[str] | None, keep: int | None = TAIL_LINES) -> None:
        self.out = out
        self.path: Path | None = None
        self.tail: deque[str] = deque(maxlen=keep)

    def write(self, line: str) -> None:
        self.tail.append(line)
        if self.out is not None:
            self.out.write(line)
            self.out.flush()
        if self.path is not None:
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)

    def note(self, text: str) -> None:
        self.write(f"runlab: {text}\n")

    def tail_text(self) -> str:
        return "".join(self.tail)


class ProcessGroup:
    """The run's current child; :meth:`stop` may be called from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self.cancelled = False

    def _start(
        self, argv: Sequence[str], cwd: Path, env: Mapping[str, str], capture: bool
    ) -> subprocess.Popen[str] | None:
        with self._lock:
            if self.cancelled:
                return None
            self._process = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=dict(env),
                start_new_session=True,
                stdout=subprocess.PIPE if capture else None,
                stderr=subprocess.STDOUT if capture else None,
                stdin=subprocess.DEVNULL,
                text=True,
                errors="replace",
                bufsize=1,
            )
            return self._process

    def run_logged(
        self, argv: Sequence[str], cwd: Path, env: Mapping[str, str], log: BuildLog
    ) -> int:
        """Run a build step, its output line by line into ``log``; its exit code."""
        log.note("$ " + " ".join(argv))
        try:
            process = self._start(argv, cwd, env, capture=True)
        except FileNotFoundError as exc:
            log.note(f"cannot start {argv[0]}: {exc}")
            return 127
        if process is None:
            return CANCELLED
        assert process.stdout is not None
        with process.stdout:
            for line in process.stdout:
                log.write(line)
        return process.wait()

    def run(self, argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> int:
        """Run the entry point with the terminal's stdout and stderr; its exit code."""
        process = self._start(argv, cwd, env, capture=False)
        if process is None:
            return CANCELLED
        try:
            return process.wait()
        except KeyboardInterrupt:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the current group (SIGTERM, then SIGKILL) and refuse to start another."""
        with self._lock:
            self.cancelled = True
            process = self._process
        if process is None or process.poll() is not None:
            return
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            process.wait()


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass
    except PermissionError as exc:  # pragma: no cover (a group we did not start)
        print(f"runlab: cannot signal process group {pgid}: {exc}", file=sys.stderr)  # noqa: T201
