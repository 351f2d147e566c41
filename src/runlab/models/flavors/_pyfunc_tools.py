"""``runlab.pyfunc`` helpers beside loading and saving: the python_function entry of a
descriptor, a model's dependency files, and MLflow's older names."""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any

from runlab.errors import InvalidInputError, NotFoundError
from runlab.models._warnings import RunlabModelWarning
from runlab.models.model import PYFUNC, Model
from runlab.models.signature import ModelSignature

__all__ = [
    "add_to_model",
    "get_default_pip_requirements",
    "get_model_dependencies",
    "load_pyfunc",
    "update_signature_for_type_hint_from_example",
]

DEPENDENCY_FILES = {"pip": "requirements.txt", "conda": "conda.yaml"}


def add_to_model(
    model: Model,
    loader_module: str,
    data: str | None = None,
    code: str | None = None,
    conda_env: str | None = None,
    python_env: str | None = None,
    model_config: dict[str, Any] | None = None,
    model_code_path: str | None = None,
    **kwargs: Any,
) -> Model:
    """Add a python_function entry to ``model``'s descriptor: ``loader_module``'s
    ``_load_pyfunc(<model folder>/<data>)`` loads it. ``conda_env`` and ``python_env``
    name environment files inside the model folder; other keywords go into the entry."""
    if not isinstance(model, Model):
        raise InvalidInputError(f"model: must be a runlab.models.Model, got {type(model).__name__}")
    if not isinstance(loader_module, str) or not loader_module:
        raise InvalidInputError(f"loader_module: must be a module name, got {loader_module!r}")
    conf: dict[str, Any] = {
        "loader_module": loader_module,
        "python_version": ".".join(str(v) for v in sys.version_info[:3]),
        **kwargs,
    }
    for key, value in (("data", data), ("code", code), ("model_config", model_config)):
        if value is not None:
            conf[key] = value
    if model_code_path is not None:
        conf["model_code_path"] = model_code_path
    env = {k: v for k, v in (("conda", conda_env), ("virtualenv", python_env)) if v}
    if env:
        conf["env"] = env
    return model.add_flavor(PYFUNC, **conf)


def get_default_pip_requirements() -> list[str]:
    """The pins a custom python model needs in this environment."""
    from runlab.models.requirements import pin

    return pin(["cloudpickle"])


def get_model_dependencies(model_uri: str, format: str = "pip") -> str:
    """The local path of the model's ``requirements.txt`` (``format="pip"``) or
    ``conda.yaml`` (``format="conda"``): ``pip install -r`` it before predicting."""
    from runlab.models.uris import download_model

    if format not in DEPENDENCY_FILES:
        raise InvalidInputError(
            f"format: must be one of {', '.join(DEPENDENCY_FILES)}, got {format!r}"
        )
    local = download_model(os.fspath(model_uri))
    path = os.path.join(local, DEPENDENCY_FILES[format])
    if not os.path.isfile(path):
        raise NotFoundError(f"the model at {model_uri!r} has no {DEPENDENCY_FILES[format]}")
    return path


def load_pyfunc(model_uri: str, suppress_warnings: bool = False) -> Any:
    """MLflow's former name of :func:`runlab.pyfunc.load_model` (deprecated)."""
    from runlab.models.flavors.pyfunc import load_model

    warnings.warn(
        "load_pyfunc is deprecated; use runlab.pyfunc.load_model", FutureWarning, stacklevel=2
    )
    return load_model(model_uri, suppress_warnings=suppress_warnings)


def update_signature_for_type_hint_from_example(
    input_example: Any, signature: ModelSignature
) -> None:
    """Mark ``signature`` as taken from ``input_example`` by a type hint
    (``signature.is_type_hint_from_example``, MLflow's flag). Only a DataFrame, a
    Series or a list qualifies; another example leaves the signature as it is, with a
    warning."""
    import pandas as pd

    if not isinstance(signature, ModelSignature):
        raise InvalidInputError(
            f"signature: must be a runlab.models.ModelSignature, got {type(signature).__name__}"
        )
    if isinstance(input_example, (pd.DataFrame, pd.Series, list)):
        signature.is_type_hint_from_example = True
        return
    warnings.warn(
        "a signature taken from the example by type hint needs a pandas DataFrame, a Series "
        f"or a list as input example, got {type(input_example).__name__}",
        RunlabModelWarning,
        stacklevel=2,
    )
