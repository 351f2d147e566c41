"""The PyTorch flavour: a whole ``torch.nn.Module``, saved with torch.save and cloudpickle.

The module object is stored, not only its ``state_dict``, so loading needs no code
from the caller; classes defined outside installed packages are stored by value (see
:mod:`runlab.models._pickling`) or travel as ``code_paths``. ``runlab.pyfunc``
predicts under ``torch.no_grad()`` in eval mode, turning DataFrames and arrays into
tensors of the model's parameter dtype, and returns numpy arrays.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from runlab.errors import InvalidInputError
from runlab.models import _flavor
from runlab.models._flavor import Written, save_model_dir
from runlab.models.model import Model, ModelInfo
from runlab.models.signature import ModelSignature

__all__ = ["FLAVOR_NAME", "load_model", "log_model", "save_model"]

FLAVOR_NAME = "pytorch"
LOADER_MODULE = "runlab.pytorch"
DATA_DIR = "data"
MODEL_FILE = "model.pth"
DEFAULT_REQUIREMENTS = ("runlab", "torch", "cloudpickle", "numpy", "pandas")


def save_model(
    pytorch_model: Any,
    path: str | os.PathLike[str],
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    code_paths: Sequence[str | os.PathLike[str]] | None = None,
    metadata: dict[str, Any] | None = None,
) -> Model:
    """Save ``pytorch_model`` (a ``torch.nn.Module``) at ``path`` (a new or empty folder).

    Without a ``signature``, one is inferred from ``input_example`` (an array, tensor or
    DataFrame) and the model's output on it.
    """
    import cloudpickle
    import torch

    from runlab.models import _pickling

    if not isinstance(pytorch_model, torch.nn.Module):
        raise InvalidInputError(
            f"pytorch_model must be a torch.nn.Module, got {type(pytorch_model).__name__}"
        )
    if isinstance(pytorch_model, torch.jit.ScriptModule):
        raise InvalidInputError("TorchScript modules are not supported yet: save the nn.Module")

    def write(model_dir: str) -> Written:
        os.makedirs(os.path.join(model_dir, DATA_DIR))
        classes = [type(m) for m in pytorch_model.modules()]
        with _pickling.by_value(_pickling.user_modules(classes, code_paths)):
            torch.save(
                pytorch_model,
                os.path.join(model_dir, DATA_DIR, MODEL_FILE),
                pickle_module=cloudpickle,
            )
        return Written(
            flavor={"model_data": DATA_DIR, "pytorch_version": str(torch.__version__)},
            pyfunc={"data": DATA_DIR},
            predict=_Predictor(pytorch_model).predict,
        )

    return save_model_dir(
        path,
        write,
        flavor=FLAVOR_NAME,
        loader_module=LOADER_MODULE,
        default_requirements=DEFAULT_REQUIREMENTS,
        code_paths=code_paths,
        signature=signature,
        input_example=input_example,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
    )


def log_model(
    pytorch_model: Any,
    artifact_path: str | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    registered_model_name: str | None = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    code_paths: Sequence[str | os.PathLike[str]] | None = None,
    metadata: dict[str, Any] | None = None,
    *,
    name: str | None = None,
) -> ModelInfo:
    """Save ``pytorch_model`` into the active run's artifacts at ``artifact_path`` (or
    ``name``; default ``model``) and return its :class:`ModelInfo`."""
    return _flavor.log_model(
        lambda path: save_model(
            pytorch_model,
            path,
            signature=signature,
            input_example=input_example,
            pip_requirements=pip_requirements,
            extra_pip_requirements=extra_pip_requirements,
            code_paths=code_paths,
            metadata=metadata,
        ),
        artifact_path=artifact_path,
        name=name,
        registered_model_name=registered_model_name,
    )


def load_model(
    model_uri: str | os.PathLike[str], dst_path: str | None = None, map_location: Any = "cpu"
) -> Any:
    """The ``torch.nn.Module`` saved at ``model_uri``, on ``map_location`` (CPU by default)."""
    local, _meta, conf = _flavor.open_flavor(model_uri, FLAVOR_NAME, dst_path)
    return _load_module(os.path.join(local, conf.get("model_data", DATA_DIR)), map_location)


def _load_module(data_dir: str, map_location: Any = "cpu") -> Any:
    import torch

    # The file holds a pickled module object, which only full unpickling can restore.
    return torch.load(
        os.path.join(data_dir, MODEL_FILE), map_location=map_location, weights_only=False
    )


class _Predictor:
    def __init__(self, module: Any) -> None:
        self.raw_model = module

    def _dtype(self) -> Any:
        for p in self.raw_model.parameters():
            return p.dtype
        return None

    def _tensor(self, value: Any) -> Any:
        import numpy as np
        import pandas as pd
        import torch

        if isinstance(value, torch.Tensor):
            tensor = value
        else:
            if isinstance(value, (pd.DataFrame, pd.Series)):
                value = value.to_numpy()
            arr = np.asarray(value)
            if arr.dtype.kind not in "biuf":
                raise InvalidInputError(
                    f"pytorch models take numeric input; got values of dtype {arr.dtype}"
                )
            arr = np.ascontiguousarray(arr)
            if not arr.flags.writeable:  # torch shares memory and warns on read-only arrays
                arr = arr.copy()
            tensor = torch.from_numpy(arr)
        dtype = self._dtype()
        if dtype is not None and tensor.is_floating_point() and tensor.dtype != dtype:
            tensor = tensor.to(dtype)
        return tensor

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        import torch

        module = self.raw_model
        was_training = module.training
        module.eval()
        try:
            with torch.no_grad():
                if isinstance(data, dict):
                    out = module(**{k: self._tensor(v) for k, v in data.items()})
                else:
                    out = module(self._tensor(data))
        finally:
            module.train(was_training)
        return _to_numpy(out)


def _to_numpy(out: Any) -> Any:
    if hasattr(out, "detach"):
        return out.detach().cpu().numpy()
    if isinstance(out, dict):
        return {k: _to_numpy(v) for k, v in out.items()}
    if isinstance(out, (list, tuple)):
        return [_to_numpy(v) for v in out]
    return out


def _load_pyfunc(path: str) -> _Predictor:
    return _Predictor(_load_module(path))
