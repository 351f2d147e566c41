"""Save, log and load XGBoost models (``runlab.xgboost``, like ``mlflow.xgboost``).

::

    info = runlab.xgboost.log_model(booster, name="model", input_example=X[:5])
    booster = runlab.xgboost.load_model(info.model_uri)

    runlab.xgboost.autolog()   # or runlab.autolog() for every framework
"""

from __future__ import annotations

from runlab.autolog.integrations.xgboost import autolog
from runlab.models.flavors.xgboost import (
    FLAVOR_NAME,
    _load_pyfunc,
    load_model,
    log_model,
    save_model,
)

__all__ = ["FLAVOR_NAME", "_load_pyfunc", "autolog", "load_model", "log_model", "save_model"]
