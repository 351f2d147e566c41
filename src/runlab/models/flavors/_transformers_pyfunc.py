"""``runlab.pyfunc`` for transformers pipelines: text in, the task's usual answer out.

Input: a string, a list of strings, a one-column DataFrame (or one with a ``text`` or
``inputs`` column), a Series, or ``{"text": [...]}``. Output, by task:

=================================================  ===========================================
text-classification, sentiment-analysis            DataFrame with ``label`` and ``score``
text-generation, text2text-generation,             list of generated strings, one per input
summarization, translation*
fill-mask                                          list of the top token per input
feature-extraction                                 list of arrays, one per input
other tasks                                        the pipeline's own output
=================================================  ===========================================

The pipeline call gets the model's ``model_config`` as keyword arguments, updated by the
``params`` of the call.
"""

from __future__ import annotations

from typing import Any

from runlab.errors import InvalidInputError
from runlab.models.signature import ColSpec, DataType, ModelSignature, Schema

CLASSIFICATION = ("text-classification", "sentiment-analysis")
GENERATED_KEYS = {
    "text-generation": "generated_text",
    "text2text-generation": "generated_text",
    "summarization": "summary_text",
}
TEXT_COLUMNS = ("text", "inputs")


def default_signature(task: str) -> ModelSignature | None:
    """The usual signature of a text task (None for other tasks)."""
    text = Schema([ColSpec(DataType.string)])
    if task in CLASSIFICATION:
        outputs = Schema([ColSpec(DataType.string, "label"), ColSpec(DataType.double, "score")])
        return ModelSignature(text, outputs)
    if task in GENERATED_KEYS or task.startswith("translation") or task == "fill-mask":
        return ModelSignature(text, Schema([ColSpec(DataType.string)]))
    return None


def texts(data: Any) -> list[Any]:
    """The input strings of ``data`` (see the module doc for the forms accepted)."""
    import numpy as np
    import pandas as pd

    if isinstance(data, str):
        return [data]
    if isinstance(data, pd.DataFrame):
        if data.shape[1] == 1:
            return list(data.iloc[:, 0].tolist())
        for column in TEXT_COLUMNS:
            if column in data.columns:
                return list(data[column].tolist())
        raise InvalidInputError(
            f"a transformers model takes one text column (or a column named 'text' or "
            f"'inputs'); the input has columns {list(data.columns)}"
        )
    if isinstance(data, pd.Series):
        return list(data.tolist())
    if isinstance(data, dict):
        for column in TEXT_COLUMNS:
            if column in data:
                return texts(data[column])
        raise InvalidInputError(
            f"a transformers model takes {{'text': [...]}} or {{'inputs': [...]}}; the input "
            f"has keys {sorted(data)}"
        )
    if isinstance(data, np.ndarray):
        return list(data.reshape(-1).tolist())
    if isinstance(data, (list, tuple)):
        return list(data)
    raise InvalidInputError(
        f"a transformers model takes text (a string, a list of strings or a DataFrame); "
        f"got {type(data).__name__}"
    )


class Predictor:
    def __init__(self, pipeline: Any, model_config: dict[str, Any] | None = None) -> None:
        self.raw_model = pipeline
        self.model_config = dict(model_config or {})

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        inputs = texts(data)
        out = self.raw_model(inputs, **{**self.model_config, **(params or {})})
        return _format(str(self.raw_model.task), out)


def _first(item: Any) -> Any:
    # A pipeline answers one input with a dict, or with a list of candidates.
    return item[0] if isinstance(item, list) and item else item


def _format(task: str, out: Any) -> Any:
    import numpy as np
    import pandas as pd

    if task in CLASSIFICATION:
        rows, index = [], []
        for i, item in enumerate(out):
            for row in item if isinstance(item, list) else [item]:
                rows.append({"label": row["label"], "score": float(row["score"])})
                index.append(i)
        frame = pd.DataFrame(rows, columns=["label", "score"], index=index)
        return frame.reset_index(drop=True) if len(rows) == len(out) else frame
    key = GENERATED_KEYS.get(task) or (
        "translation_text" if task.startswith("translation") else None
    )
    if key is not None:
        return [_first(item)[key] for item in out]
    if task == "fill-mask":
        return [_first(item)["token_str"] for item in out]
    if task == "feature-extraction":
        return [np.asarray(item) for item in out]
    return out
