"""``runlab.models`` helpers that read or change a saved model by URI (as ``mlflow.models``).

A model's files are changed where they are: in place for a local folder, and by
uploading the changed file back for ``runs:/<run_id>/<path>`` and ``models:/m-<id>``
(a logged model). A registered version (``models:/<name>/<version>``) is immutable and
is refused.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from runlab.errors import InvalidInputError, NotFoundError
from runlab.models.model import MLMODEL_FILE, Model, ModelInfo
from runlab.models.signature import ModelSignature, Schema

__all__ = [
    "ModelInputExample",
    "convert_input_example_to_serving_input",
    "get_model_info",
    "set_signature",
    "update_model_requirements",
    "validate_schema",
]

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

# What an ``input_example`` may be (MLflow's alias of the same name).
_Array: TypeAlias = "np.ndarray[Any, Any]"
ModelInputExample: TypeAlias = (
    "pd.DataFrame | _Array | dict[str, Any] | list[Any] | str | bytes | tuple[Any, ...]"
)

_LOGGED_MODEL = re.compile(r"^models:/(m-[0-9a-f]+)/?(.*)$")


def _logged_model_id(uri: str) -> tuple[str, str] | None:
    match = _LOGGED_MODEL.match(uri)
    return (match.group(1), match.group(2).strip("/")) if match else None


def _location(uri: str) -> str:
    """The local folder or artifact URI whose files make up the model at ``uri``."""
    from runlab.registry import uris
    from runlab.tracking.client import RunlabClient

    for _ in range(3):  # a registered version's source may be a logged model
        logged = _logged_model_id(uri)
        if logged is not None:
            location = RunlabClient().get_logged_model(logged[0]).artifact_location
            return f"{location.rstrip('/')}/{logged[1]}" if logged[1] else location
        if not (uris.is_model_uri(uri) or uris.is_runs_uri(uri)):
            return uri
        uri = uris.resolve_model_uri(uri)
    return uri


def _writable(model_uri: str, what: str) -> str:
    """:func:`_location` of a model that may change: not a registered version."""
    from runlab.registry import uris

    uri = os.fspath(model_uri)
    if uris.is_model_uri(uri) and _logged_model_id(uri) is None:
        raise InvalidInputError(
            f"cannot {what} {uri!r}: a registered model version does not change; "
            "use the runs:/ or models:/m-<id> URI it was registered from"
        )
    return _location(uri)


def _fetch_file(location: str, name: str, dst: str) -> str:
    """``name`` of the model at ``location`` as a local file (downloaded into ``dst``)."""
    if _is_local(location):
        path = os.path.join(_local_path(location), name)
        if not os.path.isfile(path):
            raise NotFoundError(f"the model at {location!r} has no {name} file")
        return path
    from runlab.store.artifacts import get_artifact_repository

    try:
        return get_artifact_repository(location).download_artifacts(name, dst)
    except NotFoundError:
        raise NotFoundError(f"the model at {location!r} has no {name} file") from None


def _put_back(location: str, local_file: str) -> None:
    """Upload a changed file to the model at ``location`` (a local file is changed already)."""
    if _is_local(location):
        return
    from runlab.store.artifacts import get_artifact_repository

    get_artifact_repository(location).log_artifact(local_file)


def _is_local(location: str) -> bool:
    from urllib.parse import urlsplit

    scheme = urlsplit(location).scheme.lower()
    return len(scheme) <= 1 or scheme == "file"


def _local_path(location: str) -> str:
    from urllib.parse import unquote, urlsplit

    if location.lower().startswith("file:"):
        return unquote(urlsplit(location).path)
    return location


# ==================================================================== reading
def get_model_info(model_uri: str) -> ModelInfo:
    """What the ``MLmodel`` file of ``model_uri`` says: flavours, signature, input example,
    run and logged-model ids (only that file is fetched)."""
    uri = os.fspath(model_uri)
    with tempfile.TemporaryDirectory(prefix="runlab-mlmodel-") as tmp:
        meta = Model.load(_fetch_file(_location(uri), MLMODEL_FILE, tmp))
    return ModelInfo.from_model(meta, uri)


def validate_schema(data: Any, expected_schema: Schema) -> None:
    """Raise InvalidInputError, naming the column or tensor, when ``data`` does not fit
    ``expected_schema`` (the check ``predict`` makes before a model sees its input)."""
    from runlab.models._enforce import enforce_input

    if not isinstance(expected_schema, Schema):
        raise InvalidInputError(
            f"expected_schema: must be a runlab.models.Schema, got {type(expected_schema).__name__}"
        )
    enforce_input(data, expected_schema)


def convert_input_example_to_serving_input(input_example: Any) -> str | None:
    """The JSON body ``POST /invocations`` takes for ``input_example`` (None for None)."""
    from runlab.models.input_example import serving_payload

    if input_example is None:
        return None
    return json.dumps(serving_payload(input_example), indent=2, allow_nan=False)


# ==================================================================== changing
def set_signature(model_uri: str, signature: ModelSignature) -> None:
    """Replace the signature in the ``MLmodel`` of the model at ``model_uri``."""
    if not isinstance(signature, ModelSignature):
        raise InvalidInputError(
            f"signature: must be a runlab.models.ModelSignature, got {type(signature).__name__}"
        )
    location = _writable(os.fspath(model_uri), "set the signature of")
    with tempfile.TemporaryDirectory(prefix="runlab-mlmodel-") as tmp:
        path = _fetch_file(location, MLMODEL_FILE, tmp)
        meta = Model.load(path)
        meta.signature = signature
        meta.save(path)
        _put_back(location, path)


def update_model_requirements(
    model_uri: str, operation: Literal["add", "remove"], requirement_list: list[str]
) -> None:
    """Add (or replace the pins of) or remove packages in the model's
    ``requirements.txt`` and ``conda.yaml``."""
    if operation not in ("add", "remove"):
        raise InvalidInputError(f"operation: must be 'add' or 'remove', got {operation!r}")
    if isinstance(requirement_list, str) or not isinstance(requirement_list, Sequence):
        raise InvalidInputError("requirement_list: must be a list of requirement strings")
    wanted: list[str] = []
    for line in requirement_list:
        if not isinstance(line, str) or _name(line.strip()) is None:
            raise InvalidInputError(
                f"requirement_list: {line!r} is not a requirement (a package name with an "
                "optional version specifier, such as 'numpy>=1.26')"
            )
        wanted.append(line.strip())
    location = _writable(os.fspath(model_uri), "change the requirements of")
    with tempfile.TemporaryDirectory(prefix="runlab-reqs-") as tmp:
        req_file = _fetch_file(location, "requirements.txt", tmp)
        with open(req_file, encoding="utf-8") as f:
            lines = [ln.strip() for ln in f if ln.strip() and not ln.strip().startswith("#")]
        updated = _apply(lines, wanted, operation)
        with open(req_file, "w", encoding="utf-8") as f:
            f.write("".join(f"{ln}\n" for ln in updated))
        _put_back(location, req_file)
        try:
            conda_file = _fetch_file(location, "conda.yaml", tmp)
        except NotFoundError:
            return
        _rewrite_conda(conda_file, wanted, operation)
        _put_back(location, conda_file)


_REQUIREMENT = re.compile(
    r"^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*"
    r"((?:===|==|!=|~=|<=|>=|<|>)\s*[A-Za-z0-9.*+!_-]+\s*(?:,\s*(?:===|==|!=|~=|<=|>=|<|>)"
    r"\s*[A-Za-z0-9.*+!_-]+\s*)*)?(;.*)?$"
)


def _name(line: str) -> str | None:
    """The normalized package name of a requirement line; None for a path, a URL or an
    option line (kept as they are)."""
    from runlab.models.requirements import normalize

    match = _REQUIREMENT.match(line.strip())
    return normalize(match.group(1)) if match else None


def _apply(lines: list[str], wanted: list[str], operation: str) -> list[str]:
    names = {_name(r) for r in wanted}
    kept = [ln for ln in lines if _name(ln) not in names]
    if operation == "add":
        kept.extend(wanted)
    return kept


def _rewrite_conda(path: str, wanted: list[str], operation: str) -> None:
    import yaml

    with open(path, encoding="utf-8") as f:
        env = yaml.safe_load(f) or {}
    for dep in env.get("dependencies") or []:
        if isinstance(dep, dict) and isinstance(dep.get("pip"), list):
            dep["pip"] = _apply([str(p) for p in dep["pip"]], wanted, operation)
    with open(path, "w", encoding="utf-8") as f:
        yaml.safe_dump(env, f, default_flow_style=False, sort_keys=False)
