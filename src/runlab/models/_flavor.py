"""What every flavour shares: saving a model folder, logging it to a run, opening it by URI.

A flavour only says how to write its framework's object into the folder (a ``write``
function returning :class:`Written`) and how to read it back; :func:`save_model_dir`
does the rest (code paths, input example, signature, requirements, the ``MLmodel``
descriptor, and removing the folder again when anything fails), :func:`log_model` puts
a saved folder into a run, and :func:`open_flavor` fetches a model by URI for loading.
"""

from __future__ import annotations

import importlib
import os
import posixpath
import shutil
import sys
import tempfile
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from runlab.errors import AlreadyExistsError, InvalidInputError
from runlab.models._warnings import RunlabModelWarning
from runlab.models.model import PYFUNC, Model, ModelInfo
from runlab.models.signature import ModelSignature

CODE_DIR = "code"
LOG_MODEL_HISTORY_TAG = "mlflow.log-model.history"


@dataclass
class Written:
    """What a flavour's ``write(model_dir)`` put into the model folder."""

    # The python_function entry's own keys (loader_module, python_version, code and env
    # are added for every flavour).
    pyfunc: dict[str, Any] = field(default_factory=dict)
    # The framework's MLmodel entry (``code`` is added); None for a python_function-only model.
    flavor: dict[str, Any] | None = None
    # Predicts on the input example, so the output schema can be inferred from it.
    predict: Callable[[Any], Any] | None = None


# ============================================================================ saving
def save_model_dir(
    path: str | os.PathLike[str],
    write: Callable[[str], Written],
    *,
    flavor: str | None,
    loader_module: str,
    default_requirements: Sequence[str],
    code_paths: Sequence[str | os.PathLike[str]] | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    metadata: dict[str, Any] | None = None,
) -> Model:
    """Save a model at ``path`` (a new or empty folder): copy ``code_paths`` into
    ``code/``, let ``write(model_dir)`` save the framework's files, then write the input
    example, the signature (inferred from the example and ``Written.predict`` when not
    given), the requirements and environments, and the ``MLmodel`` descriptor naming
    ``flavor`` and ``loader_module``. A failure removes the folder."""
    from runlab.models import requirements as reqs

    model_dir = create_model_dir(path)
    try:
        code = copy_code_paths(model_dir, code_paths)
        written = write(model_dir)
        model = Model(metadata=metadata)
        if flavor is not None:
            model.add_flavor(flavor, **(written.flavor or {}), code=code)
        if input_example is not None:
            model.saved_input_example_info = _save_example(model_dir, input_example)
            if signature is None:
                signature = _infer_from_example(input_example, written.predict)
        model.signature = signature
        lines = reqs.resolve_requirements(
            default_requirements, pip_requirements, extra_pip_requirements
        )
        reqs.write_requirements(model_dir, lines)
        env = reqs.write_environments(model_dir, lines)
        _add_pyfunc_flavor(model, loader_module, code, written.pyfunc, env)
        model.model_size_bytes = _folder_size(model_dir)
        model.save(model_dir)
        return model
    except BaseException:
        shutil.rmtree(model_dir, ignore_errors=True)
        raise


def create_model_dir(path: str | os.PathLike[str]) -> str:
    """Make the (new or empty) folder a model is saved into."""
    path = os.path.abspath(os.fspath(path))
    if os.path.exists(path):
        if not os.path.isdir(path) or os.listdir(path):
            raise AlreadyExistsError(
                f"cannot save a model to {path!r}: it already exists and is not an empty folder"
            )
    os.makedirs(path, exist_ok=True)
    return path


