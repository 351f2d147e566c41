"""``docker_env`` projects: the entry point runs in the named image.

The project folder is mounted at ``/runlab/project`` (the working directory), a local
tracking store at its own path, and the container shares the host's network so a
tracking server on localhost is reachable. ``volumes`` and ``environment`` follow
MLflow's ``docker_env``: ``environment`` items are a name (copied from the host) or a
``[name, value]`` pair.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from runlab.errors import ConfigurationError, InvalidInputError

WORKDIR = "/runlab/project"
_CHECK_SECONDS = 30


def check_usable(image: str) -> None:
    """A clear error naming what is missing when docker cannot run ``image`` here."""
    docker = shutil.which("docker")
    if docker is None:
        raise ConfigurationError(
            f"the project runs in the docker image {image!r} (docker_env), and docker is not "
            "installed: install docker, or run a project without docker_env"
        )
    try:
        done = subprocess.run(
            [docker, "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=_CHECK_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        done = None
    if done is None or done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or [""])[-1] if done else "no answer"
        raise ConfigurationError(
            f"the project runs in the docker image {image!r} (docker_env), and the docker "
            f"daemon is not reachable ({detail}): start docker, or check DOCKER_HOST"
        )


def argv(
    spec: dict[str, Any], command: str, work_dir: Path, env: dict[str, str],
    tracking_dir: Path | None,
) -> list[str]:  # fmt: skip
    docker = shutil.which("docker") or "docker"
    out = [docker, "run", "--rm", "--init", "--network", "host"]
    out += ["-v", f"{work_dir}:{WORKDIR}", "-w", WORKDIR]
    if tracking_dir is not None:
        out += ["-v", f"{tracking_dir}:{tracking_dir}"]
    for volume in spec.get("volumes") or []:
        out += ["-v", str(volume)]
    passed = {k: v for k, v in env.items() if k.startswith(("RUNLAB_", "MLFLOW_"))}
    for item in spec.get("environment") or []:
        if isinstance(item, str):
            if item in os.environ:
                passed[item] = os.environ[item]
        elif isinstance(item, list) and len(item) == 2:
            passed[str(item[0])] = str(item[1])
        else:
            raise InvalidInputError(
                "docker_env: each 'environment' item is a name or a [name, value] pair"
            )
    for key, value in passed.items():
        out += ["-e", f"{key}={value}"]
    return [*out, str(spec["image"]), "bash", "-c", command]
