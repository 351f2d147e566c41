"""``runlab.models.predict`` and ``validate_serving_input``: one prediction from a model
URI, with the input in any form the scoring server takes (as ``mlflow.models``).

Predictions run in the current Python environment (``env_manager="local"``); runlab
builds no virtualenv, uv or conda environment for a model, and says so for those.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

from runlab.errors import InvalidInputError, NotSupportedError

__all__ = ["predict", "validate_serving_input"]

ENV_MANAGERS = ("local", "virtualenv", "uv", "conda")
CONTENT_TYPES = ("json", "csv")


def predict(
    model_uri: str,
    input_data: Any = None,
    input_path: str | os.PathLike[str] | None = None,
    content_type: str = "json",
    output_path: str | os.PathLike[str] | None = None,
    env_manager: str = "virtualenv",
    install_mlflow: bool = False,
    pip_requirements_override: list[str] | None = None,
    extra_envs: Mapping[str, str] | None = None,
) -> None:
    """Predict with the model at ``model_uri`` on ``input_data`` (any model input, or a
    serving body: a dict or JSON string with ``dataframe_split``, ``inputs``...) or on
    the file at ``input_path`` (JSON or, with ``content_type="csv"``, CSV), and write
    ``{"predictions": ...}`` to ``output_path`` or standard output.

    Only ``env_manager="local"`` is available: the model runs in this environment
    (with ``extra_envs`` set while it predicts).
    """
    if env_manager not in ENV_MANAGERS:
        raise InvalidInputError(
            f"env_manager: must be one of {', '.join(ENV_MANAGERS)}, got {env_manager!r}"
        )
    if env_manager != "local":
        raise NotSupportedError(
            f"env_manager={env_manager!r}: runlab does not build an environment for a model; "
            "pass env_manager='local' to predict in the current environment (install the "
            "model's requirements first: runlab.pyfunc.get_model_dependencies)"
        )
    if install_mlflow or pip_requirements_override:
        raise NotSupportedError(
            "install_mlflow and pip_requirements_override change a built environment; with "
            "env_manager='local' nothing is installed"
        )
    if content_type not in CONTENT_TYPES:
        raise InvalidInputError(
            f"content_type: must be one of {', '.join(CONTENT_TYPES)}, got {content_type!r}"
        )
    if (input_data is None) == (input_path is None):
        raise InvalidInputError("pass exactly one of input_data and input_path")
    from runlab.models.flavors.pyfunc import load_model
    from runlab.models.input_example import to_jsonable

    model = load_model(model_uri)
    schema = model.metadata.get_input_schema()
    if input_path is not None:
        data, params = _read_input(os.fspath(input_path), content_type, schema)
    else:
        data, params = _parse_data(input_data, content_type, schema)
    with _environment(extra_envs):
        result = model.predict(data, params=params)
    text = json.dumps({"predictions": to_jsonable(result)}, allow_nan=False)
    if output_path is not None:
        with open(os.fspath(output_path), "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text + "\n")


def validate_serving_input(model_uri: str, serving_input: str | dict[str, Any]) -> Any:
    """The model's prediction on ``serving_input`` (a ``POST /invocations`` JSON body, as
    a dict or a string), which shows the body is one the served model takes.

    Deprecated in MLflow in favour of :func:`predict`."""
    warnings.warn(
        "validate_serving_input is deprecated; use runlab.models.predict(model_uri, "
        "input_data=serving_input, env_manager='local')",
        FutureWarning,
        stacklevel=2,
    )
    from runlab.models.flavors.pyfunc import load_model

    model = load_model(model_uri)
    if isinstance(serving_input, str):
        payload = _json(serving_input, "serving_input")
    elif isinstance(serving_input, dict):
        payload = serving_input
    else:
        raise InvalidInputError(
            f"serving_input: must be a JSON string or a dict, got {type(serving_input).__name__}"
        )
    data, params = _from_payload(payload, model.metadata.get_input_schema())
    return model.predict(data, params=params)


def _parse_data(value: Any, content_type: str, schema: Any) -> tuple[Any, dict[str, Any] | None]:
    from runlab.models.serving import INPUT_FORMATS, parse_csv

    if content_type == "csv":
        if not isinstance(value, (str, bytes)):
            return value, None  # a DataFrame or array, taken as it is
        return parse_csv(value.encode() if isinstance(value, str) else value, schema), None
    if isinstance(value, (str, bytes)):
        return _from_payload(_json(value, "input_data"), schema)
    if isinstance(value, dict) and any(k in value for k in INPUT_FORMATS):
        return _from_payload(value, schema)
    return value, None


def _read_input(path: str, content_type: str, schema: Any) -> tuple[Any, dict[str, Any] | None]:
    from runlab.models.serving import parse_csv

    try:
        with open(path, "rb") as f:
            body = f.read()
    except OSError as exc:
        raise InvalidInputError(f"input_path: {path!r} cannot be read: {exc.strerror}") from None
    if content_type == "csv":
        return parse_csv(body, schema), None
    return _from_payload(_json(body, "input_path"), schema)


def _json(text: str | bytes, what: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{what}: not valid JSON: {exc}") from None


def _from_payload(payload: Any, schema: Any) -> tuple[Any, dict[str, Any] | None]:
    from runlab.errors import BadRequestError
    from runlab.models.serving import parse_json_input

    try:
        return parse_json_input(payload, schema)
    except BadRequestError as exc:
        raise InvalidInputError(f"not a serving input: {exc.message}") from None


@contextlib.contextmanager
def _environment(extra: Mapping[str, str] | None) -> Iterator[None]:
    if not extra:
        yield
        return
    if not isinstance(extra, Mapping):
        raise InvalidInputError("extra_envs: must be a dict of variable names to values")
    saved = {k: os.environ.get(k) for k in extra}
    os.environ.update({str(k): str(v) for k, v in extra.items()})
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
