"""A project run once it is submitted: its environment build, its entry point, its end.

The execution runs in the caller's thread (``synchronous=True``) or in a background
thread; either way it ends the run: FINISHED on exit code 0, FAILED on any other code or
a failed build (with the tail of the build log as an artifact), KILLED when cancelled
or interrupted.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from runlab.entities import RunStatus
from runlab.errors import RunlabError
from runlab.projects import _builders, _record
from runlab.projects._process import BuildLog, ProcessGroup

if TYPE_CHECKING:
    from runlab.projects._settings import ProjectSettings
    from runlab.projects.fetch import Source
    from runlab.projects.spec import Project
    from runlab.tracking.client import RunlabClient


@dataclass
class Plan:
    """Everything checked and decided before anything runs."""

    client: RunlabClient
    source: Source
    project: Project
    manager: str
    command: str
    run_id: str | None  # None: build only
    experiment_id: str
    settings: ProjectSettings
    log: BuildLog


class Execution:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.group = ProcessGroup()
        self.status = RunStatus.RUNNING
        self.message = ""  # why it failed
        self.exit_code: int | None = None
        self.environment: _builders.Environment | None = None
        self._done = threading.Event()

    def __call__(self) -> None:
        plan = self.plan
        try:
            self._execute()
        except KeyboardInterrupt:
            self.group.stop()
            self._end(RunStatus.KILLED, "interrupted")
            raise
        except RunlabError as exc:
            self._end(RunStatus.FAILED, exc.message)
        except BaseException as exc:  # never leave a run RUNNING behind
            self._end(RunStatus.FAILED, f"{type(exc).__name__}: {exc}")
            raise
        finally:
            plan.source.cleanup()
            self._done.set()

    def _execute(self) -> None:
        plan = self.plan
        try:
            env = _builders.prepare(plan.project, plan.manager, plan.settings, plan.log,
                                    self.group)  # fmt: skip
        except RunlabError as exc:
            if self.group.cancelled:
                self._end(RunStatus.KILLED, "cancelled while building the environment")
                return
            if plan.run_id is not None and plan.log.tail:
                plan.client.log_text(plan.run_id, plan.log.tail_text(),
                                     _record.BUILD_LOG_ARTIFACT)  # fmt: skip
                exc.message += f"; the end of the build log is in {_record.BUILD_LOG_ARTIFACT}"
            raise
        self.environment = env
        if plan.run_id is None:
            self._end(RunStatus.FINISHED, "")
            return
        _record.log_environment(plan.client, plan.run_id, env, self._spec_text())
        argv, child_env = env.wrap(plan.command, plan.source.work_dir, self._child_env(),
                                   self._tracking_dir())  # fmt: skip
        plan.log.note(f"running {plan.command!r} in run {plan.run_id}")
        code = self.group.run(argv, plan.source.work_dir, child_env)
        self.exit_code = code
        if self.group.cancelled:
            self._end(RunStatus.KILLED, "cancelled")
        elif code == 0:
            self._end(RunStatus.FINISHED, "")
        else:
            self._end(RunStatus.FAILED, f"the entry point exited with code {code}")

    def _spec_text(self) -> tuple[str, str] | None:
        path = self.plan.project.env.path
        if path is None:
            return None
        return path.name, path.read_text(encoding="utf-8")

    def _child_env(self) -> dict[str, str]:
        """The entry point's own runlab (or mlflow) start_run() resumes this run."""
        plan = self.plan
        assert plan.run_id is not None
        drop = ("RUNLAB_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_NAME")
        env = {k: v for k, v in os.environ.items() if k not in drop}
        uri = plan.client.tracking_uri
        env.update(
            RUNLAB_RUN_ID=plan.run_id,
            MLFLOW_RUN_ID=plan.run_id,
            RUNLAB_TRACKING_URI=uri,
            RUNLAB_EXPERIMENT_ID=plan.experiment_id,
            MLFLOW_EXPERIMENT_ID=plan.experiment_id,
        )
        if uri.startswith(("http://", "https://")):  # MLflow reads runlab's stores over HTTP
            env["MLFLOW_TRACKING_URI"] = uri
        return env

    def _tracking_dir(self) -> Path | None:
        uri = self.plan.client.tracking_uri
        if uri.startswith("sqlite:///"):
            return Path(uri[len("sqlite:///") :].partition("?")[0]).parent
        return Path(uri) if "://" not in uri and Path(uri).is_absolute() else None

    def _end(self, status: str, message: str) -> None:
        if self._done.is_set() or RunStatus.is_terminated(self.status):
            return
        self.status, self.message = status, message
        if self.plan.run_id is not None:
            try:
                self.plan.client.set_terminated(self.plan.run_id, status)
            except RunlabError as exc:
                self.message = f"{message}; and the run could not be ended: {exc.message}"

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)


class SubmittedRun:
    """A project run that was started: ``wait()``, ``get_status()``, ``cancel()``.

    ``run_id`` is None for ``build_only``, which builds the environment and creates no run.
    """

    def __init__(self, execution: Execution, thread: threading.Thread | None = None) -> None:
        self._execution = execution
        self._thread = thread

    @property
    def run_id(self) -> str | None:
        return self._execution.plan.run_id

    @property
    def environment(self) -> _builders.Environment | None:
        """The environment it runs in, once built (``reused`` tells a cached one)."""
        return self._execution.environment

    @property
    def exit_code(self) -> int | None:
        return self._execution.exit_code

    @property
    def failure(self) -> str:
        """Why the run did not finish ("" while it runs or when it finished)."""
        return self._execution.message

    def wait(self) -> bool:
        """Wait for the end; True when the run FINISHED."""
        self._execution.wait()
        return self._execution.status == RunStatus.FINISHED

    def get_status(self) -> str:
        return self._execution.status

    def cancel(self) -> None:
        """Stop the build or the entry point (its whole process group); the run ends KILLED."""
        if self._execution.wait(0):
            return
        self._execution.group.stop()
        self._execution.wait()

    def __repr__(self) -> str:
        return f"<SubmittedRun run_id={self.run_id} status={self.get_status()}>"


def start(plan: Plan, synchronous: bool) -> SubmittedRun:
    execution = Execution(plan)
    if synchronous:
        execution()
        return SubmittedRun(execution)
    thread = threading.Thread(target=_background(execution), name="runlab-project", daemon=True)
    thread.start()
    return SubmittedRun(execution, thread)


def _background(execution: Execution) -> Callable[[], None]:
    def target() -> None:
        try:
            execution()
        except BaseException as exc:  # already recorded as the run's end; keep it visible
            execution.message = execution.message or f"{type(exc).__name__}: {exc}"

    return target
