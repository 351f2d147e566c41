"""Load any model and call ``predict``; save custom Python models (like ``mlflow.pyfunc``).

::

    model = runlab.pyfunc.load_model("runs:/<run_id>/model")
    model.predict(frame)
"""

from __future__ import annotations

from runlab.models.flavors._pyfunc_tools import (
    add_to_model,
    get_default_pip_requirements,
    get_model_dependencies,
    load_pyfunc,
    update_signature_for_type_hint_from_example,
)
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
    "add_to_model",
    "get_default_pip_requirements",
    "get_model_dependencies",
    "load_model",
    "load_pyfunc",
    "log_model",
    "save_model",
    "update_signature_for_type_hint_from_example",
]
