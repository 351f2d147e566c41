"""Save, log and load PyTorch modules (``runlab.pytorch``, like ``mlflow.pytorch``).

::

    info = runlab.pytorch.log_model(net, name="model", input_example=x[:4].numpy())
    net = runlab.pytorch.load_model(info.model_uri)

    runlab.pytorch.autolog()   # Lightning's Trainer.fit and TensorBoard's SummaryWriter
"""

from __future__ import annotations

from runlab.autolog.integrations.pytorch import autolog
from runlab.models.flavors.pytorch import (
    FLAVOR_NAME,
    _load_pyfunc,
    load_model,
    log_model,
    save_model,
)

__all__ = ["FLAVOR_NAME", "_load_pyfunc", "autolog", "load_model", "log_model", "save_model"]
