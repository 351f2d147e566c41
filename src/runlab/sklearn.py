"""Save, log and load scikit-learn models (``runlab.sklearn``, like ``mlflow.sklearn``).

::

    info = runlab.sklearn.log_model(pipeline, name="model", input_example=X[:5])
    model = runlab.sklearn.load_model(info.model_uri)

    runlab.sklearn.autolog()   # or runlab.autolog() for every framework
"""

from __future__ import annotations

from runlab.autolog.integrations.sklearn import autolog
from runlab.models.flavors.sklearn import (
    FLAVOR_NAME,
    _load_pyfunc,
    get_default_pip_requirements,
    load_model,
    log_model,
    save_model,
)

__all__ = [
    "FLAVOR_NAME",
    "_load_pyfunc",
    "autolog",
    "get_default_pip_requirements",
    "load_model",
    "log_model",
    "save_model",
]
