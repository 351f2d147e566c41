"""Load any model and call ``predict``; save custom Python models (like ``mlflow.pyfunc``).

::

    model = runlab.pyfunc.load_model("runs:/<run_id>/model")
    model.predict(frame)
"""

from __future__ import annotations

from runlab.models.flavors.pyfunc import (
    PyFuncModel,
    PythonModel,
    PythonModelContext,
    _load_pyfunc,
    load_model,
    log_model,
    save_model,
)

__all__ = [
    "PyFuncModel",
    "PythonModel",
    "PythonModelContext",
    "_load_pyfunc",
    "load_model",
    "log_model",
    "save_model",
]
