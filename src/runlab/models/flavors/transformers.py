"""The Hugging Face transformers flavour: a pipeline, or a model with its tokenizer.

The folder holds the model's ``save_pretrained`` output in ``model/`` and each component
(tokenizer, feature extractor, image processor) in ``components/<name>/``, with MLflow's
MLmodel keys (``task``, ``instance_type``, ``pipeline_model_type``, ``components``,
``tokenizer_type``...), so the pipeline is rebuilt from local files only: loading never
reaches the hub. ``runlab.pyfunc`` runs the pipeline (see ``_transformers_pyfunc``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from runlab.errors import InvalidInputError
from runlab.models import _flavor
from runlab.models._flavor import Written, save_model_dir
from runlab.models.flavors import _transformers_pyfunc as _pyfunc
from runlab.models.model import Model, ModelInfo
from runlab.models.signature import ModelSignature

__all__ = ["FLAVOR_NAME", "load_model", "log_model", "save_model"]

FLAVOR_NAME = "transformers"
LOADER_MODULE = "runlab.transformers"
MODEL_DIR = "model"
COMPONENTS_DIR = "components"
# Pipeline components, each with the Auto class that reads a saved one of unknown type.
COMPONENTS = {
    "tokenizer": "AutoTokenizer",
    "feature_extractor": "AutoFeatureExtractor",
    "image_processor": "AutoImageProcessor",
}
DEFAULT_REQUIREMENTS = ("runlab", "transformers", "torch", "numpy", "pandas")
RETURN_TYPES = ("pipeline", "components")


def save_model(
    transformers_model: Any,
    path: str | os.PathLike[str],
    task: str | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    code_paths: Sequence[str | os.PathLike[str]] | None = None,
    model_config: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    mlflow_model: Model | None = None,
) -> Model:
    """Save a ``transformers.Pipeline``, or a dict ``{"model": ..., "tokenizer": ...}``
    (with ``task``, e.g. ``"text-classification"``), at ``path`` (a new or empty folder).

    ``model_config`` holds default keyword arguments of the pipeline call at prediction
    time (``{"top_k": 2}``, ``{"max_new_tokens": 20}``). Without a ``signature``, one is
    inferred from ``input_example`` and the pipeline's output on it, or, for text
    tasks, the task's usual one is used.
    """
    pipeline = _as_pipeline(transformers_model, task)

    def write(model_dir: str) -> Written:
        import transformers

        model = pipeline.model
        model.save_pretrained(os.path.join(model_dir, MODEL_DIR))
        flavor: dict[str, Any] = {
            "task": pipeline.task,
            "instance_type": type(pipeline).__name__,
            "pipeline_model_type": type(model).__name__,
            "source_model_name": str(getattr(model, "name_or_path", "") or ""),
            "model_binary": MODEL_DIR,
            "transformers_version": str(transformers.__version__),
        }
        names = []
        for name in COMPONENTS:
            component = getattr(pipeline, name, None)
            if component is not None:
                component.save_pretrained(os.path.join(model_dir, COMPONENTS_DIR, name))
                flavor[f"{name}_type"] = type(component).__name__
                names.append(name)
        flavor["components"] = names
        pyfunc = {"model_config": dict(model_config)} if model_config else {}
        predictor = _pyfunc.Predictor(pipeline, model_config)
        return Written(flavor=flavor, pyfunc=pyfunc, predict=predictor.predict)

    if signature is None and input_example is None:
        signature = _pyfunc.default_signature(str(pipeline.task))
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
    )


def _as_pipeline(value: Any, task: str | None) -> Any:
    import transformers

    if isinstance(value, transformers.Pipeline):
        if task is not None and task != value.task:
            raise InvalidInputError(
                f"task {task!r} differs from the pipeline's own task {value.task!r}"
            )
        return value
    if not isinstance(value, dict):
        raise InvalidInputError(
            f"transformers_model must be a transformers.Pipeline or a dict of components "
            f"({{'model': ..., 'tokenizer': ...}}), got {type(value).__name__}"
        )
    unknown = sorted(set(value) - {"model", *COMPONENTS})
    if unknown:
        raise InvalidInputError(
            f"transformers_model: unknown component(s) {unknown}; the keys are 'model' and "
            f"{', '.join(repr(c) for c in COMPONENTS)}"
        )
    if not isinstance(value.get("model"), transformers.PreTrainedModel):
        raise InvalidInputError(
            "transformers_model['model'] must be a transformers.PreTrainedModel, got "
            f"{type(value.get('model')).__name__}"
        )
    if not task:
        raise InvalidInputError(
            "task is required with a dict of components (e.g. task='text-classification')"
        )
    try:
        return transformers.pipeline(task=task, **value)
    except (KeyError, ValueError) as exc:
        raise InvalidInputError(f"task {task!r}: no pipeline was built: {exc}") from None


def log_model(
    transformers_model: Any,
    artifact_path: str | None = None,
    task: str | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    registered_model_name: str | None = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    code_paths: Sequence[str | os.PathLike[str]] | None = None,
    model_config: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    *,
    name: str | None = None,
    await_registration_for: int | None = 300,
    params: dict[str, Any] | None = None,
    tags: dict[str, Any] | None = None,
    model_type: str | None = None,
    step: int = 0,
    model_id: str | None = None,
) -> ModelInfo:
    """Save a pipeline (or model and tokenizer) into the active run's artifacts at
    ``artifact_path`` (or ``name``; default ``model``); see :func:`save_model`."""
    return _flavor.log_with(save_model, locals())


def load_model(
    model_uri: str | os.PathLike[str],
    dst_path: str | None = None,
    return_type: str = "pipeline",
    device: Any = None,
    **kwargs: Any,
) -> Any:
    """The pipeline saved at ``model_uri`` (``return_type="components"``: a dict with
    ``task``, ``model``, ``tokenizer``...). ``device`` and ``kwargs`` go to
    ``transformers.pipeline``."""
    if return_type not in RETURN_TYPES:
        raise InvalidInputError(
            f"return_type {return_type!r} is not supported (one of: {', '.join(RETURN_TYPES)})"
        )
    local, _meta, conf = _flavor.open_flavor(model_uri, FLAVOR_NAME, dst_path)
    parts = load_components(local, conf)
    if return_type == "components":
        return parts
    return build_pipeline(parts, device, **kwargs)


def load_components(model_dir: str, conf: dict[str, Any]) -> dict[str, Any]:
    """The task, model and components saved in ``model_dir``, read from local files."""
    import transformers

    binary = conf.get("model_binary")
    if not binary:
        raise InvalidInputError(
            "this transformers model references hub weights (it was saved without "
            "save_pretrained); runlab loads only models whose weights are in the folder"
        )
    model_cls = _transformers_class(
        str(conf.get("pipeline_model_type")), transformers.PreTrainedModel, "pipeline_model_type"
    )
    parts: dict[str, Any] = {
        "task": conf.get("task"),
        "model": model_cls.from_pretrained(os.path.join(model_dir, str(binary))),
    }
    for name in conf.get("components") or []:
        if name not in COMPONENTS:
            raise InvalidInputError(f"components: {name!r} is not a pipeline component")
        folder = os.path.join(model_dir, COMPONENTS_DIR, name)
        kind = str(conf.get(f"{name}_type") or "")
        cls = getattr(transformers, kind, None) or getattr(transformers, COMPONENTS[name])
        parts[name] = cls.from_pretrained(folder)
    return parts


def build_pipeline(parts: dict[str, Any], device: Any = None, **kwargs: Any) -> Any:
    import transformers

    if device is not None:
        kwargs["device"] = device
    return transformers.pipeline(**parts, **kwargs)


def _transformers_class(name: str, base: type, field: str) -> Any:
    import transformers

    cls = getattr(transformers, name, None)
    if not isinstance(cls, type) or not issubclass(cls, base):
        raise InvalidInputError(f"{field} {name!r} is not a transformers {base.__name__} class")
    return cls


def _load_pyfunc(path: str) -> _pyfunc.Predictor:
    model_dir = path if os.path.isfile(os.path.join(path, "MLmodel")) else os.path.dirname(path)
    meta = Model.load(model_dir)
    conf = meta.flavors.get(FLAVOR_NAME) or {}
    pipeline = build_pipeline(load_components(model_dir, conf))
    return _pyfunc.Predictor(pipeline, meta.flavors.get("python_function", {}).get("model_config"))
