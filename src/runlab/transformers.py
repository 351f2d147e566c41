"""Save, log and load Hugging Face transformers pipelines (``runlab.transformers``, like
``mlflow.transformers``).

::

    info = runlab.transformers.log_model(pipe, name="model", input_example=["a text"])
    pipe = runlab.transformers.load_model(info.model_uri)

    runlab.transformers.autolog()   # or runlab.autolog(): Trainer.train is recorded
"""

from __future__ import annotations

from runlab.autolog.integrations.transformers import autolog
from runlab.models.flavors.transformers import (
    FLAVOR_NAME,
    _load_pyfunc,
    load_model,
    log_model,
    save_model,
)

__all__ = ["FLAVOR_NAME", "_load_pyfunc", "autolog", "load_model", "log_model", "save_model"]
