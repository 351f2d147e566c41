"""What every flavour shares: saving a model folder, logging it to a run, opening it by URI.

A flavour only says how to write its framework's object into the folder (a ``write``
function returning :class:`Written`) and how to read it back; :func:`save_model_dir`
does the rest (code paths, extra files, input example, signature, requirements, the
``MLmodel`` descriptor, and removing the folder again when anything fails),
:func:`log_with` is the body of every flavour's ``log_model`` (it forwards the save
keywords to the flavour's ``save_model`` and puts the folder into a run and an MLflow 3
logged model), and :func:`open_flavor` fetches a model by URI for loading.
"""

from __future__ import annotations

import importlib
import inspect
import os
import posixpath
import shutil
import sys
import tempfile
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from runlab.errors import AlreadyExistsError, InvalidInputError
from runlab.models._warnings import RunlabModelWarning
from runlab.models.model import PYFUNC, Model, ModelInfo
from runlab.models.signature import ModelSignature

CODE_DIR = "code"
EXTRA_FILES_DIR = "extra_files"
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
    mlflow_model: Model | None = None,
    extra_files: Sequence[str | os.PathLike[str]] | None = None,
) -> Model:
    """Save a model at ``path`` (a new or empty folder): copy ``code_paths`` into
    ``code/`` and ``extra_files`` into ``extra_files/``, let ``write(model_dir)`` save the
    framework's files, then write the input example, the signature (inferred from the
    example and ``Written.predict`` when not given), the requirements and environments,
    and the ``MLmodel`` descriptor naming ``flavor`` and ``loader_module``: into
    ``mlflow_model`` when one is given (its ids and other flavours are kept). A failure
    removes the folder."""
    from runlab.models import requirements as reqs

    if mlflow_model is not None and not isinstance(mlflow_model, Model):
        raise InvalidInputError(
            f"mlflow_model must be a runlab.models.Model, got {type(mlflow_model).__name__}"
        )
    model_dir = create_model_dir(path)
    try:
        code = copy_code_paths(model_dir, code_paths)
        extras = copy_extra_files(model_dir, extra_files)
        written = write(model_dir)
        model = mlflow_model if mlflow_model is not None else Model()
        if metadata is not None:
            model.metadata = metadata
        if flavor is not None:
            conf = {**(written.flavor or {}), "code": code}
            if extras:
                conf["extra_files"] = extras
            model.add_flavor(flavor, **conf)
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


def copy_extra_files(
    model_dir: str, extra_files: Sequence[str | os.PathLike[str]] | None
) -> list[dict[str, str]]:
    """Copy each of ``extra_files`` (local paths or artifact URIs) into ``extra_files/``;
    returns the flavour entry's ``extra_files`` list (``[{"path": ...}]``)."""
    from runlab.models.uris import download_model

    if not extra_files:
        return []
    if isinstance(extra_files, (str, os.PathLike)):
        raise InvalidInputError("extra_files: must be a list of paths or URIs, not one string")
    out: list[dict[str, str]] = []
    os.makedirs(os.path.join(model_dir, EXTRA_FILES_DIR), exist_ok=True)
    for raw in extra_files:
        try:
            source = download_model(os.fspath(raw))
        except Exception as exc:
            raise InvalidInputError(
                f"extra_files: cannot fetch {os.fspath(raw)!r}: {exc}"
            ) from None
        base = os.path.basename(source.rstrip(os.sep))
        rel = f"{EXTRA_FILES_DIR}/{base}"
        dst = os.path.join(model_dir, EXTRA_FILES_DIR, base)
        if os.path.exists(dst):
            raise InvalidInputError(f"extra_files: two files are named {base!r}")
        if os.path.isdir(source):
            shutil.copytree(source, dst)
        else:
            shutil.copy2(source, dst)
        out.append({"path": rel})
    return out


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
# The keywords of every flavour's log_model that say where the model goes (the run, the
# logged model, the registry); all the others are save_model's.
LOG_KEYWORDS = (
    "artifact_path",
    "name",
    "registered_model_name",
    "await_registration_for",
    "params",
    "tags",
    "model_type",
    "step",
    "model_id",
)


