"""Build :class:`~runlab.entities.Dataset` records, with digests computed from content.

A digest identifies a dataset's content: the same data gives the same digest in any process,
and a changed value, column or shape gives a different one. Digests are the first 8 hex
characters of a SHA-256 (MLflow also uses 8), so they fit the store's ``digest`` column and
read well in a table. pandas and numpy are imported only when a function needs them.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from typing import Any

from runlab.entities import Dataset
from runlab.errors import InvalidInputError

__all__ = ["MAX_DIGEST_ROWS", "dataset", "digest_of_file", "from_numpy", "from_pandas"]

MAX_DIGEST_ROWS = 10_000  # rows hashed for a digest; the full shape is always included
DIGEST_LENGTH = 8
MAX_NAME_LENGTH = 500  # the store's column sizes
MAX_DIGEST_LENGTH = 36
MAX_SOURCE_TYPE_LENGTH = 36
_CHUNK = 1 << 20


def dataset(
    name: str,
    source: str = "",
    digest: str | None = None,
    source_type: str = "local",
    schema: dict[str, Any] | str | None = None,
    profile: dict[str, Any] | str | None = None,
) -> Dataset:
    """A dataset record from its parts.

    Without ``digest``, one is computed from ``name``, ``source`` and ``schema`` (so two
    records describing the same thing get the same digest). Dict schemas and profiles are
    stored as JSON text.
    """
    _check_str("name", name, MAX_NAME_LENGTH, allow_empty=False)
    _check_str("source", source)
    _check_str("source_type", source_type, MAX_SOURCE_TYPE_LENGTH, allow_empty=False)
    schema_text = _json_text("schema", schema)
    profile_text = _json_text("profile", profile)
    if digest is None:
        digest = _sha256_prefix(
            _canonical_json([name, source, _parsed(schema_text)]).encode("utf-8")
        )
    else:
        _check_str("digest", digest, MAX_DIGEST_LENGTH, allow_empty=False)
    return Dataset(
        name=name,
        digest=digest,
        source_type=source_type,
        source=source,
        schema=schema_text,
        profile=profile_text,
    )


def from_pandas(
    df: Any,
    source: str = "",
    targets: str | None = None,
    name: str | None = None,
    digest: str | None = None,
    predictions: str | None = None,
) -> Dataset:
    """A dataset record for a pandas DataFrame.

    The digest covers the values and index of the first 10,000 rows, the full shape, and the
    column names and dtypes; ``digest`` gives one instead. ``schema`` is a JSON list of
    ``{"name", "type"}`` (the dtype), ``profile`` holds ``num_rows`` and ``num_elements``,
    and the ``targets`` and ``predictions`` column names when given.
    """
    pd = _require("pandas", "from_pandas")
    if not isinstance(df, pd.DataFrame):
        raise InvalidInputError(f"df: expected a pandas DataFrame, got {type(df).__name__}")
    for field, column in (("targets", targets), ("predictions", predictions)):
        if column is not None and column not in df.columns:
            raise InvalidInputError(f"{field}: {column!r} is not a column of the DataFrame")
    columns = [
        {"name": _column_name(c), "type": str(t)}
        for c, t in zip(df.columns, df.dtypes, strict=True)
    ]
    num_rows, num_columns = df.shape
    profile: dict[str, Any] = {"num_rows": int(num_rows), "num_elements": int(df.size)}
    if targets is not None:
        profile["targets"] = _column_name(targets)
    if predictions is not None:
        profile["predictions"] = _column_name(predictions)

    if digest is None:
        h = hashlib.sha256()
        h.update(_canonical_json({"shape": [num_rows, num_columns], "columns": columns}).encode())
        h.update(_hash_frame_rows(pd, df.head(MAX_DIGEST_ROWS)))
        digest = h.hexdigest()[:DIGEST_LENGTH]
    return dataset(
        name=name if name is not None else "dataset",
        source=source,
        digest=digest,
        source_type="local",
        schema=json.dumps(columns),
        profile=profile,
    )


def from_numpy(
    features: Any,
    source: str = "",
    targets: Any = None,
    name: str | None = None,
    digest: str | None = None,
) -> Dataset:
    """A dataset record for a numpy array of features, with optional targets.

    The digest covers the bytes of the first 10,000 rows, the full shape and the dtype of
    each array; ``digest`` gives one instead. ``schema`` is
    ``{"features": {"shape", "dtype"}, "targets": ...}`` and ``profile`` holds each
    array's shape, size and byte count.
    """
    np = _require("numpy", "from_numpy")
    arrays = {"features": _as_array(np, "features", features)}
    if targets is not None:
        arrays["targets"] = _as_array(np, "targets", targets)

    h = hashlib.sha256()
    schema: dict[str, Any] = {}
    profile: dict[str, Any] = {}
    for role, array in arrays.items():
        spec = {"shape": [int(n) for n in array.shape], "dtype": str(array.dtype)}
        schema[role] = spec
        profile[f"{role}_shape"] = spec["shape"]
        profile[f"{role}_size"] = int(array.size)
        profile[f"{role}_nbytes"] = int(array.nbytes)
        if digest is None:
            h.update(_canonical_json({role: spec}).encode())
            h.update(_array_bytes(np, array[:MAX_DIGEST_ROWS] if array.ndim else array))
    return dataset(
        name=name if name is not None else "dataset",
        source=source,
        digest=h.hexdigest()[:DIGEST_LENGTH] if digest is None else digest,
        source_type="local",
        schema=schema,
        profile=profile,
    )


def digest_of_file(path: str | os.PathLike[str]) -> str:
    """The first 8 hex characters of the file's SHA-256, read in 1 MiB chunks.

    The same prefix ``sha256sum`` prints, so a digest can be checked from a shell.
    """
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                h.update(chunk)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise InvalidInputError(f"path: {os.fspath(path)!r} is not a readable file") from None
    return h.hexdigest()[:DIGEST_LENGTH]


# -- helpers -----------------------------------------------------------------------------------


def _require(module: str, function: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(
            f"runlab.data.{function} needs {module}, which is not installed: "
            "pip install 'runlab[pandas]'"
        ) from e


def _check_str(
    field: str, value: Any, limit: int | None = None, *, allow_empty: bool = True
) -> None:
    if not isinstance(value, str):
        raise InvalidInputError(f"{field}: must be a string, got {type(value).__name__}")
    if not allow_empty and not value:
        raise InvalidInputError(f"{field}: must not be empty")
    if limit is not None and len(value) > limit:
        raise InvalidInputError(f"{field}: is {len(value)} characters; the limit is {limit}")


def _json_text(field: str, value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        try:
            return json.dumps(dict(value))
        except (TypeError, ValueError) as e:
            raise InvalidInputError(f"{field}: is not JSON-serializable ({e})") from None
    raise InvalidInputError(f"{field}: must be a dict or a JSON string, got {type(value).__name__}")


def _parsed(text: str | None) -> Any:
    """JSON text as a value, so a dict and its JSON string digest alike; else the text."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _sha256_prefix(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:DIGEST_LENGTH]


