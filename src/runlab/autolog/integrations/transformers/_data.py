"""The Trainer's datasets as run inputs, where a digest is cheap.

A Hugging Face ``datasets.Dataset`` carries a fingerprint of its content and its
transforms: the digest is made from it, with the features as the schema. A map-style
torch ``Dataset`` is digested from its length and its first items (at most
``MAX_ITEMS``, converted to bytes). Iterable datasets are not recorded: reading them
would consume them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from runlab.autolog._session import Fit
from runlab.autolog.integrations import _boosting as boosting

__all__ = ["MAX_ITEMS", "dataset_record", "log_datasets", "text_example"]

MAX_ITEMS = 1000
TEXT_COLUMNS = ("text", "sentence", "content", "review")


def log_datasets(fit: Fit, trainer: Any) -> None:
    train = getattr(trainer, "train_dataset", None)
    if train is not None:
        fit.attempt("the training dataset", _log_one, fit, train, "train", None)
    evaluation = getattr(trainer, "eval_dataset", None)
    if isinstance(evaluation, Mapping):  # several eval sets, by name
        for name, value in evaluation.items():
            fit.attempt(f"eval dataset {name!r}", _log_one, fit, value, "eval", str(name))
    elif evaluation is not None:
        fit.attempt("the eval dataset", _log_one, fit, evaluation, "eval", None)


def _log_one(fit: Fit, value: Any, context: str, name: str | None) -> None:
    record = dataset_record(value, name)
    if record is None:
        fit.integration.note("%s dataset %s not recorded", context, type(value).__name__)
        return
    fit.log_input(record, context=context)


def dataset_record(value: Any, name: str | None = None) -> Any:
    """A dataset record for a Hugging Face or map-style torch dataset, else None."""
    from runlab import data

    if _is_hf_dataset(value):
        info = getattr(value, "info", None)
        named = getattr(info, "dataset_name", None) or getattr(info, "builder_name", None)
        columns = [{"name": str(k), "type": _feature_type(v)} for k, v in value.features.items()]
        digest = hashlib.sha256(str(value._fingerprint).encode()).hexdigest()[:8]
        return data.dataset(
            name=name or named or "dataset",
            source=json.dumps({"path": named}) if named else boosting.script_source(),
            digest=digest,
            source_type="hugging_face" if named else "local",
            schema=json.dumps(columns),
            profile={"num_rows": int(value.num_rows), "num_columns": len(columns)},
        )
    if not _is_map_dataset(value):
        return None
    length = len(value)
    h = hashlib.sha256(f"{type(value).__qualname__}:{length}".encode())
    first = None
    for index in range(min(length, MAX_ITEMS)):
        item = value[index]
        first = item if first is None else first
        _digest_item(h, item)
    return data.dataset(
        name=name or type(value).__name__,
        source=boosting.script_source(),
        digest=h.hexdigest()[:8],
        source_type="local",
        schema=json.dumps(_item_schema(first)) if first is not None else None,
        profile={"num_rows": length},
    )


def text_example(trainer: Any, rows: int) -> list[str] | None:
    """The first texts of a Hugging Face dataset with a text column (eval, else train)."""
    for value in (getattr(trainer, "eval_dataset", None), getattr(trainer, "train_dataset", None)):
        if value is not None and _is_hf_dataset(value):
            for column in TEXT_COLUMNS:
                if column in value.column_names:
                    return [str(t) for t in value[:rows][column]]
    return None


def _is_hf_dataset(value: Any) -> bool:
    import sys

    module = sys.modules.get("datasets")  # loaded if the script made one
    return module is not None and isinstance(value, module.Dataset)


def _is_map_dataset(value: Any) -> bool:
    import torch.utils.data

    return isinstance(value, torch.utils.data.Dataset) and not isinstance(
        value, torch.utils.data.IterableDataset
    )


def _feature_type(feature: Any) -> str:
    dtype = getattr(feature, "dtype", None)
    return str(dtype) if dtype is not None else type(feature).__name__


def _digest_item(h: Any, item: Any) -> None:
    """Feed one item's content to the hash: tensors and arrays as bytes, the rest as text."""
    import numpy as np

    if isinstance(item, Mapping):
        for key in sorted(item, key=str):
            h.update(str(key).encode())
            _digest_item(h, item[key])
    elif isinstance(item, (tuple, list)) and not all(isinstance(x, (int, float)) for x in item):
        for part in item:
            _digest_item(h, part)
    elif hasattr(item, "detach") and hasattr(item, "numpy"):  # a torch tensor
        array = item.detach().cpu().numpy()
        h.update(f"{array.dtype}{array.shape}".encode())
        h.update(np.ascontiguousarray(array).tobytes())
    elif isinstance(item, np.ndarray):
        h.update(f"{item.dtype}{item.shape}".encode())
        h.update(np.ascontiguousarray(item).tobytes())
    else:
        h.update(repr(item).encode())


def _item_schema(item: Any) -> list[dict[str, str]]:
    if isinstance(item, Mapping):
        return [{"name": str(k), "type": _value_type(v)} for k, v in item.items()]
    return [{"name": "item", "type": _value_type(item)}]


def _value_type(value: Any) -> str:
    dtype = getattr(value, "dtype", None)
    if dtype is not None:
        return f"{dtype}{list(getattr(value, 'shape', ()))}"
    return type(value).__name__
