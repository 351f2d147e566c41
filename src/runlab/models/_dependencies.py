"""What a saved model needs installed: found by loading it, or bundled as wheels.

:func:`infer_pip_requirements` loads the model in a fresh interpreter (predicting on its
input example when it has one, so lazily imported modules count too) and pins the
installed distributions of the modules that got imported. :func:`add_libraries_to_model`
logs a copy of a model with wheels of its requirements in ``wheels/``, so it installs
without a package index.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from runlab.errors import InvalidInputError, RunlabError, StorageError
from runlab.models._warnings import RunlabModelWarning

__all__ = ["add_libraries_to_model", "infer_pip_requirements"]

WHEELS_DIR = "wheels"
# Installers and build tools are in every environment; a model never needs them pinned.
_ALWAYS_THERE = {"pip", "setuptools", "wheel"}

_CAPTURE = """
import json, sys
import runlab.pyfunc
model = runlab.pyfunc.load_model(sys.argv[1], suppress_warnings=True)
example = model.metadata.load_input_example(model.model_dir)
if example is not None:
    try:
        model.predict(example)
    except Exception:
        pass
print(json.dumps(sorted({m.split(".")[0] for m in list(sys.modules)})))
"""


def infer_pip_requirements(
    model_uri: str,
    flavor: str,
    fallback: list[str] | None = None,
    timeout: int | None = None,
    extra_env_vars: Mapping[str, str] | None = None,
) -> list[str]:
    """The ``name==version`` pins of the packages the model at ``model_uri`` imports when
    it is loaded (``flavor`` names the flavour it was saved with). When loading fails
    or takes longer than ``timeout`` seconds, ``fallback`` is returned with a warning,
    or the error is raised when there is no fallback."""
    from runlab.models.uris import download_model

    if not isinstance(flavor, str) or not flavor:
        raise InvalidInputError(f"flavor: must be a flavour name, got {flavor!r}")
    if timeout is not None and (not isinstance(timeout, (int, float)) or timeout <= 0):
        raise InvalidInputError(f"timeout: must be a positive number of seconds, got {timeout!r}")
    try:
        local = download_model(os.fspath(model_uri))
        modules = _imported_modules(local, timeout, extra_env_vars)
    except (RunlabError, subprocess.TimeoutExpired) as exc:
        if fallback is None:
            if isinstance(exc, subprocess.TimeoutExpired):
                raise StorageError(
                    f"loading the model at {model_uri!r} took longer than {timeout} s"
                ) from None
            raise
        warnings.warn(
            f"the requirements of {model_uri!r} were not inferred ({exc}); using the fallback",
            RunlabModelWarning,
            stacklevel=2,
        )
        return list(fallback)
    return _pins(modules)


def _imported_modules(
    model_dir: str, timeout: float | None, extra_env: Mapping[str, str] | None
) -> list[str]:
    env = {**os.environ, **{str(k): str(v) for k, v in (extra_env or {}).items()}}
    done = subprocess.run(
        [sys.executable, "-c", _CAPTURE, model_dir],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise InvalidInputError(f"the model at {model_dir!r} does not load: {last}")
    found: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def _pins(modules: Sequence[str]) -> list[str]:
    """Pins of the distributions providing ``modules``, without those that another of
    them requires anyway."""
    from importlib import metadata

    from runlab.models.requirements import normalize, pin

    providers = metadata.packages_distributions()
    names: set[str] = set()
    for module in modules:
        if module in sys.stdlib_module_names or module.startswith("_"):
            continue
        if module == "runlab":
            names.add("runlab")
            continue
        names.update(normalize(d) for d in providers.get(module, ()))
    names -= _ALWAYS_THERE
    required: set[str] = set()
    for name in names:
        for line in _requires(name):
            dep = _requirement_name(line)
            if dep and dep != name:
                required.add(dep)
    keep = sorted(n for n in names if n not in required or n == "runlab")
    return pin(keep)


def _requires(name: str) -> list[str]:
    from importlib import metadata

    try:
        return [r for r in metadata.requires(name) or [] if "extra ==" not in r]
    except metadata.PackageNotFoundError:
        return []


def _requirement_name(line: str) -> str | None:
    from runlab.models._tools import _name

    return _name(line.split(";", 1)[0].strip())


# ==================================================================== wheels
def add_libraries_to_model(
    model_uri: str, run_id: str | None = None, registered_model_name: str | None = None
) -> Any:
    """Log a copy of the model at ``model_uri`` whose requirements are wheels inside it
    (``wheels/``, built with ``pip wheel``), into run ``run_id`` (a new run when not
    given); returns its :class:`~runlab.models.ModelInfo`. A registered version
    (``models:/<name>/<version>``) gets the copy as a new version of the same name
    unless ``registered_model_name`` names another."""
    from runlab.models import requirements as reqs
    from runlab.models._flavor import _record_history
    from runlab.models.model import Model, ModelInfo
    from runlab.models.uris import download_model
    from runlab.registry import uris
    from runlab.registry._fluent import register_model
    from runlab.tracking.client import RunlabClient

    uri = os.fspath(model_uri)
    if (
        registered_model_name is None
        and uris.is_model_uri(uri)
        and not uri.startswith("models:/m-")
    ):
        registered_model_name = uris.parse_model_uri(uri).name
    client = RunlabClient()
    with tempfile.TemporaryDirectory(prefix="runlab-wheels-") as tmp:
        local = os.path.join(tmp, "model")
        shutil.copytree(download_model(uri, os.path.join(tmp, "download")), local)
        lines = reqs.read_requirements(local)
        wheel_dir = os.path.join(local, WHEELS_DIR)
        built = _build_wheels(lines, wheel_dir)
        new_lines = [f"{WHEELS_DIR}/{w}" for w in built]
        reqs.write_requirements(local, new_lines)
        reqs.write_environments(local, new_lines)
        meta = Model.load(local)
        if run_id is None:
            experiment = client.get_run(meta.run_id).info.experiment_id if meta.run_id else "0"
            run_id = client.create_run(experiment).info.run_id
            client.set_terminated(run_id)
        meta.run_id = run_id
        meta.artifact_path = meta.artifact_path or "model"
        meta.save(local)
        client.log_artifacts(run_id, local, meta.artifact_path)
    new_uri = f"runs:/{run_id}/{meta.artifact_path}"
    _record_history(run_id, meta)
    info = ModelInfo.from_model(meta, new_uri)
    if registered_model_name:
        info.registered_model_version = int(register_model(new_uri, registered_model_name).version)
    return info


def _build_wheels(lines: list[str], wheel_dir: str) -> list[str]:
    """Build (or fetch) wheels of ``lines`` and what they depend on into ``wheel_dir``;
    returns the wheel file names."""
    os.makedirs(wheel_dir, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("".join(f"{ln}\n" for ln in _wheel_sources(lines)))
        listing = f.name
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--quiet",
                "--wheel-dir",
                wheel_dir,
                "--no-build-isolation",
                "-r",
                listing,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        os.remove(listing)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise StorageError(f"pip could not build wheels of the model's requirements: {last}")
    return sorted(n for n in os.listdir(wheel_dir) if n.endswith(".whl"))


def _wheel_sources(lines: list[str]) -> list[str]:
    """``lines`` with the runlab pin replaced by this runlab's source tree when runlab
    is installed from one (the version there is not on a package index)."""
    out = []
    for line in lines:
        if _requirement_name(line) == "runlab":
            source = _runlab_source()
            out.append(source if source else line)
        else:
            out.append(line)
    return out


def _runlab_source() -> str | None:
    # This file is src/runlab/models/_dependencies.py in a source tree: four levels up.
    here = os.path.abspath(__file__)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(here))))
    return root if os.path.isfile(os.path.join(root, "pyproject.toml")) else None