def copy_code_paths(
    model_dir: str, code_paths: Sequence[str | os.PathLike[str]] | None
) -> str | None:
    """Copy each file or folder of ``code_paths`` into ``code/``; returns ``"code"`` or None."""
    if not code_paths:
        return None
    dst_root = os.path.join(model_dir, CODE_DIR)
    os.makedirs(dst_root, exist_ok=True)
    for raw in code_paths:
        src = os.path.abspath(os.fspath(raw))
        if not os.path.exists(src):
            raise InvalidInputError(f"code_paths: {os.fspath(raw)!r} does not exist")
        dst = os.path.join(dst_root, os.path.basename(src.rstrip(os.sep)))
        if os.path.isdir(src):
            shutil.copytree(
                src, dst, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        else:
            shutil.copy2(src, dst)
    return CODE_DIR


def _add_pyfunc_flavor(
    model: Model,
    loader_module: str,
    code: str | None,
    params: dict[str, Any],
    env: dict[str, str],
) -> None:
    conf: dict[str, Any] = {
        "loader_module": loader_module,
        "python_version": ".".join(str(v) for v in sys.version_info[:3]),
    }
    if code:
        conf["code"] = code
    conf.update(params)
    conf["env"] = env
    model.add_flavor(PYFUNC, **conf)


def _save_example(model_dir: str, example: Any) -> dict[str, Any]:
    from runlab.models.input_example import save_input_example

    return save_input_example(model_dir, example)


def _infer_from_example(
    example: Any, predict: Callable[[Any], Any] | None
) -> ModelSignature | None:
    from runlab.models.signature import infer_signature

    # The warnings point at the flavour's save_model call: this function, save_model_dir,
    # the flavour's save_model, its caller.
    try:
        inputs = infer_signature(example).inputs
    except InvalidInputError as exc:
        warnings.warn(
            f"no signature was inferred from the input example: {exc}",
            RunlabModelWarning,
            stacklevel=4,
        )
        return None
    outputs = None
    if predict is not None:
        try:
            outputs = infer_signature(predict(example)).inputs
        except Exception as exc:
            warnings.warn(
                f"the model's output schema was not inferred: predicting on the input example "
                f"failed ({type(exc).__name__}: {exc})",
                RunlabModelWarning,
                stacklevel=4,
            )
    return ModelSignature(inputs, outputs)


def _folder_size(path: str) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            total += os.path.getsize(os.path.join(root, name))
    return total


# ============================================================================ logging
def log_model(
    save: Callable[[str], Model],
    *,
    artifact_path: str | None,
    name: str | None,
    registered_model_name: str | None,
) -> ModelInfo:
    """Save with ``save(local_path)`` into a temporary folder, upload it to the active
    run's artifacts (starting a run when none is active, as MLflow does) and register it
    when ``registered_model_name`` is given."""
    from runlab.registry._fluent import register_model
    from runlab.store.artifacts import _paths
    from runlab.tracking import fluent

    if artifact_path and name and artifact_path != name:
        raise InvalidInputError(
            f"pass the model's name once: artifact_path={artifact_path!r} and name={name!r} differ"
        )
    path = _paths.normalize(name or artifact_path or "model")
    if not path:
        raise InvalidInputError("artifact_path (or name) must not be empty")
    run = fluent.active_run() or fluent.start_run()
    run_id = run.info.run_id
    with tempfile.TemporaryDirectory(prefix="runlab-model-") as tmp:
        local = os.path.join(tmp, posixpath.basename(path))
        model = save(local)
        # The descriptor names the run and the path it is logged to.
        model.run_id, model.artifact_path = run_id, path
        model.save(local)
        fluent.log_artifacts(local, path)
    model_uri = f"runs:/{run_id}/{path}"
    info = ModelInfo.from_model(model, model_uri)
    _record_history(run_id, model)
    if registered_model_name:
        version = register_model(model_uri, registered_model_name)
        info.registered_model_version = int(version.version)
    return info


def _record_history(run_id: str, model: Model) -> None:
    """Append the model to the run's ``mlflow.log-model.history`` tag, which MLflow's UI
    reads to list a run's models; the oldest entries go when the tag would be too long."""
    import json

    from runlab import _validation as check
    from runlab.tracking.client import RunlabClient

    client = RunlabClient()
    entry = {k: v for k, v in model.to_dict().items() if k != "signature"}
    if model.signature is not None:
        entry["signature"] = model.signature.to_dict()
    history: list[dict[str, Any]] = []
    try:
        raw = client.get_run(run_id).data.tags.get(LOG_MODEL_HISTORY_TAG)
        history = json.loads(raw) if raw else []
    except (ValueError, TypeError):
        history = []
    history.append(entry)
    while history:
        text = json.dumps(history)
        try:
            check.tag_value(LOG_MODEL_HISTORY_TAG, text)
        except InvalidInputError:
            history.pop(0)
            continue
        client.set_tag(run_id, LOG_MODEL_HISTORY_TAG, text)
        return


# ============================================================================ loading
def open_model(
    model_uri: str | os.PathLike[str], dst_path: str | None = None, suppress_warnings: bool = False
) -> tuple[str, Model]:
    """Fetch ``model_uri`` to a local folder; returns it with its MLmodel descriptor."""
    from runlab.models.requirements import warn_on_mismatch
    from runlab.models.uris import download_model

    uri = os.fspath(model_uri)
    local = download_model(uri, dst_path)
    meta = Model.load(local)
    if not suppress_warnings:
        warn_on_mismatch(local, uri)
    return local, meta


def open_flavor(
    model_uri: str | os.PathLike[str],
    flavor: str,
    dst_path: str | None = None,
    suppress_warnings: bool = False,
) -> tuple[str, Model, dict[str, Any]]:
    """Fetch ``model_uri`` for loading as ``flavor``: its local folder, its descriptor and
    that flavour's entry, with the model's code folder put on ``sys.path``."""
    local, meta = open_model(model_uri, dst_path, suppress_warnings)
    conf = meta.flavors.get(flavor)
    if conf is None:
        flavours = ", ".join(meta.flavors) or "none"
        where = f"the model at {os.fspath(model_uri)!r}"
        if flavor == PYFUNC:
            raise InvalidInputError(
                f"{where} has no {PYFUNC} flavour (it has: {flavours}); load it with that "
                "framework's load_model"
            )
        raise InvalidInputError(
            f"{where} is not a {flavor} model (its flavours: {flavours}); load it with "
            "runlab.pyfunc.load_model"
        )
    _add_code_to_path(local, conf.get("code"))
    return local, meta, conf


def _add_code_to_path(model_dir: str, code: str | None) -> None:
    if code:
        path = os.path.join(model_dir, code)
        if path not in sys.path:
            sys.path.insert(0, path)
        importlib.invalidate_caches()
