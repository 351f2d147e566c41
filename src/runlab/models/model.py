"""The saved-model folder and its ``MLmodel`` descriptor.

A saved model is a folder::

    model/
      MLmodel                     YAML: flavours, signature, input example, ids, times
      model.pkl | data/ | ...     the flavour's own files
      input_example.json          when an input example was given
      serving_input_example.json  the same example as a POST /invocations body
      requirements.txt            pip pins of the installed versions the model needs
      python_env.yaml, conda.yaml environments built from those pins
      code/                       the code_paths copied in, put on sys.path at load

``MLmodel`` has MLflow's shape, so people and tools that know MLflow read it as is:
``flavors`` holds a ``python_function`` entry (``loader_module`` names the module
whose ``_load_pyfunc(path)`` builds a predictor) plus the framework's own entry.
"""

from __future__ import annotations

import datetime as _dt
import os
import posixpath
import shutil
import sys
import tempfile
import uuid
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from runlab.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from runlab.models._warnings import RunlabModelWarning
from runlab.models.signature import ModelSignature, ParamSchema, Schema

__all__ = ["MLMODEL_FILE", "Model", "ModelInfo"]

MLMODEL_FILE = "MLmodel"
PYFUNC = "python_function"
CODE_DIR = "code"
LOG_MODEL_HISTORY_TAG = "mlflow.log-model.history"


def _utc_now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None).isoformat(sep=" ")


