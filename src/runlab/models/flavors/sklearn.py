"""The scikit-learn flavour: any estimator or pipeline, pickled with cloudpickle (or
pickle), or written with skops, whose loader only rebuilds the types it trusts."""

from __future__ import annotations

import os
import pickle
from collections.abc import Sequence
from typing import Any

from runlab.errors import InvalidInputError
from runlab.models import _flavor
from runlab.models._flavor import Written, save_model_dir
from runlab.models.model import PYFUNC, Model, ModelInfo
from runlab.models.signature import ModelSignature

__all__ = ["FLAVOR_NAME", "load_model", "log_model", "save_model"]

FLAVOR_NAME = "sklearn"
LOADER_MODULE = "runlab.sklearn"
MODEL_FILE = "model.pkl"
SKOPS_FILE = "model.skops"
SERIALIZATION_FORMATS = ("cloudpickle", "pickle", "skops")
DEFAULT_REQUIREMENTS = ("runlab", "scikit-learn", "numpy", "pandas", "scipy")


def get_default_pip_requirements(
    include_cloudpickle: bool = False, include_skops: bool = False
) -> list[str]:
    """The pins a scikit-learn model needs in this environment (``cloudpickle`` and
    ``skops`` when asked for, as the serialization formats need them)."""
    from runlab.models.requirements import pin

    names = ["scikit-learn"]
    if include_cloudpickle:
        names.append("cloudpickle")
    if include_skops:
        names.append("skops")
    return pin(names)


def save_model(
    sk_model: Any,
    path: str | os.PathLike[str],
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    code_paths: Sequence[str | os.PathLike[str]] | None = None,
    serialization_format: str = "cloudpickle",
    pyfunc_predict_fn: str = "predict",
    metadata: dict[str, Any] | None = None,
    mlflow_model: Model | None = None,
    skops_trusted_types: Sequence[str] | None = None,
    extra_files: Sequence[str | os.PathLike[str]] | None = None,
) -> Model:
    """Save ``sk_model`` in the runlab model format at ``path`` (a new or empty folder).

    Without a ``signature``, one is inferred from ``input_example`` and the model's
    prediction on it. ``pyfunc_predict_fn`` names the method ``runlab.pyfunc`` calls
    (``predict``, ``predict_proba``, ``transform``...). ``serialization_format="skops"``
    writes a file that loading rebuilds without running pickled code; types beyond
    skops' defaults are loaded only when listed in ``skops_trusted_types`` (kept in the
    MLmodel). ``extra_files`` are copied into ``extra_files/``.
    """
    import sklearn

    from runlab.models import _pickling

    if serialization_format not in SERIALIZATION_FORMATS:
        raise InvalidInputError(
            f"serialization_format {serialization_format!r} is not supported "
            f"(one of: {', '.join(SERIALIZATION_FORMATS)})"
        )
    trusted = _trusted_types(skops_trusted_types, serialization_format)
    predict_fn = getattr(sk_model, pyfunc_predict_fn, None)
    if not callable(predict_fn):
        raise InvalidInputError(
            f"pyfunc_predict_fn: {type(sk_model).__name__} has no method {pyfunc_predict_fn!r}"
        )

    file = SKOPS_FILE if serialization_format == "skops" else MODEL_FILE

    def write(model_dir: str) -> Written:
        target = os.path.join(model_dir, file)
        if serialization_format == "cloudpickle":
            classes = _pickling.estimator_classes(sk_model)
            _pickling.dump(sk_model, target, classes, code_paths)
        elif serialization_format == "skops":
            import skops.io

            skops.io.dump(sk_model, target)
        else:
            with open(target, "wb") as f:
                pickle.dump(sk_model, f, protocol=pickle.DEFAULT_PROTOCOL)
        conf: dict[str, Any] = {
            "pickled_model": file,
            "sklearn_version": str(sklearn.__version__),
            "serialization_format": serialization_format,
        }
        if trusted:
            conf["skops_trusted_types"] = trusted
        return Written(
            flavor=conf,
            pyfunc={"model_path": file, "predict_fn": pyfunc_predict_fn},
            predict=predict_fn,
        )

    defaults = (*DEFAULT_REQUIREMENTS, *_FORMAT_REQUIREMENTS[serialization_format])
    return save_model_dir(
        path,
        write,
        flavor=FLAVOR_NAME,
        loader_module=LOADER_MODULE,
        default_requirements=defaults,
        code_paths=code_paths,
        signature=signature,
        input_example=input_example,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
        mlflow_model=mlflow_model,
        extra_files=extra_files,
    )


