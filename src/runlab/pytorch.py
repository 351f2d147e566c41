"""Save, log and load PyTorch modules (``runlab.pytorch``, like ``mlflow.pytorch``).

::

    info = runlab.pytorch.log_model(net, name="model", input_example=x[:4].numpy())
    net = runlab.pytorch.load_model(info.model_uri)

    runlab.pytorch.autolog()   # Lightning's Trainer.fit and TensorBoard's SummaryWriter
"""

from __future__ import annotations

from typing import Any

from runlab.autolog.integrations.pytorch import autolog
from runlab.autolog.integrations.pytorch._checkpoints import load_checkpoint
from runlab.models.flavors.pytorch import (
    FLAVOR_NAME,
    _load_pyfunc,
    get_default_pip_requirements,
    load_model,
    log_model,
    save_model,
)

__all__ = [
    "FLAVOR_NAME",
    "MlflowModelCheckpointCallback",  # noqa: F822 (built by __getattr__ on first use)
    "_load_pyfunc",
    "autolog",
    "get_default_pip_requirements",
    "load_checkpoint",
    "load_model",
    "log_model",
    "save_model",
]


def __getattr__(name: str) -> Any:
    # The callback subclasses Lightning's Callback: built (importing Lightning) on first use.
    if name == "MlflowModelCheckpointCallback":
        from runlab.autolog.integrations.pytorch._checkpoints import checkpoint_callback_class

        return checkpoint_callback_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