@dataclass(frozen=True)
class LogOptions:
    """Where ``log_model`` puts a saved model: MLflow 3's keywords of every flavour."""

    artifact_path: str | None = None
    name: str | None = None
    registered_model_name: str | None = None
    await_registration_for: int | None = 300
    params: Mapping[str, Any] | None = None
    tags: Mapping[str, Any] | None = None
    model_type: str | None = None
    step: int = 0
    model_id: str | None = None

    def check(self) -> None:
        for field_name in ("params", "tags"):
            value = getattr(self, field_name)
            if value is not None and not isinstance(value, Mapping):
                raise InvalidInputError(
                    f"{field_name}: must be a dict of names to values, got {type(value).__name__}"
                )
        if self.model_type is not None and not isinstance(self.model_type, str):
            raise InvalidInputError(
                f"model_type: must be a string, got {type(self.model_type).__name__}"
            )
        if isinstance(self.step, bool) or not isinstance(self.step, int):
            raise InvalidInputError(f"step: must be an integer, got {self.step!r}")
        wait = self.await_registration_for
        if wait is not None and (isinstance(wait, bool) or not isinstance(wait, int) or wait < 0):
            raise InvalidInputError(
                f"await_registration_for: must be a non-negative number of seconds, got {wait!r}"
            )
        if self.model_id is not None and not isinstance(self.model_id, str):
            raise InvalidInputError(f"model_id: must be a string, got {self.model_id!r}")


def log_with(save: Callable[..., Model], arguments: Mapping[str, Any]) -> ModelInfo:
    """The body of every flavour's ``log_model``: ``arguments`` are the call's own
    (its ``locals()``). The keywords of :data:`LOG_KEYWORDS` place the model; every
    other is forwarded by name to ``save(path=..., mlflow_model=..., **rest)``, the
    flavour's ``save_model``, so the two signatures cannot drift apart."""
    forward = {k: v for k, v in arguments.items() if k not in LOG_KEYWORDS}
    accepted = inspect.signature(save).parameters
    stray = sorted(k for k in forward if k not in accepted)
    if stray or "mlflow_model" in forward:
        raise TypeError(f"{save.__module__}.save_model does not take: {', '.join(stray)}")
    options = LogOptions(**{k: arguments[k] for k in LOG_KEYWORDS if k in arguments})
    return log_model(lambda path, meta: save(path=path, mlflow_model=meta, **forward), options)


def log_model(save: Callable[[str, Model], Model], options: LogOptions) -> ModelInfo:
    """Save with ``save(local_path, model)`` into a temporary folder, upload it to the
    active run's artifacts (starting a run when none is active, as MLflow does) and to
    an MLflow 3 logged model (a new one carrying ``params``, ``tags`` and
    ``model_type``, or ``options.model_id``), record the run's output at ``step``, and
    register it when ``registered_model_name`` is given."""
    from runlab.entities_logged_models import LoggedModelOutput, LoggedModelStatus
    from runlab.registry._fluent import register_model
    from runlab.store.artifacts import _paths
    from runlab.tracking import fluent
    from runlab.tracking.fluent_models import _remember

    options.check()
    artifact_path, name = options.artifact_path, options.name
    if artifact_path and name and artifact_path != name:
        raise InvalidInputError(
            f"pass the model's name once: artifact_path={artifact_path!r} and name={name!r} differ"
        )
    path = _paths.normalize(name or artifact_path or "model")
    if not path:
        raise InvalidInputError("artifact_path (or name) must not be empty")
    run = fluent.active_run() or fluent.start_run()
    run_id = run.info.run_id
    client = fluent._client()
    if options.model_id is not None:
        logged = client.get_logged_model(options.model_id)
    else:
        # As MLflow does, the model carries the run's params beside its own.
        params = {**(options.params or {}), **client.get_run(run_id).data.params}
        logged = client.create_logged_model(
            run.info.experiment_id,
            name=posixpath.basename(path),
            source_run_id=run_id,
            tags={k: str(v) for k, v in (options.tags or {}).items()},
            params={k: str(v) for k, v in params.items()},
            model_type=options.model_type,
        )
        _remember(logged)
    try:
        client.log_outputs(run_id, [LoggedModelOutput(logged.model_id, options.step)])
        with tempfile.TemporaryDirectory(prefix="runlab-model-") as tmp:
            local = os.path.join(tmp, posixpath.basename(path))
            meta = Model(run_id=run_id, artifact_path=path, model_id=logged.model_id)
            model = save(local, meta)
            fluent.log_artifacts(local, path)
            client.log_model_artifacts(logged.model_id, local)
    except BaseException:
        if options.model_id is None:
            client.finalize_logged_model(logged.model_id, LoggedModelStatus.FAILED)
        raise
    logged = client.finalize_logged_model(logged.model_id, LoggedModelStatus.READY)
    model_uri = f"runs:/{run_id}/{path}"
    info = ModelInfo.from_model(model, model_uri)
    info.model_id, info.params, info.tags = logged.model_id, logged.params, logged.tags
    info.model_type = logged.model_type
    _record_history(run_id, model)
    if options.registered_model_name:
        version = register_model(model_uri, options.registered_model_name)
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
