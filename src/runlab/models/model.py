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
Saving, logging and opening a folder are in ``_flavor``, shared by every flavour.
"""

from __future__ import annotations

import datetime as _dt
import os
import uuid
from dataclasses import dataclass, field
from typing import Any

from runlab.errors import InvalidInputError, NotFoundError
from runlab.models.signature import ModelSignature, ParamSchema, Schema

__all__ = ["MLMODEL_FILE", "Model", "ModelInfo"]

MLMODEL_FILE = "MLmodel"
PYFUNC = "python_function"


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
    model_id: str | None = None  # the MLflow 3 logged model it was logged as

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
        if self.model_id is not None:
            out["model_id"] = self.model_id
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
            model_id=d.get("model_id"),
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
    # The MLflow 3 logged model log_model made (or was given), with its params and tags.
    model_id: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    model_type: str | None = None

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
            model_id=model.model_id,
        )
