"""The PyTorch flavour: a whole ``torch.nn.Module``, saved with torch.save and cloudpickle.

The module object is stored, not only its ``state_dict``, so loading needs no code
from the caller; classes defined outside installed packages are stored by value (see
:mod:`runlab.models._pickling`) or travel as ``code_paths``. With ``export_model=True``
(or ``serialization_format="pt2"``) the module is traced by ``torch.export`` on the
input example instead, and loads without its Python classes. ``runlab.pyfunc``
predicts under ``torch.no_grad()`` in eval mode, turning DataFrames and arrays into
tensors of the model's parameter dtype, and returns numpy arrays.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from types import ModuleType
from typing import Any, cast

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
EXPORTED_FILE = "model.pt2"
SERIALIZATION_FORMATS = ("pickle", "pt2")
DEFAULT_REQUIREMENTS = ("runlab", "torch", "cloudpickle", "numpy", "pandas")


def get_default_pip_requirements() -> list[str]:
    """The pins a PyTorch model needs in this environment."""
    from runlab.models.requirements import pin

    return pin(["torch", "cloudpickle"])


def _serialization(export_model: bool, serialization_format: str | None) -> str:
    if serialization_format is None:
        return "pt2" if export_model else "pickle"
    if serialization_format not in SERIALIZATION_FORMATS:
        raise InvalidInputError(
            f"serialization_format {serialization_format!r} is not supported "
            f"(one of: {', '.join(SERIALIZATION_FORMATS)})"
        )
    if export_model and serialization_format != "pt2":
        raise InvalidInputError(
            "export_model=True writes the 'pt2' format; serialization_format="
            f"{serialization_format!r} contradicts it"
        )
    return serialization_format


def _pickle_module(value: ModuleType | None) -> ModuleType:
    import cloudpickle

    if value is None:
        return cast(ModuleType, cloudpickle)
    if not isinstance(value, ModuleType) or not callable(getattr(value, "dump", None)):
        raise InvalidInputError(
            f"pickle_module: must be a module with dump and load (pickle, cloudpickle), "
            f"got {value!r}"
        )
    return value


def save_model(
    pytorch_model: Any,
    path: str | os.PathLike[str],
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    code_paths: Sequence[str | os.PathLike[str]] | None = None,
    metadata: dict[str, Any] | None = None,
    mlflow_model: Model | None = None,
    pickle_module: ModuleType | None = None,
    extra_files: Sequence[str | os.PathLike[str]] | None = None,
    export_model: bool = False,
    serialization_format: str | None = None,
) -> Model:
    """Save ``pytorch_model`` (a ``torch.nn.Module``) at ``path`` (a new or empty folder).

    Without a ``signature``, one is inferred from ``input_example`` (an array, tensor or
    DataFrame) and the model's output on it. ``pickle_module`` (default cloudpickle) is
    what ``torch.save`` pickles with, and loading unpickles with the same module.
    ``export_model=True`` (``serialization_format="pt2"``) saves the program
    ``torch.export`` traces from the input example, with a dynamic first dimension.
    ``extra_files`` are copied into ``extra_files/``.
    """
    import torch

    from runlab.models import _pickling

    if not isinstance(pytorch_model, torch.nn.Module):
        raise InvalidInputError(
            f"pytorch_model must be a torch.nn.Module, got {type(pytorch_model).__name__}"
        )
    if isinstance(pytorch_model, torch.jit.ScriptModule):
        raise InvalidInputError("TorchScript modules are not supported yet: save the nn.Module")

    fmt = _serialization(export_model, serialization_format)
    pickler = _pickle_module(pickle_module)
    if fmt == "pt2" and input_example is None:
        raise InvalidInputError(
            "export_model / serialization_format='pt2' needs an input_example to trace the "
            "module with"
        )

    def write(model_dir: str) -> Written:
        os.makedirs(os.path.join(model_dir, DATA_DIR))
        conf: dict[str, Any] = {
            "model_data": DATA_DIR,
            "pytorch_version": str(torch.__version__),
            "serialization_format": fmt,
        }
        if fmt == "pt2":
            _export(pytorch_model, input_example, os.path.join(model_dir, DATA_DIR, EXPORTED_FILE))
        else:
            classes = [type(m) for m in pytorch_model.modules()]
            with _pickling.by_value(_pickling.user_modules(classes, code_paths)):
                torch.save(
                    pytorch_model,
                    os.path.join(model_dir, DATA_DIR, MODEL_FILE),
                    pickle_module=pickler,
                )
            conf["pickle_module_name"] = pickler.__name__
        return Written(
            flavor=conf,
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
        mlflow_model=mlflow_model,
        extra_files=extra_files,
    )


def _export(module: Any, example: Any, target: str) -> None:
    import torch

    from runlab.models._enforce import _is_scalar

    predictor = _Predictor(module)
    if isinstance(example, dict) and not any(_is_scalar(v) for v in example.values()):
        kwargs = {k: predictor._tensor(v) for k, v in example.items()}
        args: tuple[Any, ...] = ()
        dims: Any = {k: {0: torch.export.Dim.AUTO} for k in kwargs}
    else:
        args, kwargs = (predictor._tensor(example),), {}
        dims = ({0: torch.export.Dim.AUTO},)
    was_training = module.training
    module.eval()
    try:
        program = torch.export.export(module, args, kwargs, dynamic_shapes=dims)
    except Exception as exc:
        raise InvalidInputError(
            f"export_model: torch.export could not trace the module on the input example "
            f"({type(exc).__name__}: {exc})"
        ) from None
    finally:
        module.train(was_training)
    torch.export.save(program, target)


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
    await_registration_for: int | None = 300,
    pickle_module: ModuleType | None = None,
    extra_files: Sequence[str | os.PathLike[str]] | None = None,
    export_model: bool = False,
    serialization_format: str | None = None,
    params: dict[str, Any] | None = None,
    tags: dict[str, Any] | None = None,
    model_type: str | None = None,
    step: int = 0,
    model_id: str | None = None,
) -> ModelInfo:
    """Save ``pytorch_model`` into the active run's artifacts at ``artifact_path`` (or
    ``name``; default ``model``) and into a logged model (see
    :func:`runlab.sklearn.log_model` for ``params``, ``tags``, ``model_type`` and
    ``model_id``), and return its :class:`ModelInfo`."""
    return _flavor.log_with(save_model, locals())


def load_model(
    model_uri: str | os.PathLike[str], dst_path: str | None = None, map_location: Any = "cpu"
) -> Any:
    """The ``torch.nn.Module`` saved at ``model_uri``, on ``map_location`` (CPU by default)."""
    local, _meta, conf = _flavor.open_flavor(model_uri, FLAVOR_NAME, dst_path)
    return _load_module(os.path.join(local, conf.get("model_data", DATA_DIR)), map_location, conf)


def _load_module(
    data_dir: str, map_location: Any = "cpu", conf: dict[str, Any] | None = None
) -> Any:
    import torch

    conf = conf if conf is not None else _flavor_conf(data_dir)
    if conf.get("serialization_format") == "pt2":
        return torch.export.load(os.path.join(data_dir, EXPORTED_FILE)).module()
    name = str(conf.get("pickle_module_name") or "cloudpickle")
    try:
        pickler = importlib.import_module(name)
    except ImportError:
        raise InvalidInputError(
            f"this model was pickled with {name!r}, which cannot be imported here"
        ) from None
    if not hasattr(pickler, "Unpickler"):  # cloudpickle writes what pickle reads
        import pickle as pickler
    # The file holds a pickled module object, which only full unpickling can restore.
    return torch.load(
        os.path.join(data_dir, MODEL_FILE),
        map_location=map_location,
        weights_only=False,
        pickle_module=pickler,
    )


def _flavor_conf(data_dir: str) -> dict[str, Any]:
    """The pytorch entry of the MLmodel beside ``data_dir`` (empty for an older layout)."""
    parent = os.path.dirname(os.path.abspath(data_dir))
    try:
        return dict(Model.load(parent).flavors.get(FLAVOR_NAME) or {})
    except Exception:
        return {}


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
        exported = isinstance(module, torch.fx.GraphModule)  # torch.export's: no eval()
        if not exported:
            module.eval()
        try:
            with torch.no_grad():
                if isinstance(data, dict):
                    out = module(**{k: self._tensor(v) for k, v in data.items()})
                else:
                    out = module(self._tensor(data))
        finally:
            if not exported:
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
