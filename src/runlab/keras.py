"""Save, log and load Keras 3 models (``runlab.keras``, like ``mlflow.keras``).

::

    info = runlab.keras.log_model(net, name="model", input_example=X[:5])
    net = runlab.keras.load_model(info.model_uri)

    runlab.keras.autolog()   # or runlab.autolog() for every framework
"""

from __future__ import annotations

from runlab.autolog.integrations.keras import autolog
from runlab.models.flavors.keras import (
    FLAVOR_NAME,
    _load_pyfunc,
    load_model,
    log_model,
    save_model,
)

__all__ = ["FLAVOR_NAME", "_load_pyfunc", "autolog", "load_model", "log_model", "save_model"]
