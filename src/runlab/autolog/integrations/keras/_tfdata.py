"""A ``tf.data.Dataset`` given to ``fit`` as a run input.

The digest covers the element spec, the cardinality and the bytes of the first
``MAX_BATCHES`` elements (a dataset iterates again from its start; one that shuffles
without a seed gives another digest each time). The schema is the element spec.
TensorFlow is looked up in ``sys.modules``: a script passing a tf.data dataset has
already imported it.
"""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Any

__all__ = ["MAX_BATCHES", "is_tf_dataset", "tf_dataset"]

MAX_BATCHES = 10


def is_tf_dataset(value: Any) -> bool:
    tf = sys.modules.get("tensorflow")
    data = getattr(tf, "data", None)
    return data is not None and isinstance(value, data.Dataset)


def tf_dataset(value: Any, source: str) -> Any:
    import numpy as np

    from runlab import data

    tf = sys.modules["tensorflow"]
    specs = [
        {"name": "/".join(str(p) for p in path) or "x", "shape": _shape(s), "dtype": s.dtype.name}
        for path, s in _flat(tf, value.element_spec)
    ]
    cardinality = int(value.cardinality())
    h = hashlib.sha256(json.dumps([specs, cardinality]).encode())
    for element in value.take(MAX_BATCHES):
        for tensor in tf.nest.flatten(element):
            h.update(np.ascontiguousarray(tensor.numpy()).tobytes())
    profile: dict[str, Any] = {"element_spec": specs}
    if cardinality >= 0:  # -1 infinite, -2 unknown
        profile["num_batches"] = cardinality
    return data.dataset(
        name="dataset",
        source=source,
        digest=h.hexdigest()[:8],
        source_type="local",
        schema=json.dumps(specs),
        profile=profile,
    )


def _flat(tf: Any, spec: Any) -> list[tuple[tuple[Any, ...], Any]]:
    import keras

    return list(keras.tree.flatten_with_path(spec))


def _shape(spec: Any) -> list[int]:
    return [-1 if d is None else int(d) for d in spec.shape.as_list()]
