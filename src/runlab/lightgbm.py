"""Save, log and load LightGBM models (``runlab.lightgbm``, like ``mlflow.lightgbm``).

::

    info = runlab.lightgbm.log_model(booster, name="model", input_example=X[:5])
    booster = runlab.lightgbm.load_model(info.model_uri)

    runlab.lightgbm.autolog()   # or runlab.autolog() for every framework
"""

from __future__ import annotations

from runlab.autolog.integrations.lightgbm import autolog
from runlab.models.flavors.lightgbm import (
    FLAVOR_NAME,
    _load_pyfunc,
    load_model,
    log_model,
    save_model,
)

__all__ = ["FLAVOR_NAME", "_load_pyfunc", "autolog", "load_model", "log_model", "save_model"]
