"""``runlab.projects.run``: check everything, create (or attach) the run, then execute.

Every user error (an unknown entry point, a missing or mistyped parameter, a bad
``MLproject``, an env manager that is not installed) is raised before a run is created
or anything is built.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from runlab.entities import RunStatus
from runlab.errors import InvalidInputError, RunlabError
from runlab.projects import _docker, _record, environments, params
from runlab.projects._process import BuildLog
from runlab.projects._settings import ProjectSettings
from runlab.projects.fetch import fetch
from runlab.projects.spec import load_project
from runlab.projects.submitted import Plan, SubmittedRun, start

if TYPE_CHECKING:
    from runlab.tracking.client import RunlabClient

DEFAULT_ENTRY_POINT = "main"


def run(
    uri: str,
    entry_point: str = DEFAULT_ENTRY_POINT,
    parameters: Mapping[str, Any] | None = None,
    experiment_name: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    run_id: str | None = None,
    version: str | None = None,
    env_manager: str | None = None,
    build_only: bool = False,
    synchronous: bool = True,
    tracking_uri: str | None = None,
    output: IO[str] | None = sys.stderr,
) -> SubmittedRun:
    """Run ``entry_point`` of the project at ``uri`` (a folder, or a git URI with an
    optional ``#subdirectory``) in its environment, as one tracked run.

    ``synchronous=True`` waits for the end and raises a RunlabError when the run did
    not finish; ``synchronous=False`` returns at once. Build output goes to ``output``.
    """
    if experiment_name is not None and experiment_id is not None:
        raise InvalidInputError("give experiment_name or experiment_id, not both")
    settings = ProjectSettings.from_env()
    source = fetch(str(uri), version, settings)
    try:
        project = load_project(source.work_dir)
        manager = environments.choose_manager(project, env_manager)
        if manager == "docker":  # what is missing, before a run is made
            assert project.env.docker is not None
            _docker.check_usable(str(project.env.docker["image"]))
        client = _client(tracking_uri)
        log = BuildLog(output)
        if build_only:  # no entry point runs: its parameters are not needed
            plan = Plan(client, source, project, manager, "", None, "", settings, log)
        else:
            entry = project.entry_point(entry_point)
            resolved = params.resolve(entry, parameters or {}, Path.cwd(), source.work_dir)
            if run_id is not None:  # the run's own experiment
                exp_id = str(client.get_run(run_id).info.experiment_id)
            else:
                exp_id = _experiment(client, experiment_name, experiment_id, tracking_uri)
            rerun = _record.rerun_command(source, entry_point, resolved, manager, exp_id)
            tags = _record.project_tags(source, entry_point, manager, rerun)
            new_id = _open_run(client, run_id, exp_id, run_name, tags, resolved.params)
            plan = Plan(client, source, project, manager, resolved.command, new_id, exp_id,
                        settings, log)  # fmt: skip
    except BaseException:
        source.cleanup()
        raise
    submitted = start(plan, synchronous)
    if synchronous and submitted.get_status() != RunStatus.FINISHED:
        what = f"run {submitted.run_id}" if submitted.run_id else "the build"
        raise RunlabError(f"{what} ended {submitted.get_status()}: {submitted.failure}")
    return submitted


def _client(tracking_uri: str | None) -> RunlabClient:
    from runlab.tracking.client import RunlabClient

    if tracking_uri is None:
        from runlab.tracking.fluent import get_tracking_uri

        tracking_uri = get_tracking_uri()
    return RunlabClient(tracking_uri)


def _experiment(client: RunlabClient, name: str | None, exp_id: str | None, uri: str | None) -> str:
    from runlab.errors import AlreadyExistsError

    if exp_id is not None:
        return str(client.get_experiment(str(exp_id)).experiment_id)
    if name is not None:
        found = client.get_experiment_by_name(name)
        if found is None:
            try:
                return str(client.create_experiment(name))
            except AlreadyExistsError:  # created by another process meanwhile
                found = client.get_experiment_by_name(name)
        assert found is not None
        return str(found.experiment_id)
    if uri is None:  # the API: the experiment runlab.set_experiment() (or the env) chose
        from runlab.tracking.fluent import _current_experiment_id

        return _current_experiment_id()
    from runlab.store.base import DEFAULT_EXPERIMENT_ID

    return DEFAULT_EXPERIMENT_ID


def _open_run(
    client: RunlabClient,
    run_id: str | None,
    experiment_id: str,
    run_name: str | None,
    tags: dict[str, str],
    values: dict[str, str],
) -> str:
    if run_id is not None:
        existing = client.get_run(run_id)
        _record.check_attachable(existing, values)
        if existing.info.status != RunStatus.RUNNING:
            client.update_run(run_id, status=RunStatus.RUNNING, name=run_name)
        elif run_name:
            client.update_run(run_id, name=run_name)
        new = {k: v for k, v in values.items() if k not in existing.data.params}
        client.set_tags(run_id, tags)
        client.log_params(run_id, new)
        return run_id
    created = client.create_run(experiment_id, tags=tags, run_name=run_name)
    client.log_params(created.info.run_id, values)
    return str(created.info.run_id)