@dataclass
class Model:
    """The contents of one ``MLmodel`` file."""

    artifact_path: str | None = None
    run_id: str | None = None
    flavors: dict[str, dict[str, Any]] = field(default_factory=dict)
    signature: ModelSignature | None = None
    saved_input_example_info: dict[str, Any] | None = None
    utc_time_created: str = field(default_factory=_utc_now)
    model_uuid: str = field(default_factory=lambda: uuid.uuid4().hex)
    runlab_version: str = ""
    model_size_bytes: int | None = None
    metadata: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if not self.runlab_version:
            from runlab._version import __version__

            self.runlab_version = __version__

    # ------------------------------------------------------------------ flavours
    def add_flavor(self, name: str, **params: Any) -> Model:
        self.flavors[name] = params
        return self

    def get_input_schema(self) -> Schema | None:
        return self.signature.inputs if self.signature else None

    def get_output_schema(self) -> Schema | None:
        return self.signature.outputs if self.signature else None

    def get_params_schema(self) -> ParamSchema | None:
        return self.signature.params if self.signature else None

    def load_input_example(self, path: str) -> Any:
        """The input example saved in model folder ``path`` (None when there is none)."""
        from runlab.models.input_example import load_input_example

        return load_input_example(path, self.saved_input_example_info)

    # ------------------------------------------------------------------ file form
    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "artifact_path": self.artifact_path,
            "flavors": self.flavors,
            "model_size_bytes": self.model_size_bytes,
            "model_uuid": self.model_uuid,
            "run_id": self.run_id,
            "runlab_version": self.runlab_version,
            "utc_time_created": self.utc_time_created,
        }
        if self.saved_input_example_info is not None:
            out["saved_input_example_info"] = self.saved_input_example_info
        if self.signature is not None:
            out["signature"] = self.signature.to_dict()
        if self.metadata is not None:
            out["metadata"] = self.metadata
        return dict(sorted(out.items()))

    def to_yaml(self) -> str:
        import yaml

        return str(yaml.safe_dump(self.to_dict(), default_flow_style=False, sort_keys=False))

    def save(self, path: str) -> None:
        """Write ``path`` (the MLmodel file itself, or the folder that holds it)."""
        target = os.path.join(path, MLMODEL_FILE) if os.path.isdir(path) else path
        with open(target, "w", encoding="utf-8") as f:
            f.write(self.to_yaml())

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Model:
        sig = d.get("signature")
        return cls(
            artifact_path=d.get("artifact_path"),
            run_id=d.get("run_id"),
            flavors=dict(d.get("flavors") or {}),
            signature=ModelSignature.from_dict(sig) if sig else None,
            saved_input_example_info=d.get("saved_input_example_info"),
            utc_time_created=str(d.get("utc_time_created") or ""),
            model_uuid=str(d.get("model_uuid") or ""),
            # A model saved by MLflow records mlflow_version instead.
            runlab_version=str(d.get("runlab_version") or d.get("mlflow_version") or ""),
            model_size_bytes=d.get("model_size_bytes"),
            metadata=d.get("metadata"),
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Model:
        """Read a local MLmodel file, or the MLmodel file inside folder ``path``."""
        import yaml

        path = os.fspath(path)
        target = os.path.join(path, MLMODEL_FILE) if os.path.isdir(path) else path
        if not os.path.isfile(target):
            raise NotFoundError(
                f"no {MLMODEL_FILE} file at {path!r}: not a saved model folder (save one with "
                "runlab.<flavour>.save_model or log_model)"
            )
        with open(target, encoding="utf-8") as f:
            try:
                data = yaml.safe_load(f)
            except yaml.YAMLError as exc:
                raise InvalidInputError(f"{target!r} is not valid YAML: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("flavors"), dict):
            raise InvalidInputError(f"{target!r} is not an MLmodel file (it has no 'flavors')")
        return cls.from_dict(data)


@dataclass
class ModelInfo:
    """What ``log_model`` returns: where the model went and what it holds."""

    artifact_path: str
    flavors: dict[str, dict[str, Any]]
    model_uri: str
    model_uuid: str
    run_id: str
    saved_input_example_info: dict[str, Any] | None
    signature: ModelSignature | None
    utc_time_created: str
    runlab_version: str
    metadata: dict[str, Any] | None = None
    registered_model_version: int | None = None

    @property
    def name(self) -> str:
        return self.artifact_path

    @property
    def signature_dict(self) -> dict[str, str | None] | None:
        return self.signature.to_dict() if self.signature else None

    @classmethod
    def from_model(cls, model: Model, model_uri: str) -> ModelInfo:
        return cls(
            artifact_path=model.artifact_path or "",
            flavors=model.flavors,
            model_uri=model_uri,
            model_uuid=model.model_uuid,
            run_id=model.run_id or "",
            saved_input_example_info=model.saved_input_example_info,
            signature=model.signature,
            utc_time_created=model.utc_time_created,
            runlab_version=model.runlab_version,
            metadata=model.metadata,
        )


# ============================================================================ saving
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


def add_pyfunc_flavor(
    model: Model,
    loader_module: str,
    code: str | None,
    env: dict[str, str] | None = None,
    **params: Any,
) -> None:
    conf: dict[str, Any] = {
        "loader_module": loader_module,
        "python_version": ".".join(str(v) for v in sys.version_info[:3]),
    }
    if code:
        conf["code"] = code
    conf.update(params)
    if env:
        conf["env"] = env
    model.add_flavor(PYFUNC, **conf)


def finish_model_dir(
    model_dir: str,
    model: Model,
    *,
    signature: ModelSignature | None,
    input_example: Any,
    predict: Callable[[Any], Any] | None,
    default_requirements: Sequence[str],
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    metadata: dict[str, Any] | None = None,
) -> Model:
    """Write the parts every flavour shares: input example, signature (inferred from the
    example and ``predict(example)`` when not given), requirements and MLmodel."""
    from runlab.models import requirements as reqs

    if input_example is not None:
        model.saved_input_example_info = _save_example(model_dir, input_example)
        if signature is None:
            signature = _infer_from_example(input_example, predict)
    model.signature = signature
    model.metadata = metadata
    lines = reqs.resolve_requirements(
        default_requirements, pip_requirements, extra_pip_requirements
    )
    reqs.write_requirements(model_dir, lines)
    env = reqs.write_environments(model_dir, lines)
    if PYFUNC in model.flavors:
        pyfunc_conf = dict(model.flavors[PYFUNC])
        pyfunc_conf["env"] = env
        model.flavors[PYFUNC] = pyfunc_conf
    model.model_size_bytes = _folder_size(model_dir)
    model.save(model_dir)
    return model


def _save_example(model_dir: str, example: Any) -> dict[str, Any]:
    from runlab.models.input_example import save_input_example

    return save_input_example(model_dir, example)


def _infer_from_example(
    example: Any, predict: Callable[[Any], Any] | None
) -> ModelSignature | None:
    from runlab.models.signature import infer_signature

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
    save: Callable[..., Model],
    *,
    artifact_path: str | None,
    name: str | None,
    registered_model_name: str | None,
    save_kwargs: dict[str, Any],
) -> ModelInfo:
    """Save with ``save(path=..., run_id=..., artifact_path=..., **save_kwargs)`` into a
    temporary folder, upload it to the active run's artifacts (starting a run when none
    is active, as MLflow does) and register it when ``registered_model_name`` is given."""
    import runlab
    from runlab.artifacts import _paths

    if artifact_path and name and artifact_path != name:
        raise InvalidInputError(
            f"pass the model's name once: artifact_path={artifact_path!r} and name={name!r} differ"
        )
    path = _paths.normalize(name or artifact_path or "model")
    if not path:
        raise InvalidInputError("artifact_path (or name) must not be empty")
    run = runlab.active_run() or runlab.start_run()
    run_id = run.info.run_id
    with tempfile.TemporaryDirectory(prefix="runlab-model-") as tmp:
        local = os.path.join(tmp, posixpath.basename(path))
        model = save(path=local, run_id=run_id, artifact_path=path, **save_kwargs)
        runlab.log_artifacts(local, path)
    model_uri = f"runs:/{run_id}/{path}"
    info = ModelInfo.from_model(model, model_uri)
    _record_history(run_id, model)
    if registered_model_name:
        version = runlab.register_model(model_uri, registered_model_name)
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