_FORMAT_REQUIREMENTS = {"cloudpickle": ("cloudpickle",), "pickle": (), "skops": ("skops",)}


def _trusted_types(value: Sequence[str] | None, serialization_format: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not all(isinstance(t, str) for t in value):
        raise InvalidInputError(
            "skops_trusted_types: must be a list of type names such as 'numpy.float64'"
        )
    if serialization_format != "skops":
        raise InvalidInputError(
            "skops_trusted_types: applies to serialization_format='skops' only, "
            f"not {serialization_format!r}"
        )
    return list(value)


def log_model(
    sk_model: Any,
    artifact_path: str | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    registered_model_name: str | None = None,
    pip_requirements: Any = None,
    extra_pip_requirements: Any = None,
    code_paths: Sequence[str | os.PathLike[str]] | None = None,
    serialization_format: str = "cloudpickle",
    pyfunc_predict_fn: str = "predict",
    metadata: dict[str, Any] | None = None,
    *,
    name: str | None = None,
    await_registration_for: int | None = 300,
    extra_files: Sequence[str | os.PathLike[str]] | None = None,
    skops_trusted_types: Sequence[str] | None = None,
    params: dict[str, Any] | None = None,
    tags: dict[str, Any] | None = None,
    model_type: str | None = None,
    step: int = 0,
    model_id: str | None = None,
) -> ModelInfo:
    """Save ``sk_model`` into the active run's artifacts at ``artifact_path`` (or ``name``,
    MLflow 3's spelling; default ``model``) and into a logged model, and return its
    :class:`ModelInfo`.

    Starts a run when none is active. The logged model gets ``params`` (and the run's),
    ``tags`` and ``model_type``; ``model_id`` names an existing one to fill instead.
    With ``registered_model_name``, the model is also registered under that name.
    """
    return _flavor.log_with(save_model, locals())


def load_model(model_uri: str | os.PathLike[str], dst_path: str | None = None) -> Any:
    """The scikit-learn estimator saved at ``model_uri`` (see runlab.pyfunc.load_model for
    the URIs accepted)."""
    local, _meta, conf = _flavor.open_flavor(model_uri, FLAVOR_NAME, dst_path)
    return _load_estimator(os.path.join(local, conf.get("pickled_model", MODEL_FILE)), conf)


def _load_estimator(path: str, conf: dict[str, Any]) -> Any:
    fmt = conf.get("serialization_format", "cloudpickle")
    if fmt not in SERIALIZATION_FORMATS:
        raise InvalidInputError(
            f"this model was serialized as {fmt!r}, which runlab cannot read "
            f"(it reads: {', '.join(SERIALIZATION_FORMATS)})"
        )
    if fmt == "skops":
        import skops.io
        from skops.io.exceptions import UntrustedTypesFoundException

        trusted = list(conf.get("skops_trusted_types") or [])
        try:
            return skops.io.load(path, trusted=trusted)
        except UntrustedTypesFoundException as exc:
            raise InvalidInputError(
                f"the skops file holds types that are not trusted: {exc}; save the model "
                "with skops_trusted_types=[...] naming them"
            ) from None
    with open(path, "rb") as f:
        return pickle.load(f)  # cloudpickle output is read by the standard unpickler


class _SklearnPredictor:
    def __init__(self, estimator: Any, predict_fn: str) -> None:
        self.raw_model = estimator
        self._predict = getattr(estimator, predict_fn)

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self._predict(data)


def _load_pyfunc(path: str) -> _SklearnPredictor:
    meta = Model.load(path)
    conf = meta.flavors.get(FLAVOR_NAME, {})
    pyfunc_conf = meta.flavors.get(PYFUNC, {})
    file = pyfunc_conf.get("model_path") or conf.get("pickled_model", MODEL_FILE)
    estimator = _load_estimator(os.path.join(path, file), conf)
    return _SklearnPredictor(estimator, pyfunc_conf.get("predict_fn", "predict"))
