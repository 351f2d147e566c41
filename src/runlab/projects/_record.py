"""What a project run records so that it can be run again: tags, params, artifacts."""

from __future__ import annotations

import json
import shlex
from typing import TYPE_CHECKING

from runlab.entities import LifecycleStage, Run
from runlab.errors import ConflictError, InvalidInputError

if TYPE_CHECKING:
    from runlab.projects._builders import Environment
    from runlab.projects.fetch import Source
    from runlab.projects.params import ResolvedCommand
    from runlab.tracking.client import RunlabClient

SOURCE_TYPE = "mlflow.source.type"
SOURCE_NAME = "mlflow.source.name"
GIT_COMMIT = "mlflow.source.git.commit"
GIT_REPO_URL = "mlflow.source.git.repoURL"
GIT_BRANCH = "mlflow.source.git.branch"
LEGACY_REPO_URL = "mlflow.gitRepoURL"
LEGACY_BRANCH = "mlflow.gitBranchName"
ENTRY_POINT = "mlflow.project.entryPoint"
ENV = "mlflow.project.env"
BACKEND = "mlflow.project.backend"
RERUN = "runlab.project.command"  # the `runlab run` command that runs this again
ENV_ARTIFACTS = "environment"
BUILD_LOG_ARTIFACT = f"{ENV_ARTIFACTS}/build-log-tail.txt"


def rerun_command(
    source: Source, entry_point: str, resolved: ResolvedCommand, manager: str, experiment_id: str
) -> str:
    parts = ["runlab", "run", source.uri]
    if source.is_git_uri and source.commit:
        parts += ["--version", source.commit]
    parts += ["-e", entry_point]
    for key, value in resolved.given.items():  # defaults come with the same version
        parts += ["-P", f"{key}={value}"]
    if manager != "docker":
        parts += ["--env-manager", manager]
    parts += ["--experiment-id", experiment_id]
    return shlex.join(parts)


def project_tags(source: Source, entry_point: str, manager: str, rerun: str) -> dict[str, str]:
    tags = {
        SOURCE_TYPE: "PROJECT",
        SOURCE_NAME: source.source_name,
        ENTRY_POINT: entry_point,
        ENV: manager,
        BACKEND: "local",
        RERUN: rerun,
    }
    if source.commit:
        tags[GIT_COMMIT] = source.commit
    if source.repo_url:
        tags[GIT_REPO_URL] = tags[LEGACY_REPO_URL] = source.repo_url
    if source.branch:
        tags[GIT_BRANCH] = tags[LEGACY_BRANCH] = source.branch
    return tags


def check_attachable(run: Run, params: dict[str, str]) -> None:
    """``--run-id`` names a live run whose params do not disagree with this run's."""
    run_id = run.info.run_id
    if run.info.lifecycle_stage != LifecycleStage.ACTIVE:
        raise ConflictError(f"run {run_id} is deleted; restore it before running in it")
    for key, value in params.items():
        old = run.data.params.get(key)
        if old is not None and old != value:
            raise InvalidInputError(
                f"run {run_id} already has parameter {key}={old!r}; a run's parameters "
                f"cannot change, so -P {key}={value} needs a new run"
            )


def log_environment(
    client: RunlabClient, run_id: str, env: Environment, spec_text: tuple[str, str] | None
) -> None:
    """The environment's recipe (the project's file), its record and what it installed."""
    if spec_text is not None:
        client.log_text(run_id, spec_text[1], f"{ENV_ARTIFACTS}/{spec_text[0]}")
    client.log_text(
        run_id, json.dumps(env.record, indent=2) + "\n", f"{ENV_ARTIFACTS}/runlab-env.json"
    )
    if env.freeze:
        client.log_text(run_id, env.freeze, f"{ENV_ARTIFACTS}/requirements.lock.txt")