def _column_name(column: Any) -> str:
    return column if isinstance(column, str) else str(column)


def _hash_frame_rows(pd: Any, head: Any) -> bytes:
    """Per-row uint64 hashes of values and index, as little-endian bytes.

    Columns whose objects pandas cannot hash (lists, dicts) are hashed by their ``repr``.
    """
    try:
        hashed = pd.util.hash_pandas_object(head, index=True)
    except TypeError:
        safe = head.copy()
        for i, dtype in enumerate(head.dtypes):
            if str(dtype) == "object":
                safe.isetitem(i, head.iloc[:, i].map(repr))
        hashed = pd.util.hash_pandas_object(safe, index=True)
    return bytes(hashed.to_numpy(dtype="<u8").tobytes())


def _as_array(np: Any, field: str, value: Any) -> Any:
    if isinstance(value, Mapping):
        raise InvalidInputError(f"{field}: must be an array, got a {type(value).__name__}")
    try:
        array = np.asarray(value)
    except Exception as e:
        raise InvalidInputError(f"{field}: cannot be read as an array ({e})") from None
    if array.dtype.byteorder == ">":  # same values, same digest, whatever the byte order
        array = array.astype(array.dtype.newbyteorder("<"))
    return array


def _array_bytes(np: Any, array: Any) -> bytes:
    """Bytes that depend on the values only: C order; ``repr`` for objects."""
    if array.dtype.hasobject:
        return "\x00".join(map(repr, array.ravel().tolist())).encode("utf-8", "replace")
    return bytes(np.ascontiguousarray(array).tobytes())
